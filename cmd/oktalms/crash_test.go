package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	oksync "github.com/oktalms/oktalms/sync"
	"github.com/oktalms/oktalms/sync/snapshot"
)

// TestCrashRecovery is `make test-crash`: it SIGKILLs `oktalms sync` at
// many points of an apply — between any two LMS requests, during one or
// several, between the LMS's answer and the journal's commit — reruns it,
// and checks that the LMS ends exactly as Okta wants it, with no account
// twice and every op journaled applied once. It takes seconds, and
// OKTALMS_CRASH_TEST=1 runs it.
func TestCrashRecovery(t *testing.T) {
	if os.Getenv("OKTALMS_CRASH_TEST") == "" {
		t.Skip("set OKTALMS_CRASH_TEST=1 (make test-crash) to run the crash test")
	}
	w := newWorld(t)
	const people = 60
	ids := make([]string, people)
	for i := range ids {
		ids[i] = w.person(fmt.Sprintf("C%02d", i), "Rash", "title", "Clerk")
	}
	w.lessonly.SetLatency(15 * time.Millisecond)

	kills := 0
	// Phase 1 creates everyone; phase 2 updates a third, archives a third.
	phases := []func(){
		func() {},
		func() {
			for i, id := range ids {
				switch i % 3 {
				case 0:
					w.okta.SetProfile(id, "title", "Senior Clerk")
				case 1:
					w.okta.SetStatus(id, "DEPROVISIONED")
				}
			}
		},
	}
	for phase, change := range phases {
		change()
		for attempt := 0; ; attempt++ {
			if attempt > 200 {
				t.Fatalf("phase %d never completed", phase)
			}
			before := len(w.lessonly.Mutations())
			// Kill after 1, 2, … 6 further requests: the kills walk along the apply,
			// before, at and past the end of a chunk (4 ops with one in flight; a
			// chunk's answers are recorded together, so only a run that gets past
			// one moves the journal on). Mostly one op in flight, so the number of
			// kills does not hang on the machine's speed; every fourth run applies
			// four at a time, so kills also cut concurrent ops.
			killAfter := before + 1 + attempt%6
			w.env["OKTALMS_LMS_CONCURRENCY"] = "1"
			if attempt%4 == 3 {
				w.env["OKTALMS_LMS_CONCURRENCY"] = "4"
			}
			cmd := w.subprocess("sync")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { cmd.Wait(); close(exited) }()
			killed := false
			for done := false; !done; {
				select {
				case <-exited:
					done = true
				case <-time.After(time.Millisecond):
					if len(w.lessonly.Mutations()) >= killAfter {
						cmd.Process.Signal(syscall.SIGKILL)
						<-exited
						killed, done = true, true
					}
				}
			}
			if !killed {
				if code := cmd.ProcessState.ExitCode(); code != 0 {
					t.Fatalf("phase %d: a run to completion exited %d", phase, code)
				}
				break
			}
			kills++
			time.Sleep(20 * time.Millisecond) // let a request cut by the kill land in the fake, or not
		}
	}
	if kills < 20 {
		t.Errorf("only %d kills; the test must kill at 20 or more points", kills)
	}

	// The LMS is what Okta wants, once each.
	accounts := w.lessonly.Users()
	if len(accounts) != people {
		t.Errorf("%d accounts, want %d", len(accounts), people)
	}
	seen := map[string]bool{}
	for _, a := range accounts {
		if seen[a.Email] || seen[a.ExtUID] {
			t.Errorf("duplicate account %s (%s)", a.Email, a.ExtUID)
		}
		seen[a.Email], seen[a.ExtUID] = true, true
	}
	for i, id := range ids {
		a := w.account(id)
		wantTitle, wantArchived := "Clerk", false
		switch i % 3 {
		case 0:
			wantTitle = "Senior Clerk"
		case 1:
			wantArchived = true
		}
		if a.JobTitle != wantTitle || (a.ArchivedAt != nil) != wantArchived {
			t.Errorf("%s: title %q archived %v; want %q %v", a.Email, a.JobTitle, a.ArchivedAt != nil, wantTitle, wantArchived)
		}
	}

	// Every op landed in the journal as applied exactly once.
	cfg, err := loadConfig(w.config, w.getenv)
	if err != nil {
		t.Fatal(err)
	}
	store, err := snapshot.Open(context.Background(), cfg.State.Path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	applied := map[string]int{}
	runs, _ := store.Runs(context.Background(), 1000)
	for _, r := range runs {
		journal, err := store.Journal(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range journal {
			if e.Status == "started" {
				t.Errorf("op %d (%s %s) still has no outcome", e.ID, e.Action, e.Email)
			}
			if e.Status == "applied" {
				applied[e.Action+" "+e.OktaID]++
			}
		}
	}
	for op, n := range applied {
		if n != 1 {
			t.Errorf("%s journaled applied %d times", op, n)
		}
	}
	creates := 0
	for op := range applied {
		if strings.HasPrefix(op, "create ") || strings.HasPrefix(op, "link ") {
			creates++
		}
	}
	if creates != people {
		t.Errorf("%d people journaled as created or adopted, want %d", creates, people)
	}
	t.Logf("%d kills; runs: %d; final status %s", kills, len(runs), runs[0].Status)
	if runs[0].Status != oksync.StatusOK {
		t.Errorf("the last run is %s, want ok", runs[0].Status)
	}
}
