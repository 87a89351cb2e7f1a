package oktaclient

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestPaceTransportKeepsToItsShare(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	tests := []struct {
		name      string
		share     float64
		remaining int
		wantHold  bool
	}{
		{"plenty left", 0.5, 80, false},
		{"at the share", 0.5, 50, false},
		{"past the share", 0.5, 49, true},
		{"no pacing configured", 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &paceTransport{share: tt.share, now: func() time.Time { return now }}
			h := http.Header{}
			h.Set("X-Rate-Limit-Limit", "100")
			h.Set("X-Rate-Limit-Remaining", strconv.Itoa(tt.remaining))
			h.Set("X-Rate-Limit-Reset", strconv.FormatInt(now.Add(30*time.Second).Unix(), 10))
			p.observe(h)
			if held := p.resumeAt.After(now); held != tt.wantHold {
				t.Errorf("held until %v: held = %v, want %v", p.resumeAt, held, tt.wantHold)
			}
		})
	}
}

func TestPaceTransportWaitStopsWithTheContext(t *testing.T) {
	p := &paceTransport{share: 0.5, now: time.Now, resumeAt: time.Now().Add(time.Hour),
		next: http.DefaultTransport}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://127.0.0.1:1/", nil)
	if _, err := p.RoundTrip(req); err != context.DeadlineExceeded {
		t.Fatalf("got %v, want the context's deadline while held", err)
	}
}
