package lmstest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/lms/lmstest"
)

// wired is the plumbing every fake shares.
type wired interface {
	Requests() []lmstest.Request
	Mutations() []lmstest.Request
	ResetRequests()
	InjectFault(lmstest.Fault)
}

// TestWire drives the plumbing the fakes share through each of them,
// unauthenticated: faults and the rate limit come before authentication.
func TestWire(t *testing.T) {
	tests := []struct {
		name string
		// start returns the fake, its URL and a way to set its rate limit.
		start       func(t *testing.T) (wired, string, func(perMinute int))
		contentType string
		fault503    map[string]any // the default body of a 503 fault
		// requests are sent in order; those marked true are Mutations.
		requests []wireRequest
	}{
		{
			name: "Lessonly",
			start: func(t *testing.T) (wired, string, func(int)) {
				f := newFake(t)
				return f, f.URL, func(n int) { f.SetRateLimit(n, true) }
			},
			contentType: "application/json; charset=utf-8",
			fault503:    map[string]any{"type": "error", "error": "Service Unavailable"},
			requests: []wireRequest{{"GET", "/api/v1/users", false}, {"POST", "/api/v1/users", true},
				{"PUT", "/api/v1/users/1", true}, {"PATCH", "/api/v1/users/1", true}, {"DELETE", "/api/v1/users/1", true},
				{"HEAD", "/api/v1/users", false}},
		},
		{
			name: "SCIM",
			start: func(t *testing.T) (wired, string, func(int)) {
				f := newSCIMFake(t)
				return f, f.URL, f.SetRateLimit
			},
			contentType: "application/scim+json",
			fault503: map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:Error"},
				"status": "503", "detail": "Service Unavailable"},
			requests: []wireRequest{{"GET", "/Users", false}, {"POST", "/Users", true}, {"PATCH", "/Users/1", true},
				{"DELETE", "/Users/1", true}, {"HEAD", "/Users", true}},
		},
		{
			name: "LearnAmp",
			start: func(t *testing.T) (wired, string, func(int)) {
				f := newLearnAmpFake(t)
				return f, f.URL, f.SetRateLimit
			},
			contentType: "application/json; charset=utf-8",
			fault503:    map[string]any{"error": "Service Unavailable"},
			requests: []wireRequest{{"GET", "/v1/users", false}, {"POST", "/oauth/token", false},
				{"POST", "/v1/users", true}, {"PUT", "/v1/users/1", true}, {"DELETE", "/v1/teams/1/users/2", true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, base, setRateLimit := tt.start(t)
			get := func() (*http.Response, error) { return http.Get(base + tt.requests[0].path) }

			f.InjectFault(lmstest.Fault{Times: 1, Status: http.StatusServiceUnavailable})
			f.InjectFault(lmstest.Fault{Times: 1, DropConnection: true})
			resp, err := get()
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var m map[string]any
			json.Unmarshal(body, &m)
			if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 503 || ct != tt.contentType || !reflect.DeepEqual(m, tt.fault503) {
				t.Errorf("fault: %d, Content-Type %q, %s; want 503, %q, %v", resp.StatusCode, ct, body, tt.contentType, tt.fault503)
			}
			if resp, err := get(); err == nil {
				resp.Body.Close()
				t.Errorf("dropped connection: got %d", resp.StatusCode)
			}
			if got := f.Requests(); len(got) != 2 || got[0].Status != 503 || got[1].Status != 0 {
				t.Errorf("requests %+v; want statuses 503, 0", got)
			}
			if resp, err := get(); err != nil || resp.StatusCode == 503 {
				t.Errorf("after the faults: %v, %v", resp, err)
			} else {
				resp.Body.Close()
			}

			f.ResetRequests()
			var want []lmstest.Request
			for _, r := range tt.requests {
				req, _ := http.NewRequest(r.method, base+r.path, strings.NewReader(""))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if r.mutation {
					want = append(want, lmstest.Request{Method: r.method, Path: req.URL.Path, Status: resp.StatusCode})
				}
			}
			if got := f.Mutations(); !reflect.DeepEqual(got, want) {
				t.Errorf("Mutations\n got %+v\nwant %+v", got, want)
			}
			if n := len(f.Requests()); n != len(tt.requests) {
				t.Errorf("%d requests recorded, want %d", n, len(tt.requests))
			}

			setRateLimit(1)
			for i, want := range []int{0, 429} {
				resp, err := get()
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got := resp.StatusCode; want != 0 && (got != want || resp.Header.Get("Retry-After") == "") ||
					want == 0 && got == 429 {
					t.Errorf("request %d over a limit of 1: %d, Retry-After %q", i, got, resp.Header.Get("Retry-After"))
				}
			}
		})
	}
}

type wireRequest struct {
	method, path string
	mutation     bool
}
