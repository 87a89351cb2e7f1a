package oktaclient

import (
	"net/http"
	"strconv"
	stdsync "sync"
	"time"
)

// paceTransport keeps oktalms to its share of the org's Okta rate limit,
// which every integration of the org shares: when a response says fewer
// than (1 - share) of the window's requests remain, the next requests wait
// for the window to reset. Okta then never has to answer 429, and the
// admin console, the SCIM apps and the other integrations keep their part.
type paceTransport struct {
	next  http.RoundTripper
	share float64 // of X-Rate-Limit-Limit oktalms may use; 0 or 1: no pacing
	now   func() time.Time

	mu       stdsync.Mutex
	resumeAt time.Time
}

func (t *paceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	wait := t.resumeAt.Sub(t.now())
	t.mu.Unlock()
	if wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-req.Context().Done():
			timer.Stop()
			return nil, req.Context().Err()
		case <-timer.C:
		}
	}
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		t.observe(resp.Header)
	}
	return resp, err
}

// observe reads Okta's rate-limit headers and, past oktalms's share,
// holds the next requests until the window resets.
func (t *paceTransport) observe(h http.Header) {
	if t.share <= 0 || t.share >= 1 {
		return
	}
	limit, err1 := strconv.Atoi(h.Get("X-Rate-Limit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
	reset, err3 := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || limit <= 0 {
		return
	}
	if float64(remaining) >= float64(limit)*(1-t.share) {
		return
	}
	resume := time.Unix(reset, 0)
	t.mu.Lock()
	if resume.After(t.resumeAt) {
		t.resumeAt = resume
	}
	t.mu.Unlock()
}
