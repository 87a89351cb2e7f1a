package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/oktalms/oktalms/reconcile"
)

// Runner performs runs. Its fields are set once by the caller.
type Runner struct {
	Source  Source
	Target  Target
	Store   Store
	Options reconcile.Options
	Safety  reconcile.Safety
	// RetryBudget is how many retries one run may spend on both APIs (0: no budget).
	RetryBudget int
	// Concurrency is how many ops are sent at once (0: one).
	Concurrency int
	// Progress, when set, hears how far the apply is: ops done of total.
	Progress func(done, total int)
	Logger   *slog.Logger
	Now      func() time.Time
	// Observers hear of every finished run: metrics, notifications.
	Observers []Observer
}

// Observer hears of every finished run.
type Observer interface {
	RunFinished(ctx context.Context, run Run, res Result)
}

// RunOptions are what the person or schedule asking for a run chose.
type RunOptions struct {
	Trigger string
	DryRun  bool
	// Full lists the LMS even when the snapshot would do, so that accounts
	// made or changed by hand are linked and corrected.
	Full bool
	// Force releases the safety brakes for this run.
	Force bool
	// Wait is how long to wait for a run in progress to end; 0 fails at once.
	Wait time.Duration
	// Stop, when closed, ends the run after the op in flight: a shutdown
	// lets the LMS answer and the journal record it.
	Stop <-chan struct{}
}

// BusyError says another run holds the lock.
type BusyError struct {
	Running Run // zero when the holder has not recorded its run yet
}

func (e *BusyError) Error() string {
	if e.Running.ID == 0 {
		return "a sync is already running"
	}
	return fmt.Sprintf("a sync is already running: run %d, started %s UTC by %s", e.Running.ID,
		e.Running.StartedAt.UTC().Format("15:04:05"), e.Running.Trigger)
}

// lockPoll is how often a waiting run retries the lock.
const lockPoll = 250 * time.Millisecond

// runningRun reads the run of the lock's holder. A holder that has just
// taken the lock records its run a moment later: it is given two seconds.
func (r *Runner) runningRun(ctx context.Context) Run {
	for range 8 {
		if running, ok, err := r.Store.RunningRun(ctx); err != nil || ok {
			return running
		}
		select {
		case <-ctx.Done():
			return Run{}
		case <-time.After(lockPoll):
		}
	}
	return Run{}
}

