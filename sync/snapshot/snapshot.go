// Package snapshot is the SQLite store of oktalms: the snapshot of what was
// applied to the LMS, the runs and the operations journal.
package snapshot

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the database/sql driver "sqlite3"

	"github.com/oktalms/oktalms/reconcile"
	oksync "github.com/oktalms/oktalms/sync"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite snapshot. Many processes may read it; the run lock
// keeps writers to one at a time.
type Store struct {
	db       *sqlx.DB
	now      func() time.Time
	lockPath string
	// stmts are the statements a run repeats for every op, prepared once at
	// Open: a run of 100,000 creates must not parse them 100,000 times.
	stmts map[string]*sqlx.Stmt
}

const (
	sqlStartOp = `INSERT INTO operations
		(run_id, seq, action, okta_id, lms_id, email, changes, reason, status, started_at, group_okta_id, group_lms_id, group_name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'started', ?, ?, ?, ?)`
	sqlMarkApplied = `UPDATE operations SET status = 'applied', lms_id = ?, finished_at = ? WHERE id = ?`
	sqlUpsertUser  = `INSERT INTO users (okta_id, lms_id, email, active, record, run_id, updated_at)
		VALUES (?, ?, ?, ?, ?, (SELECT run_id FROM operations WHERE id = ?), ?)
		ON CONFLICT (okta_id) DO UPDATE SET lms_id = excluded.lms_id, email = excluded.email,
			active = excluded.active, record = excluded.record, run_id = excluded.run_id, updated_at = excluded.updated_at`
)

func (s *Store) prepare(ctx context.Context) error {
	s.stmts = map[string]*sqlx.Stmt{}
	for _, q := range []string{sqlStartOp, sqlMarkApplied, sqlUpsertUser} {
		st, err := s.db.PreparexContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare the journal statements: %w", err)
		}
		s.stmts[q] = st
	}
	return nil
}

// stmt is a prepared statement, bound to tx.
func (s *Store) stmt(ctx context.Context, tx *sqlx.Tx, query string) *sqlx.Stmt {
	return tx.StmtxContext(ctx, s.stmts[query])
}

var (
	_ oksync.Store   = (*Store)(nil)
	_ oksync.History = (*Store)(nil)
)

// Open opens (creating it if needed, mode 0600) the database at path and
// brings its schema up to date. now is the clock every timestamp is read from.
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the state directory: %w", err)
	}
	// Create the file ourselves so that it never exists with a wider mode;
	// SQLite gives its -wal and -shm files the database file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the state database: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open the state database: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("restrict the state database to its owner: %w", err)
	}
	// synchronous=NORMAL: in WAL mode a power loss may lose the last
	// commits, never corrupt; a lost "started" or "applied" mark is what the
	// journal's recovery and the adoption of taken accounts are for.
	// An 8 MiB page cache: the snapshot is read once a run, in order, and
	// the operating system caches the file anyway.
	dsn := "file:" + path + "?_journal_mode=WAL&_synchronous=NORMAL&_cache_size=-8192&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate"
	db, err := sqlx.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open the state database: %w", err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises writes anyway
	s := &Store{db: db, now: now, lockPath: path + ".lock"}
	if err := errors.Join(s.migrate(ctx), s.prepare(ctx)); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range s.stmts {
		st.Close()
	}
	return s.db.Close()
}

// migrate applies, in order and each in its own transaction, the embedded
// migrations the database has not recorded yet.
func (s *Store) migrate(ctx context.Context) error {
	// In an immediate transaction: a statement that reads, then writes, is
	// refused at once (no busy wait) when another process wrote in between,
	// as two processes starting together on a new database do.
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("prepare the schema: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its version number", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		// The version is read inside the (immediate) transaction: two
		// processes starting together must not both apply it.
		err = s.inTx(ctx, func(tx *sqlx.Tx) error {
			var done int
			if err := tx.GetContext(ctx, &done, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version); err != nil || done > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, s.stamp())
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", name, err)
		}
	}
	return nil
}

