package snapshot_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/oktalms/oktalms/reconcile"
	oksync "github.com/oktalms/oktalms/sync"
	"github.com/oktalms/oktalms/sync/snapshot"
)

func fixedClock() time.Time { return time.Date(2026, 11, 22, 6, 0, 3, 0, time.UTC) }

func openStore(t *testing.T, path string) *snapshot.Store {
	t.Helper()
	s, err := snapshot.Open(context.Background(), path, fixedClock)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// startRun opens a new store and starts a run in it.
func startRun(t *testing.T) (*snapshot.Store, int64) {
	t.Helper()
	s := openStore(t, filepath.Join(t.TempDir(), "oktalms.db"))
	runID, err := s.StartRun(context.Background(), oksync.Run{Trigger: oksync.TriggerCLI, StartedAt: fixedClock(), Status: oksync.StatusRunning})
	if err != nil {
		t.Fatal(err)
	}
	return s, runID
}

func TestOpenCreatesAPrivateFileAndMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "oktalms.db")
	openStore(t, path).Close()
	openStore(t, path) // a second open must find the schema recorded, not re-run it

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("database mode = %o, want 600", mode)
	}
}

func TestJournalAndSnapshot(t *testing.T) {
	ctx := context.Background()
	s, runID := startRun(t)
	alice := reconcile.User{OktaID: "00ua", Email: "alice@example.com", Name: "Alice", Active: true,
		Fields: map[string]string{"job_title": "Engineer"}}
	bob := reconcile.User{OktaID: "00ub", Email: "bob@example.com", Name: "Bob", Active: true}

	createAlice := reconcile.Op{Action: reconcile.ActionCreate, OktaID: "00ua", Email: alice.Email, Record: alice,
		Changes: []reconcile.Change{{Field: "email", After: alice.Email}}}
	createBob := reconcile.Op{Action: reconcile.ActionCreate, OktaID: "00ub", Email: bob.Email, Record: bob}

	ids, err := s.StartOps(ctx, runID, 1, []reconcile.Op{createAlice, createBob})
	if err != nil {
		t.Fatal(err)
	}
	aliceOp, bobOp := ids[0], ids[1]
	if unfinished, err := s.UnfinishedOps(ctx); err != nil || len(unfinished) != 2 {
		t.Fatalf("unfinished ops = %d, %v; want 2", len(unfinished), err)
	}

	applied := alice
	applied.LMSID = "101"
	if err := s.Record(ctx, []oksync.Outcome{
		{OpID: aliceOp, Op: createAlice, User: &applied},
		{OpID: bobOp, Op: createBob, Failed: "lessonly: 400 Email has already been taken"},
	}); err != nil {
		t.Fatal(err)
	}

	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []reconcile.User{applied}; !reflect.DeepEqual(users, want) {
		t.Errorf("snapshot = %+v, want only the applied op's record %+v", users, want)
	}
	if ids, err := s.LMSIDs(ctx); err != nil || !reflect.DeepEqual(ids, map[string]string{"00ua": "101"}) {
		t.Errorf("LMSIDs = %v, %v; want only the applied op's 00ua → 101", ids, err)
	}
	if unfinished, err := s.UnfinishedOps(ctx); err != nil || len(unfinished) != 0 {
		t.Errorf("unfinished ops = %d, %v; want 0", len(unfinished), err)
	}

	journal, err := s.Journal(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{journal[0].Status + " " + journal[0].LMSID, journal[1].Status + " " + journal[1].Error}
	want := []string{"applied 101", "failed lessonly: 400 Email has already been taken"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("journal = %q, want %q", got, want)
	}
	if !reflect.DeepEqual(journal[0].Changes, createAlice.Changes) {
		t.Errorf("journal changes = %+v, want %+v", journal[0].Changes, createAlice.Changes)
	}

	finished := oksync.Run{ID: runID, FinishedAt: fixedClock().Add(time.Minute), Status: oksync.StatusPartial,
		Planned: 2, Applied: 1, Failed: 1}
	if err := s.FinishRun(ctx, finished); err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != oksync.StatusPartial || runs[0].Failed != 1 || runs[0].Trigger != oksync.TriggerCLI {
		t.Errorf("runs = %+v, want one partial cli run with one failure", runs)
	}
}

func TestAppliedRecordReplacesThePreviousOne(t *testing.T) {
	ctx := context.Background()
	s, runID := startRun(t)
	for _, title := range []string{"Engineer", "Lead"} {
		rec := reconcile.User{OktaID: "00ua", LMSID: "7", Email: "a@example.com", Active: true,
			Fields: map[string]string{"job_title": title}}
		op := reconcile.Op{Action: reconcile.ActionUpdate, OktaID: "00ua", Record: rec}
		ids, err := s.StartOps(ctx, runID, 1, []reconcile.Op{op})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Record(ctx, []oksync.Outcome{{OpID: ids[0], Op: op, User: &rec}}); err != nil {
			t.Fatal(err)
		}
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].Fields["job_title"] != "Lead" {
		t.Errorf("snapshot = %+v, want one row with job_title Lead", users)
	}
}

func TestAnOutcomeThatCannotBeRecordedFailsAlone(t *testing.T) {
	ctx := context.Background()
	s, runID := startRun(t)
	rec := reconcile.User{OktaID: "00ua", LMSID: "7", Email: "a@example.com", Active: true}
	create := reconcile.Op{Action: reconcile.ActionCreate, OktaID: "00ua", Record: rec}
	join := reconcile.Op{Action: reconcile.ActionMemberAdd, OktaID: "00ua", GroupOktaID: "00g-unknown"}
	ids, err := s.StartOps(ctx, runID, 1, []reconcile.Op{create, join})
	if err != nil {
		t.Fatal(err)
	}
	// The membership names a group the snapshot does not hold: its outcome
	// cannot be recorded, and must not take the create's down with it.
	err = s.Record(ctx, []oksync.Outcome{
		{OpID: ids[0], Op: create, User: &rec},
		{OpID: ids[1], Op: join, Group: &reconcile.Group{OktaID: "00g-unknown", LMSID: "9"}},
	})
	if err == nil {
		t.Error("Record = nil, want the membership's error")
	}
	if users, err := s.Users(ctx); err != nil || len(users) != 1 || users[0].LMSID != "7" {
		t.Errorf("snapshot = %+v, %v; want the created account recorded", users, err)
	}
	unfinished, err := s.UnfinishedOps(ctx)
	if err != nil || len(unfinished) != 1 || unfinished[0].ID != ids[1] {
		t.Errorf("unfinished = %+v, %v; want only the membership op", unfinished, err)
	}
}