// lock takes the run lock, waiting up to wait for a run in progress.
func (r *Runner) lock(ctx context.Context, wait time.Duration) (func() error, error) {
	deadline := time.Now().Add(wait)
	for {
		release, err := r.Store.Lock(ctx)
		if !errors.Is(err, ErrLocked) {
			return release, err
		}
		if time.Now().Add(lockPoll).After(deadline) {
			return nil, &BusyError{Running: r.runningRun(ctx)}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}

// OpFailure is an op the LMS refused or never answered.
type OpFailure struct {
	Op  reconcile.Op
	Err error
}

// Result is what a run did.
type Result struct {
	RunID int64
	Plan  reconcile.Plan
	// Applied point into Plan.Ops: a run of 100,000 creates keeps its ops once.
	Applied  []*reconcile.Op
	Failures []OpFailure
	// Skipped are the destructive ops not attempted because an earlier op failed.
	Skipped []reconcile.Op
}

// Incomplete reports whether some person was not brought in line: a problem
// in their Okta record, a failed op, or an op skipped for safety.
func (r Result) Incomplete() bool {
	return reconcile.HeldBack(r.Plan.Problems) || len(r.Failures) > 0 || len(r.Skipped) > 0
}

// RunOnce performs one run: pull Okta, load the snapshot (and list the LMS
// when the snapshot cannot be trusted alone), plan, then either stop there
// (dry run) or apply op by op. An error means the run could not plan or
// could not record what it did; per-person failures are in the Result.
func (r *Runner) RunOnce(ctx context.Context, opts RunOptions) (Result, error) {
	return r.do(ctx, opts, func(ctx context.Context, log *slog.Logger, runID int64) (Result, error) {
		return r.run(ctx, log, runID, opts)
	})
}

// ApplyPlan applies a plan made earlier, exactly: no pull, no diff, nothing
// re-planned. verify runs under the run lock, before any op, and refuses a
// plan the world has moved on from (its error stops the run).
func (r *Runner) ApplyPlan(ctx context.Context, plan reconcile.Plan, opts RunOptions, verify func(context.Context) error) (Result, error) {
	return r.do(ctx, opts, func(ctx context.Context, log *slog.Logger, runID int64) (Result, error) {
		if err := verify(ctx); err != nil {
			return Result{}, err
		}
		misses, err := r.Store.Misses(ctx)
		if err != nil {
			return Result{}, err
		}
		return r.execute(ctx, log, runID, Result{Plan: plan}, misses, opts)
	})
}

// do wraps a run: the lock, the run's record, its log lines, its observers.
func (r *Runner) do(ctx context.Context, opts RunOptions, body func(context.Context, *slog.Logger, int64) (Result, error)) (Result, error) {
	release, err := r.lock(ctx, opts.Wait)
	if err != nil {
		return Result{}, err
	}
	defer release()

	run := Run{Trigger: opts.Trigger, DryRun: opts.DryRun, Full: opts.Full, StartedAt: r.Now().UTC(), Status: StatusRunning}
	id, err := r.Store.StartRun(ctx, run)
	if err != nil {
		return Result{}, fmt.Errorf("record the start of the run: %w", err)
	}
	run.ID = id
	if r.RetryBudget > 0 {
		ctx = WithRetryBudget(ctx, r.RetryBudget)
	}
	log := r.Logger.With("run_id", id)
	log.Info("run started", "trigger", opts.Trigger, "mode", mode(opts.DryRun), "full", opts.Full)

	res, runErr := body(ctx, log, id)
	res.RunID = id

	run.FinishedAt = r.Now().UTC()
	run.Planned, run.Applied = len(res.Plan.Ops), len(res.Applied)
	run.Failed, run.Skipped, run.Problems = len(res.Failures), len(res.Skipped), len(res.Plan.Problems)
	run.Held = len(res.Plan.Held)
	switch {
	case runErr != nil:
		run.Status, run.Error = StatusFailed, runErr.Error()
	case res.Plan.Blocked():
		run.Status, run.Error = StatusBlocked, strings.Join(res.Plan.Guards, "; ")
	case res.Incomplete():
		run.Status = StatusPartial
	default:
		run.Status = StatusOK
	}
	// The run's own context may be cancelled by now; its record must still land.
	if err := r.Store.FinishRun(context.WithoutCancel(ctx), run); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("record the end of run %d: %w", id, err))
	}
	log.Info("run finished", "status", run.Status, "mode", mode(opts.DryRun), "planned", run.Planned,
		"applied", run.Applied, "failed", run.Failed, "skipped", run.Skipped, "held", run.Held,
		"problems", run.Problems, "duration", run.Duration(run.FinishedAt).Round(time.Millisecond).String())
	for _, o := range r.Observers {
		o.RunFinished(context.WithoutCancel(ctx), run, res)
	}
	return res, runErr
}

func (r *Runner) run(ctx context.Context, log *slog.Logger, runID int64, opts RunOptions) (Result, error) {
	if !opts.DryRun {
		if err := r.recover(ctx, log); err != nil {
			return Result{}, fmt.Errorf("recover the ops of an interrupted run: %w", err)
		}
	}
	desired, err := r.Source.Pull(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("pull Okta: %w", err)
	}
	recordedUsers, err := r.Store.Users(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("load the snapshot: %w", err)
	}
	recordedGroups, err := r.Store.Groups(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("load the snapshot: %w", err)
	}
	recorded := reconcile.State{Users: recordedUsers, Groups: recordedGroups}

	live, why, err := r.listIfNeeded(ctx, opts, desired, recorded)
	if err != nil {
		return Result{}, err
	}
	if live != nil {
		log.Info("listed the LMS", "reason", why, "accounts", len(live.Users))
	}

	misses, err := r.Store.Misses(ctx)
	if err != nil {
		return Result{}, err
	}
	safety := r.Safety
	safety.Force = opts.Force
	plan := reconcile.Guard(reconcile.Diff(desired, recorded, live, r.Options), desired, recorded, misses, safety)
	for _, p := range plan.Problems {
		log.Warn("person held back", "okta_id", p.OktaID, "field", p.Field, "problem", p.Message)
	}
	for _, g := range plan.Guards {
		log.Warn("safety guard", "guard", g)
	}
	return r.execute(ctx, log, runID, Result{Plan: plan}, misses, opts)
}

