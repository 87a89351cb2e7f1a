package lmstest

import (
	"cmp"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// Request is one request a fake answered. Status is the status code sent,
// or 0 when the connection was dropped by an injected fault.
type Request struct {
	Method, Path, RawQuery string
	Body                   []byte
	Status                 int
}

// Fault makes matching requests fail. A request matches when Method is empty
// or equal to its method, and its path starts with PathPrefix. The first Skip
// matching requests are served normally; the next Times (0 = all the rest)
// get Status (default 500) with Body (default the API's error envelope
// naming the status), or, with DropConnection, a connection closed without
// any answer. Faults take effect after the latency and before rate limiting
// and authentication, as a failing proxy in front of the service would.
type Fault struct {
	Method, PathPrefix string
	Skip, Times        int
	Status             int
	Body               string
	DropConnection     bool
}

// wire is the plumbing every fake shares, embedded in each: its server, the
// mutex that also guards the fake's own state, the request log, injected
// faults, latency and the rate limit. Its exported methods are promoted to
// the fakes as their own.
type wire struct {
	srv *httptest.Server
	api wireAPI // set by start, read-only after

	mu          sync.Mutex
	requests    []Request
	faults      []*injectedFault
	latency     time.Duration
	rateLimit   int // requests per minute; 0 = unlimited
	windowStart time.Time
	windowCount int
}

// wireAPI is what a fake tells its wire about the API it serves.
type wireAPI struct {
	// contentType is sent with every answer that has a body.
	contentType string
	// now is the fake's clock, which the rate-limit window follows.
	now func() time.Time
	// fail is an error answer in the API's envelope: with
	// http.StatusText(status), an injected fault's default answer.
	fail func(status int, msg string) reply
	// limited answers a request over the rate limit, under the lock;
	// retryAfter is the seconds left in the window, at least 1.
	limited func(retryAfter int) reply
	// mutation tells the requests that Mutations returns.
	mutation func(Request) bool
}

// reply is a response decided under the lock and written after it is
// released, so a slow client cannot stall other requests.
type reply struct {
	status int
	body   []byte // nil: no body, and no Content-Type
	header http.Header
	drop   bool // close the connection without answering
}

type injectedFault struct {
	Fault
	seen int // matching requests so far, counting skipped ones
}

// start serves handler on a new server and returns its URL.
func (f *wire) start(api wireAPI, handler http.HandlerFunc) string {
	f.api = api
	f.srv = httptest.NewUnstartedServer(handler)
	// Without keep-alives every request gets a fresh connection. Otherwise
	// Go's Transport silently retries an idempotent request whose reused
	// connection was dropped, and an injected DropConnection fault would
	// never reach the client under test.
	f.srv.Config.SetKeepAlivesEnabled(false)
	f.srv.Start()
	return f.srv.URL
}

// Close shuts the server down, waiting for requests in flight.
func (f *wire) Close() { f.srv.Close() }

// Requests returns every request answered since the start or the last
// ResetRequests, in the order they were handled, with the status answered.
func (f *wire) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// Mutations returns the requests among Requests that write (which ones,
// the fake's doc says), whatever their status, so a test can assert that
// a dry run wrote nothing.
func (f *wire) Mutations() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Request
	for _, r := range f.requests {
		if f.api.mutation(r) {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the recorded requests, typically after seeding.
func (f *wire) ResetRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

// InjectFault adds a fault (see Fault); its default body is the API's
// error envelope. When several match a request, the one injected first
// that still has failures left applies.
func (f *wire) InjectFault(fl Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &injectedFault{Fault: fl})
}

// SetRateLimit limits the requests accepted per minute of the fake's Now
// (0, the default, turns limiting off); the fake's doc says what excess
// requests get. The window is fixed: it opens at the first request and
// lasts one minute, and refused requests count too. Setting a limit starts
// a new window.
func (f *wire) SetRateLimit(perMinute int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setRateLimitLocked(perMinute)
}

func (f *wire) setRateLimitLocked(perMinute int) {
	f.rateLimit = perMinute
	f.windowStart, f.windowCount = time.Time{}, 0
}

func (f *wire) clearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

func (f *wire) setLatency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency = d
}

// serve is every fake's handler: it waits out the latency (less if the
// client gives up), then under the lock applies an injected fault, the rate
// limit and last answer — the fake's authentication and routing — and
// records the request with the status answered. The reply is written after
// the lock is released.
func (f *wire) serve(w http.ResponseWriter, r *http.Request, answer func(r *http.Request, body []byte) reply) {
	body, _ := io.ReadAll(r.Body) // a failed read leaves a truncated body, answered as such
	if len(body) == 0 {
		body = nil // so a recorded Request compares equal to one written without Body
	}
	f.mu.Lock()
	delay := f.latency
	f.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	rep := f.reply(r, body, answer)
	if rep.drop {
		panic(http.ErrAbortHandler) // closes the connection without answering
	}
	h := w.Header()
	maps.Copy(h, rep.header)
	if rep.body != nil {
		h.Set("Content-Type", f.api.contentType)
	}
	w.WriteHeader(rep.status)
	w.Write(rep.body)
}

func (f *wire) reply(r *http.Request, body []byte, answer func(*http.Request, []byte) reply) reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	rep := f.replyLocked(r, body, answer)
	f.requests = append(f.requests, Request{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Body: body, Status: rep.status,
	})
	return rep
}

func (f *wire) replyLocked(r *http.Request, body []byte, answer func(*http.Request, []byte) reply) reply {
	if fl := f.faultLocked(r.Method, r.URL.Path); fl != nil {
		if fl.DropConnection {
			return reply{drop: true}
		}
		status := cmp.Or(fl.Status, http.StatusInternalServerError)
		if fl.Body != "" {
			return reply{status: status, body: []byte(fl.Body)}
		}
		return f.api.fail(status, http.StatusText(status))
	}
	if retryAfter, limited := f.rateLimitedLocked(); limited {
		return f.api.limited(retryAfter)
	}
	return answer(r, body)
}

// faultLocked returns the fault to apply to a request, if any, counting the
// request against every fault it matches up to the one applied.
func (f *wire) faultLocked(method, path string) *Fault {
	for _, fl := range f.faults {
		if fl.Method != "" && fl.Method != method || !strings.HasPrefix(path, fl.PathPrefix) {
			continue
		}
		if fl.Times > 0 && fl.seen >= fl.Skip+fl.Times {
			continue // spent
		}
		fl.seen++
		if fl.seen > fl.Skip {
			return &fl.Fault
		}
	}
	return nil
}

// rateLimitedLocked counts a request against the window and reports
// whether it is refused, and the seconds until the window ends.
func (f *wire) rateLimitedLocked() (retryAfter int, limited bool) {
	if f.rateLimit <= 0 {
		return 0, false
	}
	now := f.api.now()
	if f.windowStart.IsZero() || now.Sub(f.windowStart) >= time.Minute {
		f.windowStart, f.windowCount = now, 0
	}
	f.windowCount++
	left := f.windowStart.Add(time.Minute).Sub(now)
	return max(1, int(math.Ceil(left.Seconds()))), f.windowCount > f.rateLimit
}
