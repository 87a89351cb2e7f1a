// Package sync runs oktalms: one run pulls Okta, plans against the snapshot
// and applies the plan one journaled operation at a time.
//
// It knows only package reconcile and the interfaces it declares here —
// Source, Target and Store — which oktaclient, lms and sync/snapshot implement.
package sync

import (
	"context"
	"errors"
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
	// FindAccount looks up one account by external id (the Okta id), then
	// by email; rule says which matched.
	FindAccount(ctx context.Context, extUID, email string) (acct reconcile.User, rule string, found bool, err error)
	// Apply performs one op and returns the record the LMS now holds.
	Apply(ctx context.Context, op reconcile.Op) (reconcile.User, error)
}

// Outcome is what became of one journaled op: exactly one of User, Group,
// Failed and NotSent is set.
type Outcome struct {
	OpID int64
	Op   reconcile.Op
	// User is the record the LMS holds after a person's op.
	User *reconcile.User
	// Group is the group as the LMS holds it after a group or membership op.
	Group *reconcile.Group
	// Failed says why the LMS refused the op; the snapshot stays as it was.
	Failed string
	// NotSent says why the op was never sent (a shutdown).
	NotSent string
}

// ErrTaken is wrapped by a Target's create refused because the account
// exists already (same email or external id): the runner adopts it.
var ErrTaken = errors.New("an account with this email or external id already exists")

// ErrNoRun is returned by History.Run for an id no run has.
var ErrNoRun = errors.New("no such run")

// ErrLocked is returned by Store.Lock while another run holds the lock.
var ErrLocked = errors.New("the run lock is held")

// GroupTarget is a Target that mirrors groups too.
type GroupTarget interface {
	// ListGroups returns the LMS groups, members and managers as LMS user ids.
	ListGroups(ctx context.Context) ([]reconcile.Group, error)
	// ApplyGroup performs a group or membership op and returns the group as
	// the LMS now holds it (its id, at least).
	ApplyGroup(ctx context.Context, op reconcile.Op) (reconcile.Group, error)
}

// Store is the snapshot of what oktalms applied, and the journal of runs and ops.
type Store interface {
	// Lock takes the run lock of this database at once, or returns
	// ErrLocked. The lock dies with its process: a killed run never blocks
	// the next one.
	Lock(ctx context.Context) (release func() error, err error)
	// RunningRun is the run recorded as running, if any.
	RunningRun(ctx context.Context) (Run, bool, error)
	// Users returns the snapshot: the last applied record of every person
	// oktalms created or linked.
	Users(ctx context.Context) ([]reconcile.User, error)
	// LMSIDs returns the LMS account id of each person in the snapshot, by
	// Okta id: what an apply needs of it, without decoding every record.
	LMSIDs(ctx context.Context) (map[string]string, error)
	// UnfinishedOps are the ops journaled as started with no outcome: the
	// process died during the call, and the LMS may or may not have acted.
	UnfinishedOps(ctx context.Context) ([]JournalEntry, error)
	// OpInterrupted settles an unfinished op whose call changed nothing
	// that a new plan will not redo.
	OpInterrupted(ctx context.Context, opID int64, note string) error
	// Misses returns, by Okta id, the runs in a row each person was out of
	// scope without being archived (safety.archive_after_misses).
	Misses(ctx context.Context) (map[string]int, error)
	// SetMisses replaces them; whoever is absent is back to zero.
	SetMisses(ctx context.Context, next map[string]int) error
	// StartRun records a run as running. Runs still recorded as running
	// from a process that died are marked interrupted first.
	StartRun(ctx context.Context, run Run) (int64, error)
	FinishRun(ctx context.Context, run Run) error
	// StartOps journals ops as started, numbered from seq, before they are
	// sent to the LMS, and returns their ids.
	StartOps(ctx context.Context, runID int64, seq int, ops []reconcile.Op) ([]int64, error)
	// Record journals outcomes and moves the snapshot with the applied ones,
	// in one transaction; an outcome that cannot be recorded fails alone.
	Record(ctx context.Context, outcomes []Outcome) error
	// Groups returns the mirrored groups as last applied.
	Groups(ctx context.Context) ([]reconcile.Group, error)
}

// Triggers say who asked for a run.
const (
	TriggerCLI      = "cli"
	TriggerSchedule = "schedule"
	TriggerDemo     = "demo"
	TriggerHTTP     = "http"
	TriggerPlan     = "plan" // oktalms apply PLANFILE
)

// Run statuses.
const (
	StatusRunning = "running"
	StatusOK      = "ok"      // everything planned was applied
	StatusPartial = "partial" // finished, with per-person problems or failed ops
	StatusBlocked = "blocked" // finished, with destructive ops held by a safety brake
	StatusFailed  = "failed"  // stopped by an error: nothing planned, or not all applied
	// StatusInterrupted is a run whose process died before recording its end.
	StatusInterrupted = "interrupted"
)

// Run is one run's record, for status, history and metrics.
type Run struct {
	ID         int64     `json:"id"`
	Trigger    string    `json:"trigger"`
	DryRun     bool      `json:"dry_run"`
	Full       bool      `json:"full"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Status     string    `json:"status"`
	Planned    int       `json:"planned"`
	Applied    int       `json:"applied"`
	Failed     int       `json:"failed"`
	Skipped    int       `json:"skipped"`
	Held       int       `json:"held"`
	Problems   int       `json:"problems"`
	Error      string    `json:"error,omitempty"`
}

// Duration is how long the run took, or has taken so far by now.
func (r Run) Duration(now time.Time) time.Duration {
	end := r.FinishedAt
	if end.IsZero() {
		end = now
	}
	return end.Sub(r.StartedAt)
}

// History is the read side of the store: what status, history and the admin API show.
type History interface {
	// Runs returns the most recent runs, newest first.
	Runs(ctx context.Context, limit int) ([]Run, error)
	Run(ctx context.Context, id int64) (Run, error)
	// LastFinished is the newest finished run of the trigger that applied (not a dry run).
	LastFinished(ctx context.Context, trigger string) (Run, bool, error)
	// Journal returns the ops of one run in the order they were sent.
	Journal(ctx context.Context, runID int64) ([]JournalEntry, error)
	// UserJournal returns every op concerning one email or Okta id, newest first.
	UserJournal(ctx context.Context, who string, limit int) ([]JournalEntry, error)
	// UserCount is the number of people in the snapshot.
	UserCount(ctx context.Context) (int, error)
}

// JournalEntry is one op of the journal.
type JournalEntry struct {
	ID         int64              `json:"id"`
	RunID      int64              `json:"run_id"`
	GroupName  string             `json:"group,omitempty"`
	Seq        int                `json:"seq"`
	Action     string             `json:"action"`
	OktaID     string             `json:"okta_id"`
	LMSID      string             `json:"lms_id"`
	Email      string             `json:"email"`
	Changes    []reconcile.Change `json:"changes"`
	Reason     string             `json:"reason"`
	Status     string             `json:"status"` // started | applied | failed
	Error      string             `json:"error,omitempty"`
	StartedAt  time.Time          `json:"started_at"`
	FinishedAt time.Time          `json:"finished_at,omitzero"`
}