// execute applies a plan, unless dry: first the miss counts of the people it
// keeps pending, then its ops.
func (r *Runner) execute(ctx context.Context, log *slog.Logger, runID int64, res Result, misses map[string]int, opts RunOptions) (Result, error) {
	if opts.DryRun {
		return res, nil
	}
	next := make(map[string]int)
	for _, id := range res.Plan.MissedArchives() {
		next[id] = misses[id] + 1
	}
	if err := r.Store.SetMisses(ctx, next); err != nil {
		return res, fmt.Errorf("record the misses: %w", err)
	}
	return r.apply(ctx, log, runID, res, opts.Stop)
}

// recover settles the ops an interrupted run left without an outcome. A
// create may have made the account: it is looked up by the Okta id the
// create sent as ext_uid and, when there, adopted into the snapshot. Other
// ops are idempotent: the plan redoes whatever did not happen.
func (r *Runner) recover(ctx context.Context, log *slog.Logger) error {
	unfinished, err := r.Store.UnfinishedOps(ctx)
	if err != nil {
		return err
	}
	for _, e := range unfinished {
		note := "the process ended during the call; the plan redoes what did not happen"
		if e.Action == string(reconcile.ActionCreate) {
			acct, rule, found, err := r.Target.FindAccount(ctx, e.OktaID, "")
			if err != nil {
				return fmt.Errorf("look up %s in the LMS: %w", e.Email, err)
			}
			if found && rule == "ext_uid" {
				acct.OktaID, acct.ExtUID = e.OktaID, ""
				log.Info("adopted the account an interrupted create made", "okta_id", e.OktaID, "lms_id", acct.LMSID)
				if err := r.Store.Record(ctx, []Outcome{{OpID: e.ID, User: &acct}}); err != nil {
					return err
				}
				continue
			}
			note = "the process ended during the call; the LMS has no such account, so the plan creates it"
		}
		if err := r.Store.OpInterrupted(ctx, e.ID, note); err != nil {
			return err
		}
	}
	return nil
}

// listIfNeeded lists the LMS when the snapshot alone could duplicate
// accounts or groups: on the first run, when a group is mirrored for the
// first time, or when asked to.
func (r *Runner) listIfNeeded(ctx context.Context, opts RunOptions, desired, recorded reconcile.State) (*reconcile.State, string, error) {
	why := ""
	switch {
	case opts.Full:
		why = "full run requested"
	case len(recorded.Users) == 0:
		why = "first run: existing accounts are linked, not duplicated"
	case newGroup(desired, recorded):
		why = "a group is mirrored for the first time: an existing LMS group of its name is linked, not duplicated"
	default:
		return nil, "", nil
	}
	users, err := r.Target.ListUsers(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("list the LMS accounts: %w", err)
	}
	live := &reconcile.State{Users: users}
	if groups, ok := r.Target.(GroupTarget); ok && len(desired.Groups) > 0 {
		if live.Groups, err = groups.ListGroups(ctx); err != nil {
			return nil, "", fmt.Errorf("list the LMS groups: %w", err)
		}
	}
	return live, why, nil
}

func newGroup(desired, recorded reconcile.State) bool {
	known := make(map[string]bool, len(recorded.Groups))
	for _, g := range recorded.Groups {
		known[g.OktaID] = true
	}
	for _, g := range desired.Groups {
		if !known[g.OktaID] {
			return true
		}
	}
	return false
}

