package oktaclient

import "testing"

func TestContentRegion(t *testing.T) {
	tests := []struct{ code, want string }{
		{"GB", "GB"},
		{"ES", "ES"}, {"IT", "ES"}, {"MT", "ES"},
		{"DE", "DE"}, {"BE", "DE"}, {"CH", "DE"}, {"DK", "DE"}, {"RO", "DE"}, {"SI", "DE"},
		{"US", "US"}, {"CA", "US"},
		{"SE", "SE"}, {"NO", "SE"},
		{"it", "ES"},
		{" no ", "SE"},
		{"Ch", "DE"},
		{"FR", "QQ"},
		{"QQ", "QQ"},
		{"GBR", "QQ"},
		{"", "QQ"},
		{"  ", "QQ"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := ContentRegion(tt.code); got != tt.want {
				t.Errorf("ContentRegion(%q) = %q, want %q", tt.code, got, tt.want)
			}
		})
	}
}
