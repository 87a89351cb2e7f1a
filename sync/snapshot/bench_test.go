package snapshot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/oktalms/oktalms/reconcile"
	oksync "github.com/oktalms/oktalms/sync"
	"github.com/oktalms/oktalms/sync/snapshot"
)

// BenchmarkCommit100k journals and commits the creates of 100,000 people
// as a run does: chunks of 16 ops journaled as started, then their answers
// recorded together (target: under five seconds).
func BenchmarkCommit100k(b *testing.B) {
	const n, chunk = 100_000, 16
	ctx := context.Background()
	ops := make([]reconcile.Op, n)
	for i := range ops {
		u := reconcile.User{OktaID: fmt.Sprintf("00u%08d", i), LMSID: fmt.Sprint(i), Email: fmt.Sprintf("p%08d@example.com", i),
			Name: "P", Active: true, Fields: map[string]string{"job_title": "Engineer"}}
		ops[i] = reconcile.Op{Action: reconcile.ActionCreate, OktaID: u.OktaID, Email: u.Email, Record: u,
			Changes: []reconcile.Change{{Field: "email", After: u.Email}}}
	}
	for b.Loop() {
		b.StopTimer()
		s, err := snapshot.Open(ctx, filepath.Join(b.TempDir(), "s.db"), time.Now)
		if err != nil {
			b.Fatal(err)
		}
		runID, err := s.StartRun(ctx, oksync.Run{Trigger: "bench", StartedAt: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for c := 0; c < n; c += chunk {
			batch := ops[c:min(c+chunk, n)]
			ids, err := s.StartOps(ctx, runID, c+1, batch)
			if err != nil {
				b.Fatal(err)
			}
			outcomes := make([]oksync.Outcome, len(batch))
			for i := range batch {
				outcomes[i] = oksync.Outcome{OpID: ids[i], Op: batch[i], User: &batch[i].Record}
			}
			if err := s.Record(ctx, outcomes); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if users, _ := s.Users(ctx); len(users) != n {
			b.Fatalf("%d snapshot rows, want %d", len(users), n)
		}
		s.Close()
		b.StartTimer()
	}
}
