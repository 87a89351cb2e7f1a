// Package snapshot is the SQLite store of oktalms: the snapshot of what was
// applied to the LMS, the runs and the operations journal.
package snapshot

import (
	"context"
	"database/sql"
	"embed"
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

// Store is the SQLite snapshot. It is safe for use by one process at a time;
// the run lock keeps it so.
type Store struct {
	db  *sqlx.DB
	now func() time.Time
}

var _ oksync.Store = (*Store)(nil)

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
	dsn := "file:" + path + "?_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate"
	db, err := sqlx.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open the state database: %w", err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises writes anyway
	s := &Store{db: db, now: now}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// migrate applies, in order and each in its own transaction, the embedded
// migrations the database has not recorded yet.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
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
		var done int
		if err := s.db.GetContext(ctx, &done, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version); err != nil {
			return fmt.Errorf("read the schema version: %w", err)
		}
		if done > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.inTx(ctx, func(tx *sqlx.Tx) error {
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

// Users returns the snapshot, ordered by Okta id.
func (s *Store) Users(ctx context.Context) ([]reconcile.User, error) {
	var rows []string
	if err := s.db.SelectContext(ctx, &rows, `SELECT record FROM users ORDER BY okta_id`); err != nil {
		return nil, fmt.Errorf("read the snapshot: %w", err)
	}
	users := make([]reconcile.User, 0, len(rows))
	for _, row := range rows {
		var u reconcile.User
		if err := json.Unmarshal([]byte(row), &u); err != nil {
			return nil, fmt.Errorf("decode a snapshot row: %w", err)
		}
		users = append(users, u)
	}
	return users, nil
}

// UnfinishedCreates counts creates journaled as started with no outcome.
func (s *Store) UnfinishedCreates(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM operations WHERE status = 'started' AND action = ?`,
		string(reconcile.ActionCreate))
	return n, err
}

// StartRun records a run as running and returns its id.
func (s *Store) StartRun(ctx context.Context, run oksync.Run) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO runs (trigger, dry_run, full, started_at, status) VALUES (?, ?, ?, ?, ?)`,
		run.Trigger, run.DryRun, run.Full, run.StartedAt.UTC().Format(time.RFC3339Nano), run.Status)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// FinishRun records the outcome and counts of a run.
func (s *Store) FinishRun(ctx context.Context, run oksync.Run) error {
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET finished_at = ?, status = ?, planned = ?, applied = ?,
		failed = ?, skipped = ?, problems = ?, error = ? WHERE id = ?`,
		run.FinishedAt.UTC().Format(time.RFC3339Nano), run.Status, run.Planned, run.Applied,
		run.Failed, run.Skipped, run.Problems, run.Error, run.ID)
	return err
}

// StartOp journals an op as started.
func (s *Store) StartOp(ctx context.Context, runID int64, seq int, op reconcile.Op) (int64, error) {
	changes, err := json.Marshal(op.Changes)
	if err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO operations
		(run_id, seq, action, okta_id, lms_id, email, changes, reason, status, started_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'started', ?)`,
		runID, seq, string(op.Action), op.OktaID, op.LMSID, op.Email, string(changes), op.Reason, s.stamp())
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// OpApplied journals the op as applied and writes the snapshot row, together.
func (s *Store) OpApplied(ctx context.Context, opID int64, record reconcile.User) error {
	body, err := json.Marshal(record)
	if err != nil {
		return err
	}
	now := s.stamp()
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var runID int64
		if err := tx.GetContext(ctx, &runID, `SELECT run_id FROM operations WHERE id = ?`, opID); err != nil {
			return fmt.Errorf("find op %d: %w", opID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE operations SET status = 'applied', lms_id = ?, finished_at = ? WHERE id = ?`,
			record.LMSID, now, opID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (okta_id, lms_id, email, active, record, run_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (okta_id) DO UPDATE SET lms_id = excluded.lms_id, email = excluded.email,
				active = excluded.active, record = excluded.record, run_id = excluded.run_id, updated_at = excluded.updated_at`,
			record.OktaID, record.LMSID, record.Email, record.Active, string(body), runID, now)
		return err
	})
}

// OpFailed journals the op as failed with the reason.
func (s *Store) OpFailed(ctx context.Context, opID int64, reason string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE operations SET status = 'failed', error = ?, finished_at = ? WHERE id = ?`,
		reason, s.stamp(), opID)
	return err
}

// Runs returns the most recent runs, newest first.
func (s *Store) Runs(ctx context.Context, limit int) ([]oksync.Run, error) {
	var rows []struct {
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
		Problems   int            `db:"problems"`
		Error      string         `db:"error"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT * FROM runs ORDER BY id DESC LIMIT ?`, limit); err != nil {
		return nil, fmt.Errorf("read the runs: %w", err)
	}
	runs := make([]oksync.Run, 0, len(rows))
	for _, r := range rows {
		run := oksync.Run{ID: r.ID, Trigger: r.Trigger, DryRun: r.DryRun, Full: r.Full, Status: r.Status,
			Planned: r.Planned, Applied: r.Applied, Failed: r.Failed, Skipped: r.Skipped, Problems: r.Problems, Error: r.Error}
		run.StartedAt, _ = time.Parse(time.RFC3339Nano, r.StartedAt)
		if r.FinishedAt.Valid {
			run.FinishedAt, _ = time.Parse(time.RFC3339Nano, r.FinishedAt.String)
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// JournalEntry is one op of the journal.
type JournalEntry struct {
	ID      int64              `db:"id"`
	RunID   int64              `db:"run_id"`
	Seq     int                `db:"seq"`
	Action  string             `db:"action"`
	OktaID  string             `db:"okta_id"`
	LMSID   string             `db:"lms_id"`
	Email   string             `db:"email"`
	Changes []reconcile.Change `db:"-"`
	Reason  string             `db:"reason"`
	Status  string             `db:"status"`
	Error   string             `db:"error"`
}

// Journal returns the ops of one run, in the order they were sent.
func (s *Store) Journal(ctx context.Context, runID int64) ([]JournalEntry, error) {
	var rows []struct {
		JournalEntry
		ChangesJSON string         `db:"changes"`
		StartedAt   string         `db:"started_at"`
		FinishedAt  sql.NullString `db:"finished_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT * FROM operations WHERE run_id = ? ORDER BY seq`, runID); err != nil {
		return nil, fmt.Errorf("read the journal of run %d: %w", runID, err)
	}
	out := make([]JournalEntry, 0, len(rows))
	for _, r := range rows {
		e := r.JournalEntry
		if err := json.Unmarshal([]byte(r.ChangesJSON), &e.Changes); err != nil {
			return nil, fmt.Errorf("decode the changes of op %d: %w", r.ID, err)
		}
		out = append(out, e)
	}
	return out, nil
}