// apply performs the plan: phase by phase (an action's ops together, in
// plan order), each phase in chunks sent by up to Concurrency workers. A
// chunk is journaled as started, in one transaction, before any of it is
// sent; its outcomes are recorded with the snapshot, in one transaction,
// once the LMS has answered them all. A process killed in between leaves
// them started, and the next run asks the LMS what became of them.
// After any failure the destructive phases are skipped: a run that could not
// do everything it planned must not be trusted to remove access.
func (r *Runner) apply(ctx context.Context, log *slog.Logger, runID int64, res Result, stop <-chan struct{}) (Result, error) {
	book, err := r.idBook(ctx)
	if err != nil {
		return res, err
	}
	ops, seq := res.Plan.Ops, 1
	chunk := 4 * r.workers()
	var done atomic.Int64
	progress := func() {
		if r.Progress != nil {
			r.Progress(int(done.Add(1)), len(ops))
		}
	}
	for start := 0; start < len(ops); {
		end := start + 1
		for end < len(ops) && ops[end].Action == ops[start].Action && ops[end].SecondPass == ops[start].SecondPass {
			end++
		}
		phase := ops[start:end]
		if phase[0].Action.Destructive() && len(res.Failures) > 0 {
			res.Skipped = append(res.Skipped, phase...)
			for _, op := range phase {
				log.Warn("op skipped after an earlier failure", "action", op.Action, "okta_id", op.OktaID, "subject", subjectOf(op))
			}
			start, seq = end, seq+len(phase)
			continue
		}
		for c := 0; c < len(phase); c += chunk {
			batch := phase[c:min(c+chunk, len(phase))]
			if err := ctx.Err(); err != nil {
				return res, fmt.Errorf("stopped before %s of %s: %w", batch[0].Action, subjectOf(batch[0]), err)
			}
			select {
			case <-stop:
				return res, fmt.Errorf("shutting down: stopped before %s of %s; the next run goes on", batch[0].Action, subjectOf(batch[0]))
			default:
			}
			for i := range batch {
				batch[i] = book.resolve(batch[i])
			}
			ids, err := r.Store.StartOps(ctx, runID, seq, batch)
			if err != nil {
				return res, fmt.Errorf("journal %d ops: %w", len(batch), err)
			}
			seq += len(batch)
			results, err := r.send(ctx, log, runID, batch, ids, book, stop, progress)
			if err != nil {
				return res, err
			}
			interrupted := false
			for i, result := range results {
				switch {
				case result.interrupted:
					interrupted = true // journaled as started: the next run checks the LMS
				case result.err != nil:
					log.Warn("op failed", "action", batch[i].Action, "okta_id", batch[i].OktaID, "subject", subjectOf(batch[i]), "error", result.err)
					res.Failures = append(res.Failures, OpFailure{Op: batch[i], Err: result.err})
				case result.outcome.NotSent != "":
				default:
					log.Debug("op applied", "action", batch[i].Action, "okta_id", batch[i].OktaID, "subject", subjectOf(batch[i]))
					res.Applied = append(res.Applied, &batch[i])
				}
			}
			if interrupted {
				return res, fmt.Errorf("interrupted during %s: %w", batch[0].Action, context.Cause(ctx))
			}
			select {
			case <-stop:
				return res, fmt.Errorf("shutting down: stopped after %s of %s; the next run goes on", batch[len(batch)-1].Action, subjectOf(batch[len(batch)-1]))
			default:
			}
		}
		start = end
	}
	return res, nil
}

func (r *Runner) workers() int { return max(1, r.Concurrency) }

// sendResult is what became of one op of a chunk.
type sendResult struct {
	outcome     Outcome
	err         error
	interrupted bool // cut by cancellation mid-call: the LMS may have acted
	recorded    bool // already journaled (an adoption records its own link)
}

