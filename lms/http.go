// Package lms holds the clients of the learning platforms oktalms writes to.
// Each implements sync.Target; this file holds what they share: requests with
// a deadline, bounded jittered retries, and typed API errors.
package lms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	stdsync "sync"
	"time"

	oksync "github.com/oktalms/oktalms/sync"
)

// ErrTaken is wrapped by a create the LMS refused because an account with
// the same email or external id exists: the runner adopts that account.
var ErrTaken = oksync.ErrTaken

// APIError is an answer of the LMS that was not a success.
type APIError struct {
	Method, Path string
	Status       int
	Message      string // the API's own words
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

// Retryable reports whether the same request may succeed later.
func (e *APIError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || isRateLimit403(e.Status, e.Message)
}

func (e *APIError) rateLimited() bool {
	return e.Status == http.StatusTooManyRequests || isRateLimit403(e.Status, e.Message)
}

// isRateLimit403 recognises Lessonly's rate limit, which it answers with 403.
func isRateLimit403(status int, message string) bool {
	return status == http.StatusForbidden && strings.Contains(strings.ToLower(message), "rate limit")
}

// RetryPolicy bounds the retries of one request.
type RetryPolicy struct {
	MaxRetries int
	BaseDelay  time.Duration // the first backoff; it doubles, jittered
	MaxDelay   time.Duration
	// OnRetry, when set, hears of every request about to be sent again.
	OnRetry func()
	// RequestsPerMinute paces every request on the client's side (0: no pacing).
	RequestsPerMinute int
}

// client sends JSON requests with a per-attempt deadline and retries.
type client struct {
	http      *http.Client
	base      *url.URL
	timeout   time.Duration
	retry     RetryPolicy
	userAgent string
	authorize func(*http.Request)
	// errorMessage extracts the API's message from an error body.
	errorMessage func([]byte) string
	pace         *limiter // nil until first use; built from retry.RequestsPerMinute
	paceOnce     stdsync.Once
}

func (c *client) limiter() *limiter {
	c.paceOnce.Do(func() { c.pace = newLimiter(c.retry.RequestsPerMinute) })
	return c.pace
}

// do sends the request, retrying on rate limits, 5xx and network errors,
// and decodes a successful JSON answer into out (when not nil).
func (c *client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
	}
	delay := c.retry.BaseDelay
	for attempt := 0; ; attempt++ {
		if err := c.limiter().wait(ctx); err != nil {
			return err
		}
		wait, err := c.once(ctx, method, path, query, payload, out)
		if err == nil {
			return nil
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.rateLimited() {
			c.limiter().slowDown()
		}
		retryable := !errors.As(err, &apiErr) || apiErr.Retryable()
		if ctx.Err() != nil || !retryable || attempt >= c.retry.MaxRetries {
			if attempt > 0 {
				return fmt.Errorf("after %d attempts: %w", attempt+1, err)
			}
			return err
		}
		if !oksync.SpendRetry(ctx) {
			return fmt.Errorf("not retried, the run's retry budget (safety.retry_budget) is spent: %w", err)
		}
		if wait == 0 {
			wait = delay/2 + rand.N(delay/2+1)
			delay = min(delay*2, c.retry.MaxDelay)
		}
		if err := sleep(ctx, min(wait, c.retry.MaxDelay)); err != nil {
			return err
		}
		if c.retry.OnRetry != nil {
			c.retry.OnRetry()
		}
	}
}

// once sends one attempt. wait is the server's Retry-After, if it gave one.
func (c *client) once(ctx context.Context, method, path string, query url.Values, payload []byte, out any) (wait time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.base.JoinPath(path)
	u.RawQuery = query.Encode()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.userAgent)
	c.authorize(req)

	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := c.errorMessage(data)
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		return retryAfter(resp.Header.Get("Retry-After")), &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: msg}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return 0, fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	if h, ok := out.(headerReader); ok {
		h.readHeader(resp.Header)
	}
	return 0, nil
}

// headerReader is an answer that also reads its response's headers, as a
// Learn Amp page does its paging totals.
type headerReader interface{ readHeader(http.Header) }

// unwrapURLError drops *url.Error's copy of the URL: it is noise in a
// message an admin reads, and query strings may carry emails.
func unwrapURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		var nerr net.Error
		if errors.As(uerr.Err, &nerr) && nerr.Timeout() {
			return fmt.Errorf("no answer in time: %w", uerr.Err)
		}
		return uerr.Err
	}
	return err
}

func retryAfter(v string) time.Duration {
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
