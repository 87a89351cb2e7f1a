package lms

import (
	"context"

	"golang.org/x/time/rate"
)

// limiter paces a client's requests under the LMS's rate limit, on the
// client's side, so that the LMS seldom has to refuse one: Lessonly allows
// 500 requests a minute and answers past it with 403s.
type limiter struct {
	*rate.Limiter
	floor rate.Limit
}

// newLimiter allows perMinute requests a minute, in small bursts; nil (no
// pacing) when perMinute is 0.
func newLimiter(perMinute int) *limiter {
	if perMinute <= 0 {
		return nil
	}
	per := rate.Limit(float64(perMinute) / 60)
	return &limiter{Limiter: rate.NewLimiter(per, max(1, perMinute/60)), floor: per / 10}
}

func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	return l.Wait(ctx)
}

// slowDown lowers the pace by a fifth after the LMS still said "too many":
// another client of the same account may be using the budget too. It never
// goes under a tenth of the configured pace.
func (l *limiter) slowDown() {
	if l == nil {
		return
	}
	l.SetLimit(max(l.floor, l.Limit()*4/5))
}
