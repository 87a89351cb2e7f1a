// Package sync runs oktalms: one run pulls Okta, plans against the snapshot
// and applies the plan one journaled operation at a time.
//
// It knows only package reconcile and the interfaces it declares here —
// Source, Target and Store — which oktaclient, lms and sync/snapshot implement.
package sync

import (
	"context"
	"time"

	"github.com/oktalms/oktalms/reconcile"
)

// Source reads the people in scope, as the LMS should hold them.
type Source interface {
	// Pull returns every person in scope, active or not, and the per-person
	// problems found while mapping them. An error means the pull is incomplete
	// and nothing may be planned from it.
	Pull(ctx context.Context) (reconcile.State, error)
}

// Target is the LMS.
type Target interface {
	// ListUsers returns every LMS account, archived ones included.
	ListUsers(ctx context.Context) ([]reconcile.User, error)
	// Apply performs one op and returns the record the LMS now holds.
	Apply(ctx context.Context, op reconcile.Op) (reconcile.User, error)
}

// Store is the snapshot of what oktalms applied, and the journal of runs and ops.
type Store interface {
	// Users returns the snapshot: the last applied record of every person
	// oktalms created or linked.
	Users(ctx context.Context) ([]reconcile.User, error)
	// UnfinishedCreates counts creates journaled as started with no outcome:
	// their accounts may exist in the LMS without the snapshot knowing.
	UnfinishedCreates(ctx context.Context) (int, error)
	StartRun(ctx context.Context, run Run) (int64, error)
	FinishRun(ctx context.Context, run Run) error
	// StartOp journals an op as started before it is sent to the LMS.
	StartOp(ctx context.Context, runID int64, seq int, op reconcile.Op) (int64, error)
	// OpApplied journals the op as applied and writes the record to the
	// snapshot, in one transaction.
	OpApplied(ctx context.Context, opID int64, record reconcile.User) error
	// OpFailed journals the op as failed; the snapshot is left as it was.
	OpFailed(ctx context.Context, opID int64, reason string) error
}

// Triggers say who asked for a run.
const (
	TriggerCLI      = "cli"
	TriggerSchedule = "schedule"
	TriggerDemo     = "demo"
)

// Run statuses.
const (
	StatusRunning = "running"
	StatusOK      = "ok"      // everything planned was applied
	StatusPartial = "partial" // finished, with per-person problems or failed ops
	StatusFailed  = "failed"  // stopped by an error: nothing planned, or not all applied
)

// Run is one run's record, for status, history and metrics.
type Run struct {
	ID         int64
	Trigger    string
	DryRun     bool
	Full       bool
	StartedAt  time.Time
	FinishedAt time.Time
	Status     string
	Planned    int
	Applied    int
	Failed     int
	Skipped    int
	Problems   int
	Error      string
}
