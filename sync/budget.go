package sync

import (
	"context"
	"sync/atomic"
)

type retryBudgetKey struct{}

// WithRetryBudget gives a run n retries to spend, all APIs together: a run
// that meets an API in trouble gives up instead of hammering it for hours.
func WithRetryBudget(ctx context.Context, n int) context.Context {
	budget := new(atomic.Int64)
	budget.Store(int64(n))
	return context.WithValue(ctx, retryBudgetKey{}, budget)
}

// SpendRetry takes one retry from the run's budget, reporting whether one
// was left. Outside a run (no budget), retries are bounded per request only.
func SpendRetry(ctx context.Context) bool {
	budget, ok := ctx.Value(retryBudgetKey{}).(*atomic.Int64)
	return !ok || budget.Add(-1) >= 0
}
