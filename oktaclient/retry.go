package oktaclient

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	oksync "github.com/oktalms/oktalms/sync"
)

// retryTransport retries what the Okta SDK does not: 5xx answers and network
// errors on reads. The SDK retries only 429 (from X-Rate-Limit-Reset), so that
// stays its job. Retries are bounded, jittered and stop when the context does.
type retryTransport struct {
	next       http.RoundTripper
	maxRetries int
	baseDelay  time.Duration
	onRetry    func()
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return t.next.RoundTrip(req) // only reads are safe to send twice
	}
	delay := t.baseDelay
	for attempt := 0; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		retryable := err != nil || resp.StatusCode >= 500
		if !retryable || attempt >= t.maxRetries || !oksync.SpendRetry(req.Context()) {
			if err != nil && attempt > 0 {
				err = fmt.Errorf("after %d attempts: %w", attempt+1, err)
			}
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
			resp.Body.Close()
		}
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-time.After(jitter(delay)):
		}
		delay *= 2
		if t.onRetry != nil {
			t.onRetry()
		}
	}
}

// jitter spreads retries between half and all of d, so that clients that
// failed together do not retry together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}