// send sends a chunk's ops by up to Concurrency workers, then records
// their outcomes. A worker that sees the stop signal sends nothing more:
// those ops are recorded as not sent.
func (r *Runner) send(ctx context.Context, log *slog.Logger, runID int64, batch []reconcile.Op, ids []int64, book *idBook, stop <-chan struct{}, progress func()) ([]sendResult, error) {
	results := make([]sendResult, len(batch))
	next := make(chan int)
	var wg stdsync.WaitGroup
	for range min(r.workers(), len(batch)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				select {
				case <-stop:
					results[i] = sendResult{outcome: Outcome{OpID: ids[i], Op: batch[i], NotSent: "not sent: the daemon was shutting down"}}
					continue
				default:
				}
				results[i] = r.applyOne(ctx, log, runID, ids[i], batch[i], book)
				progress()
			}
		}()
	}
	for i := range batch {
		next <- i
	}
	close(next)
	wg.Wait()
	outcomes := make([]Outcome, 0, len(batch))
	for _, res := range results {
		if !res.interrupted && !res.recorded {
			outcomes = append(outcomes, res.outcome)
		}
	}
	if len(outcomes) == 0 {
		return results, nil
	}
	// The LMS has answered: the answers are recorded even if we are being
	// stopped, or the next run would not know them.
	if err := r.Store.Record(context.WithoutCancel(ctx), outcomes); err != nil {
		return results, fmt.Errorf("record the outcomes: %w", err)
	}
	return results, nil
}

// applyOne sends one op to the LMS.
func (r *Runner) applyOne(ctx context.Context, log *slog.Logger, runID int64, opID int64, op reconcile.Op, book *idBook) sendResult {
	fail := func(err error) sendResult {
		if ctx.Err() != nil {
			return sendResult{interrupted: true, err: err}
		}
		return sendResult{outcome: Outcome{OpID: opID, Op: op, Failed: err.Error()}, err: err}
	}
	if op.Action.OnGroup() || op.Action.OnMembership() {
		groups, ok := r.Target.(GroupTarget)
		switch {
		case !ok:
			return fail(errors.New("this LMS target does not mirror groups"))
		case op.GroupLMSID == "" && op.Action != reconcile.ActionGroupCreate:
			return fail(fmt.Errorf("group %q has no LMS id: its creation failed earlier", op.GroupName))
		case op.Action.OnMembership() && op.LMSID == "":
			return fail(fmt.Errorf("%s has no LMS account yet: its creation failed earlier", op.Email))
		}
		group, err := groups.ApplyGroup(ctx, op)
		if err != nil {
			return fail(err)
		}
		if group.LMSID == "" {
			group.LMSID = op.GroupLMSID
		}
		book.setGroup(op.GroupOktaID, group.LMSID)
		return sendResult{outcome: Outcome{OpID: opID, Op: op, Group: &group}}
	}
	if op.LMSID == "" && op.Action != reconcile.ActionCreate {
		return fail(fmt.Errorf("%s has no LMS account yet: its creation failed earlier", op.Email))
	}
	record, err := r.Target.Apply(ctx, op)
	if errors.Is(err, ErrTaken) && op.Action == reconcile.ActionCreate && ctx.Err() == nil {
		if record, err = r.adopt(ctx, log, runID, opID, op, book, err); err == nil {
			book.setUser(op.OktaID, record.LMSID)
			return sendResult{recorded: true}
		}
	}
	if err != nil {
		return fail(err)
	}
	book.setUser(op.OktaID, record.LMSID)
	return sendResult{outcome: Outcome{OpID: opID, Op: op, User: &record}}
}

// idBook knows the LMS ids of people and groups, from the snapshot and from
// the ops applied so far: a plan made before a create cannot know the id a
// later op on the same person or group needs.
type idBook struct {
	mu     stdsync.Mutex
	users  map[string]string // Okta user id → LMS id
	groups map[string]string // Okta group id → LMS id

	// listing is the LMS's whole user listing, read at most once a run,
	// the first time an adoption's lookup finds nothing.
	listOnce stdsync.Once
	listing  []reconcile.User
	listErr  error
}

// findListed finds an account in the LMS's listing by ext_uid, else by
// email in any letter case.
func (b *idBook) findListed(ctx context.Context, target Target, extUID, email string) (reconcile.User, bool, error) {
	b.listOnce.Do(func() {
		if b.listing, b.listErr = target.ListUsers(ctx); b.listErr != nil {
			b.listErr = fmt.Errorf("list the LMS to find a taken account: %w", b.listErr)
		}
	})
	if b.listErr != nil {
		return reconcile.User{}, false, b.listErr
	}
	for _, match := range []func(reconcile.User) bool{
		func(u reconcile.User) bool { return u.ExtUID != "" && u.ExtUID == extUID },
		func(u reconcile.User) bool { return strings.EqualFold(u.Email, email) },
	} {
		if i := slices.IndexFunc(b.listing, match); i >= 0 {
			return b.listing[i], true, nil
		}
	}
	return reconcile.User{}, false, nil
}