func (s *Store) inTx(ctx context.Context, fn func(*sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

func (s *Store) stamp() string { return s.now().UTC().Format(time.RFC3339Nano) }

// Users returns the snapshot, ordered by Okta id. Rows are decoded as they
// are read: the JSON of 100,000 records is never held alongside them.
func (s *Store) Users(ctx context.Context) ([]reconcile.User, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`); err != nil {
		return nil, fmt.Errorf("read the snapshot: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT record FROM users ORDER BY okta_id`)
	if err != nil {
		return nil, fmt.Errorf("read the snapshot: %w", err)
	}
	defer rows.Close()
	users := make([]reconcile.User, 0, n)
	var raw sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("read the snapshot: %w", err)
		}
		var u reconcile.User
		if err := json.Unmarshal(raw, &u); err != nil {
			return nil, fmt.Errorf("decode a snapshot row: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the snapshot: %w", err)
	}
	return users, nil
}

// LMSIDs returns the LMS id of everyone in the snapshot, by Okta id.
func (s *Store) LMSIDs(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT okta_id, lms_id FROM users`)
	if err != nil {
		return nil, fmt.Errorf("read the snapshot's ids: %w", err)
	}
	defer rows.Close()
	ids := map[string]string{}
	for rows.Next() {
		var oktaID, lmsID string
		if err := rows.Scan(&oktaID, &lmsID); err != nil {
			return nil, fmt.Errorf("read the snapshot's ids: %w", err)
		}
		ids[oktaID] = lmsID
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the snapshot's ids: %w", err)
	}
	return ids, nil
}

// UnfinishedOps are the ops journaled as started with no outcome, oldest first.
func (s *Store) UnfinishedOps(ctx context.Context) ([]oksync.JournalEntry, error) {
	return s.selectJournal(ctx, `SELECT * FROM operations WHERE status = 'started' ORDER BY id`)
}

// OpInterrupted settles an unfinished op with a note saying what was found.
func (s *Store) OpInterrupted(ctx context.Context, opID int64, note string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE operations SET status = 'interrupted', error = ?, finished_at = ? WHERE id = ?`,
		note, s.stamp(), opID)
	return err
}

// Groups returns the mirrored groups as last applied, ordered by Okta id.
func (s *Store) Groups(ctx context.Context) ([]reconcile.Group, error) {
	var rows []struct {
		OktaID   string `db:"okta_id"`
		LMSID    string `db:"lms_id"`
		Name     string `db:"name"`
		Members  string `db:"members"`
		Managers string `db:"managers"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT okta_id, lms_id, name, members, managers FROM groups ORDER BY okta_id`); err != nil {
		return nil, fmt.Errorf("read the groups: %w", err)
	}
	out := make([]reconcile.Group, 0, len(rows))
	for _, r := range rows {
		g := reconcile.Group{OktaID: r.OktaID, LMSID: r.LMSID, Name: r.Name}
		if err := errors.Join(json.Unmarshal([]byte(r.Members), &g.Members), json.Unmarshal([]byte(r.Managers), &g.Managers)); err != nil {
			return nil, fmt.Errorf("decode group %s: %w", r.OktaID, err)
		}
		out = append(out, g)
	}
	return out, nil
}

