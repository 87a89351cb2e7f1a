package sync_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	oksync "github.com/oktalms/oktalms/sync"
	"github.com/oktalms/oktalms/sync/snapshot"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestScheduleFiresInItsZoneWhateverTheMachines(t *testing.T) {
	saved := time.Local
	time.Local = time.FixedZone("UTC+9", 9*3600) // the machine's zone must not matter
	defer func() { time.Local = saved }()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	tests := []struct {
		name string
		loc  *time.Location
		from string
		want string
	}{
		{"before the morning slot", time.UTC, "2026-11-22T05:59:00Z", "2026-11-22T06:00:00Z"},
		{"just after it", time.UTC, "2026-11-22T06:00:01Z", "2026-11-22T15:00:00Z"},
		{"after the afternoon slot", time.UTC, "2026-11-22T15:30:00Z", "2026-11-23T06:00:00Z"},
		{"London in summer is UTC+1", london, "2026-07-01T00:00:00Z", "2026-07-01T05:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schedules, err := oksync.ParseSchedule([]string{"0 6 * * *", "0 15 * * *"}, tt.loc)
			if err != nil {
				t.Fatal(err)
			}
			if got := oksync.NextRun(schedules, at(tt.from)); !got.Equal(at(tt.want)) {
				t.Errorf("next run after %s = %s, want %s", tt.from, got.UTC().Format(time.RFC3339), tt.want)
			}
		})
	}
}

func TestParseScheduleNamesTheBadSpec(t *testing.T) {
	_, err := oksync.ParseSchedule([]string{"0 6 * * *", "0 25 * * *"}, time.UTC)
	if err == nil || !strings.Contains(err.Error(), "schedule.times[1]") {
		t.Fatalf("got %v, want an error naming schedule.times[1]", err)
	}
	if _, err := oksync.ParseSchedule(nil, time.UTC); err == nil || !strings.Contains(err.Error(), "schedule.times") {
		t.Fatalf("got %v, want an error naming schedule.times", err)
	}
}

func TestMissedSlot(t *testing.T) {
	ctx := context.Background()
	schedules, err := oksync.ParseSchedule([]string{"0 6 * * *", "0 15 * * *"}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	now := at("2026-11-22T10:00:00Z") // the latest slot is 06:00 today
	tests := []struct {
		name    string
		runs    []oksync.Run
		dryRun  bool
		trigger string
		want    bool
	}{
		{name: "never ran", want: true},
		{name: "ran at the last slot", runs: []oksync.Run{{Trigger: oksync.TriggerSchedule, StartedAt: at("2026-11-22T06:00:01Z")}}, want: false},
		{name: "last ran yesterday afternoon", runs: []oksync.Run{{Trigger: oksync.TriggerSchedule, StartedAt: at("2026-11-21T15:00:01Z")}}, want: true},
		{name: "only a manual run since", runs: []oksync.Run{
			{Trigger: oksync.TriggerSchedule, StartedAt: at("2026-11-21T15:00:01Z")},
			{Trigger: oksync.TriggerCLI, StartedAt: at("2026-11-22T07:00:00Z")},
		}, want: true},
		{name: "only a dry run since", runs: []oksync.Run{
			{Trigger: oksync.TriggerSchedule, StartedAt: at("2026-11-21T15:00:01Z")},
			{Trigger: oksync.TriggerSchedule, DryRun: true, StartedAt: at("2026-11-22T06:00:01Z")},
		}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := snapshot.Open(ctx, filepath.Join(t.TempDir(), "s.db"), time.Now)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			for _, r := range tt.runs {
				id, err := store.StartRun(ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				r.ID, r.Status, r.FinishedAt = id, oksync.StatusOK, r.StartedAt.Add(time.Minute)
				if err := store.FinishRun(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			got, err := oksync.MissedSlot(ctx, store, schedules, now)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("missed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestScheduledJobSurvivesAPanicAndNeverOverlaps(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var mu stdsync.Mutex
	calls := 0
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	job := oksync.ScheduledJob(logger, func() {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		started <- struct{}{}
		switch n {
		case 1:
			panic("a bug in one run")
		case 2:
			<-release // a long run
		}
	})

	job.Run() // panics inside; must be recovered and must release the skip guard
	go job.Run()
	<-started
	<-started
	job.Run() // the long run is still going: this tick is skipped
	close(release)

	deadline := time.After(5 * time.Second)
	for {
		job.Run()
		mu.Lock()
		n := calls
		mu.Unlock()
		if n >= 3 {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("after a panic and a long run, later ticks never ran (calls = %d)", n)
		case <-time.After(10 * time.Millisecond):
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 3 {
		t.Errorf("calls = %d, want 3: the tick during the long run must have been skipped", calls)
	}
}