func (b *idBook) setUser(oktaID, lmsID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.users[oktaID] = lmsID
}

func (b *idBook) setGroup(oktaID, lmsID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.groups[oktaID] = lmsID
}

func (r *Runner) idBook(ctx context.Context) (*idBook, error) {
	users, err := r.Store.LMSIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the snapshot: %w", err)
	}
	groups, err := r.Store.Groups(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the snapshot: %w", err)
	}
	book := &idBook{users: users, groups: make(map[string]string, len(groups))}
	for _, g := range groups {
		book.groups[g.OktaID] = g.LMSID
	}
	return book, nil
}

// resolve fills the LMS ids the op lacks.
func (b *idBook) resolve(op reconcile.Op) reconcile.Op {
	b.mu.Lock()
	defer b.mu.Unlock()
	if op.LMSID == "" && op.OktaID != "" && op.Action != reconcile.ActionCreate {
		op.LMSID = b.users[op.OktaID]
		op.Record.LMSID = op.LMSID
	}
	if op.GroupLMSID == "" && op.GroupOktaID != "" {
		op.GroupLMSID = b.groups[op.GroupOktaID]
	}
	return op
}

// subjectOf names what an op acts on, for logs and errors.
func subjectOf(op reconcile.Op) string {
	switch {
	case op.Action.OnGroup():
		return fmt.Sprintf("group %q", op.GroupName)
	case op.Action.OnMembership():
		return fmt.Sprintf("%s in group %q", op.Email, op.GroupName)
	}
	return op.Email
}

// adopt handles a create the LMS refused because the account exists: made
// by hand since the snapshot was taken, or by a create whose answer was
// lost. The account is found and linked — journaled as its own op — unless
// it belongs to another Okta user, which stays a failure.
func (r *Runner) adopt(ctx context.Context, log *slog.Logger, runID int64, createID int64, create reconcile.Op, book *idBook, taken error) (reconcile.User, error) {
	acct, _, found, err := r.Target.FindAccount(ctx, create.OktaID, create.Email)
	if err == nil && !found {
		// The LMS says the account exists, yet its lookup does not find it
		// (a search that minds letter case, say): the listing will.
		acct, found, err = book.findListed(ctx, r.Target, create.OktaID, create.Email)
	}
	if err != nil || !found {
		return reconcile.User{}, errors.Join(taken, err)
	}
	plan := reconcile.Diff(reconcile.State{Users: []reconcile.User{create.Record}}, reconcile.State{},
		&reconcile.State{Users: []reconcile.User{acct}}, r.Options)
	if len(plan.Ops) != 1 || plan.Ops[0].Action != reconcile.ActionLink {
		why := "it cannot be adopted"
		if len(plan.Problems) > 0 {
			why = plan.Problems[0].Message
		}
		return reconcile.User{}, fmt.Errorf("%w: %s", taken, why)
	}
	link := plan.Ops[0]
	link.Reason = "the create found the account already there: adopted"
	if err := r.Store.Record(ctx, []Outcome{{OpID: createID, Op: create, Failed: "the account exists already: adopted by a link op"}}); err != nil {
		return reconcile.User{}, err
	}
	linkIDs, err := r.Store.StartOps(ctx, runID, 0, []reconcile.Op{link})
	if err != nil {
		return reconcile.User{}, err
	}
	record, err := r.Target.Apply(ctx, link)
	if err != nil {
		return reconcile.User{}, errors.Join(err, r.Store.Record(context.WithoutCancel(ctx), []Outcome{{OpID: linkIDs[0], Op: link, Failed: err.Error()}}))
	}
	log.Info("adopted an existing account", "okta_id", create.OktaID, "lms_id", record.LMSID)
	return record, r.Store.Record(context.WithoutCancel(ctx), []Outcome{{OpID: linkIDs[0], Op: link, User: &record}})
}

func mode(dryRun bool) string {
	if dryRun {
		return "DRY RUN"
	}
	return "APPLY"
}