// recordGroup journals a group or membership op as applied and moves the
// group's row with it: a group op writes group, a membership op adds or
// removes the person in the row's members or managers.
func (s *Store) recordGroup(ctx context.Context, tx *sqlx.Tx, opID int64, op reconcile.Op, group reconcile.Group, now string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE operations SET status = 'applied', group_lms_id = ?, finished_at = ? WHERE id = ?`,
		group.LMSID, now, opID); err != nil {
		return err
	}
	if op.Action.OnMembership() {
		if op.OktaID == "" {
			return nil // someone oktalms does not manage, removed by groups.exclusive
		}
		var err error
		if group, err = s.groupRow(ctx, tx, op.GroupOktaID); err != nil {
			return err
		}
		switch op.Action {
		case reconcile.ActionMemberAdd:
			group.Members = withID(group.Members, op.OktaID, true)
		case reconcile.ActionMemberRemove:
			group.Members = withID(group.Members, op.OktaID, false)
		case reconcile.ActionManagerAdd:
			group.Managers = withID(group.Managers, op.OktaID, true)
		case reconcile.ActionManagerRemove:
			group.Managers = withID(group.Managers, op.OktaID, false)
		}
	}
	if op.Action == reconcile.ActionGroupArchive {
		_, err := tx.ExecContext(ctx, `DELETE FROM groups WHERE okta_id = ?`, op.GroupOktaID)
		return err
	}
	members, _ := json.Marshal(nonNil(group.Members))
	managers, _ := json.Marshal(nonNil(group.Managers))
	_, err := tx.ExecContext(ctx, `INSERT INTO groups (okta_id, lms_id, name, members, managers, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (okta_id) DO UPDATE SET lms_id = excluded.lms_id, name = excluded.name,
			members = excluded.members, managers = excluded.managers, updated_at = excluded.updated_at`,
		op.GroupOktaID, group.LMSID, group.Name, string(members), string(managers), now)
	return err
}

func (s *Store) groupRow(ctx context.Context, tx *sqlx.Tx, oktaID string) (reconcile.Group, error) {
	var row struct {
		LMSID    string `db:"lms_id"`
		Name     string `db:"name"`
		Members  string `db:"members"`
		Managers string `db:"managers"`
	}
	if err := tx.GetContext(ctx, &row, `SELECT lms_id, name, members, managers FROM groups WHERE okta_id = ?`, oktaID); err != nil {
		return reconcile.Group{}, fmt.Errorf("group %s is not in the snapshot: %w", oktaID, err)
	}
	g := reconcile.Group{OktaID: oktaID, LMSID: row.LMSID, Name: row.Name}
	err := errors.Join(json.Unmarshal([]byte(row.Members), &g.Members), json.Unmarshal([]byte(row.Managers), &g.Managers))
	return g, err
}

// withID returns ids, sorted, with id in it or not.
func withID(ids []string, id string, in bool) []string {
	out := make([]string, 0, len(ids)+1)
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	if in {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// Misses returns, by Okta id, the runs in a row each person was out of scope
// without being archived.
func (s *Store) Misses(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		OktaID string `db:"okta_id"`
		Count  int    `db:"count"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT okta_id, count FROM misses`); err != nil {
		return nil, fmt.Errorf("read the misses: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.OktaID] = r.Count
	}
	return out, nil
}

// SetMisses replaces the miss counts: whoever is not in next is back to zero.
func (s *Store) SetMisses(ctx context.Context, next map[string]int) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM misses`); err != nil {
			return err
		}
		for id, n := range next {
			if _, err := tx.ExecContext(ctx, `INSERT INTO misses (okta_id, count) VALUES (?, ?)`, id, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// StartRun records a run as running and returns its id. The caller holds
// the run lock, so a run still recorded as running belongs to a process
// that died: it is marked interrupted.
func (s *Store) StartRun(ctx context.Context, run oksync.Run) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, error = 'the process ended before the run did' WHERE status = ?`,
			oksync.StatusInterrupted, oksync.StatusRunning); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO runs (trigger, dry_run, full, started_at, status) VALUES (?, ?, ?, ?, ?)`,
			run.Trigger, run.DryRun, run.Full, run.StartedAt.UTC().Format(time.RFC3339Nano), oksync.StatusRunning)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// FinishRun records the outcome and counts of a run.
func (s *Store) FinishRun(ctx context.Context, run oksync.Run) error {
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET finished_at = ?, status = ?, planned = ?, applied = ?,
		failed = ?, skipped = ?, held = ?, problems = ?, error = ? WHERE id = ?`,
		run.FinishedAt.UTC().Format(time.RFC3339Nano), run.Status, run.Planned, run.Applied,
		run.Failed, run.Skipped, run.Held, run.Problems, run.Error, run.ID)
	return err
}

// StartOps journals ops as started, numbered from seq, in one transaction.
func (s *Store) StartOps(ctx context.Context, runID int64, seq int, ops []reconcile.Op) ([]int64, error) {
	ids := make([]int64, 0, len(ops))
	now := s.stamp()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		stmt := s.stmt(ctx, tx, sqlStartOp)
		for i, op := range ops {
			changes, err := json.Marshal(op.Changes)
			if err != nil {
				return err
			}
			res, err := stmt.ExecContext(ctx, runID, seq+i, string(op.Action), op.OktaID, op.LMSID, op.Email, string(changes),
				op.Reason, now, op.GroupOktaID, op.GroupLMSID, op.GroupName)
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// Record journals the outcomes of ops and moves the snapshot with those
// applied, in one transaction: the snapshot never runs ahead of the journal.
// A runner records a chunk's outcomes together, because a commit costs more
// than the statements in it. If that transaction fails, each outcome is tried
// in one of its own, so that one bad outcome cannot fail the others.
func (s *Store) Record(ctx context.Context, outcomes []oksync.Outcome) error {
	err := s.recordTx(ctx, outcomes)
	if err == nil || len(outcomes) == 1 {
		return err
	}
	errs := make([]error, len(outcomes))
	for i := range outcomes {
		errs[i] = s.recordTx(ctx, outcomes[i:i+1])
	}
	return errors.Join(errs...)
}

func (s *Store) recordTx(ctx context.Context, outcomes []oksync.Outcome) error {
	now := s.stamp()
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, o := range outcomes {
			if err := s.record(ctx, tx, o, now); err != nil {
				return fmt.Errorf("op %d: %w", o.OpID, err)
			}
		}
		return nil
	})
}

func (s *Store) record(ctx context.Context, tx *sqlx.Tx, o oksync.Outcome, now string) error {
	switch {
	case o.Failed != "":
		_, err := tx.ExecContext(ctx, `UPDATE operations SET status = 'failed', error = ?, finished_at = ? WHERE id = ?`, o.Failed, now, o.OpID)
		return err
	case o.NotSent != "":
		_, err := tx.ExecContext(ctx, `UPDATE operations SET status = 'interrupted', error = ?, finished_at = ? WHERE id = ?`, o.NotSent, now, o.OpID)
		return err
	case o.Group != nil:
		return s.recordGroup(ctx, tx, o.OpID, o.Op, *o.Group, now)
	case o.User != nil:
		return s.recordUser(ctx, tx, o.OpID, *o.User, now)
	}
	return errors.New("an outcome says neither applied, failed nor not sent")
}

func (s *Store) recordUser(ctx context.Context, tx *sqlx.Tx, opID int64, record reconcile.User, now string) error {
	body, err := json.Marshal(record)
	if err != nil {
		return err
	}
	if _, err := s.stmt(ctx, tx, sqlMarkApplied).ExecContext(ctx, record.LMSID, now, opID); err != nil {
		return err
	}
	_, err = s.stmt(ctx, tx, sqlUpsertUser).ExecContext(ctx, record.OktaID, record.LMSID, record.Email, record.Active, string(body), opID, now)
	return err
}

// runRow is a runs row as SQLite holds it.
type runRow struct {
	ID         int64          `db:"id"`
	Trigger    string         `db:"trigger"`
	DryRun     bool           `db:"dry_run"`
	Full       bool           `db:"full"`
	StartedAt  string         `db:"started_at"`
	FinishedAt sql.NullString `db:"finished_at"`
	Status     string         `db:"status"`
	Planned    int            `db:"planned"`
	Applied    int            `db:"applied"`
	Failed     int            `db:"failed"`
	Skipped    int            `db:"skipped"`
	Held       int            `db:"held"`
	Problems   int            `db:"problems"`
	Error      string         `db:"error"`
}

func (r runRow) run() oksync.Run {
	run := oksync.Run{ID: r.ID, Trigger: r.Trigger, DryRun: r.DryRun, Full: r.Full, Status: r.Status,
		Planned: r.Planned, Applied: r.Applied, Failed: r.Failed, Skipped: r.Skipped, Held: r.Held,
		Problems: r.Problems, Error: r.Error}
	run.StartedAt = parseStamp(r.StartedAt)
	if r.FinishedAt.Valid {
		run.FinishedAt = parseStamp(r.FinishedAt.String)
	}
	return run
}

func parseStamp(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func (s *Store) selectRuns(ctx context.Context, query string, args ...any) ([]oksync.Run, error) {
	var rows []runRow
	if err := s.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("read the runs: %w", err)
	}
	runs := make([]oksync.Run, len(rows))
	for i, r := range rows {
		runs[i] = r.run()
	}
	return runs, nil
}

// Runs returns the most recent runs, newest first.
func (s *Store) Runs(ctx context.Context, limit int) ([]oksync.Run, error) {
	return s.selectRuns(ctx, `SELECT * FROM runs ORDER BY id DESC LIMIT ?`, limit)
}

// Run returns one run.
func (s *Store) Run(ctx context.Context, id int64) (oksync.Run, error) {
	runs, err := s.selectRuns(ctx, `SELECT * FROM runs WHERE id = ?`, id)
	if err != nil {
		return oksync.Run{}, err
	}
	if len(runs) == 0 {
		return oksync.Run{}, fmt.Errorf("run %d: %w", id, oksync.ErrNoRun)
	}
	return runs[0], nil
}

// RunningRun is the run recorded as running, if any.
func (s *Store) RunningRun(ctx context.Context) (oksync.Run, bool, error) {
	runs, err := s.selectRuns(ctx, `SELECT * FROM runs WHERE status = ? ORDER BY id DESC LIMIT 1`, oksync.StatusRunning)
	if err != nil || len(runs) == 0 {
		return oksync.Run{}, false, err
	}
	return runs[0], true, nil
}

// LastFinished is the newest finished, applying run of the trigger.
func (s *Store) LastFinished(ctx context.Context, trigger string) (oksync.Run, bool, error) {
	runs, err := s.selectRuns(ctx, `SELECT * FROM runs WHERE trigger = ? AND dry_run = 0 AND finished_at IS NOT NULL
		ORDER BY id DESC LIMIT 1`, trigger)
	if err != nil || len(runs) == 0 {
		return oksync.Run{}, false, err
	}
	return runs[0], true, nil
}

// UserCount is the number of people in the snapshot.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`)
	return n, err
}

// journalRow is an operations row as SQLite holds it.
type journalRow struct {
	ID         int64          `db:"id"`
	RunID      int64          `db:"run_id"`
	Seq        int            `db:"seq"`
	Action     string         `db:"action"`
	OktaID     string         `db:"okta_id"`
	LMSID      string         `db:"lms_id"`
	Email      string         `db:"email"`
	Changes    string         `db:"changes"`
	Reason     string         `db:"reason"`
	Status     string         `db:"status"`
	Error      string         `db:"error"`
	StartedAt  string         `db:"started_at"`
	FinishedAt sql.NullString `db:"finished_at"`
	GroupOkta  string         `db:"group_okta_id"`
	GroupLMS   string         `db:"group_lms_id"`
	GroupName  string         `db:"group_name"`
}

func (s *Store) selectJournal(ctx context.Context, query string, args ...any) ([]oksync.JournalEntry, error) {
	var rows []journalRow
	if err := s.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("read the journal: %w", err)
	}
	out := make([]oksync.JournalEntry, 0, len(rows))
	for _, r := range rows {
		e := oksync.JournalEntry{ID: r.ID, RunID: r.RunID, Seq: r.Seq, Action: r.Action, OktaID: r.OktaID,
			LMSID: r.LMSID, Email: r.Email, Reason: r.Reason, Status: r.Status, Error: r.Error,
			StartedAt: parseStamp(r.StartedAt), GroupName: r.GroupName}
		if r.FinishedAt.Valid {
			e.FinishedAt = parseStamp(r.FinishedAt.String)
		}
		if err := json.Unmarshal([]byte(r.Changes), &e.Changes); err != nil {
			return nil, fmt.Errorf("decode the changes of op %d: %w", r.ID, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Journal returns the ops of one run, in the order they were sent.
func (s *Store) Journal(ctx context.Context, runID int64) ([]oksync.JournalEntry, error) {
	return s.selectJournal(ctx, `SELECT * FROM operations WHERE run_id = ? ORDER BY seq`, runID)
}

// UserJournal returns every op concerning one person, by email (in any
// letter case, as it was at the time) or Okta id, newest first.
func (s *Store) UserJournal(ctx context.Context, who string, limit int) ([]oksync.JournalEntry, error) {
	return s.selectJournal(ctx, `SELECT * FROM operations WHERE okta_id = ? OR email = ? OR okta_id IN
		(SELECT okta_id FROM users WHERE email = ?) ORDER BY id DESC LIMIT ?`,
		who, strings.ToLower(who), strings.ToLower(who), limit)
}

// Fingerprint is a digest of the snapshot: it changes whenever a run applies
// anything, so a saved plan can tell that it was computed from another world.
func (s *Store) Fingerprint(ctx context.Context) (string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT okta_id, record FROM users ORDER BY okta_id`)
	if err != nil {
		return "", fmt.Errorf("read the snapshot: %w", err)
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var id, record string
		if err := rows.Scan(&id, &record); err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%s\x00", id, record)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
