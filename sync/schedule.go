package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule says when the daemon runs.
type Schedule struct {
	// Specs are standard 5-field cron specs: "0 6 * * *".
	Specs    []string
	Location *time.Location
	// CatchUp runs once at start when a slot passed while the daemon was down.
	CatchUp bool
}

// ParseSchedule checks every spec, naming the config key of a bad one.
func ParseSchedule(specs []string, location *time.Location) ([]cron.Schedule, error) {
	if len(specs) == 0 {
		return nil, errors.New("schedule.times: empty; give at least one cron spec such as \"0 6 * * *\"")
	}
	var out []cron.Schedule
	for i, spec := range specs {
		s, err := cron.ParseStandard(spec)
		if err != nil {
			return nil, fmt.Errorf("schedule.times[%d]: %q is not a cron spec (minute hour day month weekday): %w", i, spec, err)
		}
		if location != nil {
			if spec, ok := s.(*cron.SpecSchedule); ok {
				spec.Location = location
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// NextRun is the first slot of any schedule after t.
func NextRun(schedules []cron.Schedule, t time.Time) time.Time {
	var next time.Time
	for _, s := range schedules {
		if n := s.Next(t); next.IsZero() || n.Before(next) {
			next = n
		}
	}
	return next
}

// latestSlot is the newest slot of any schedule at or before now, or zero
// when none fell in the past year. Cron has no "previous": slots are walked
// forward from ever earlier starts, so a frequent schedule costs few steps.
func latestSlot(schedules []cron.Schedule, now time.Time) time.Time {
	var latest time.Time
	for _, s := range schedules {
		for _, back := range []time.Duration{24 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 366 * 24 * time.Hour} {
			found := false
			for t := s.Next(now.Add(-back)); !t.After(now); t = s.Next(t) {
				found = true
				if t.After(latest) {
					latest = t
				}
			}
			if found {
				break
			}
		}
	}
	return latest
}

// MissedSlot reports whether a slot passed since the last finished
// scheduled run, so that a daemon down at 06:00 still syncs that morning.
func MissedSlot(ctx context.Context, h History, schedules []cron.Schedule, now time.Time) (bool, error) {
	slot := latestSlot(schedules, now)
	if slot.IsZero() {
		return false, nil
	}
	last, ok, err := h.LastFinished(ctx, TriggerSchedule)
	if err != nil {
		return false, err
	}
	return !ok || last.StartedAt.Before(slot), nil
}

// cronLogger adapts slog to cron's logger, which reports skipped and
// recovered jobs.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("scheduler: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("scheduler: "+msg, append(kv, "error", err)...)
}
