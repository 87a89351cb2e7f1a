package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	stdsync "sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Daemon runs on schedule, serves the admin API and shuts down gracefully.
type Daemon struct {
	Runner   *Runner
	History  History
	Schedule Schedule
	// ShutdownTimeout bounds how long a shutdown waits for the op in flight.
	ShutdownTimeout time.Duration
	// Admin is the admin API; nil serves none.
	Admin *Admin
	// AdminListener is where the admin API listens (already bound, so that
	// a port in use fails the start, not the first request).
	AdminListener net.Listener
	Logger        *slog.Logger
	Now           func() time.Time
}

// Serve runs until ctx is cancelled (the first SIGTERM or SIGINT). Then it
// stops scheduling, lets the run in flight finish its current op and record
// it — waiting at most ShutdownTimeout before cancelling the call — and
// returns nil: a shutdown is not an error.
func (d *Daemon) Serve(ctx context.Context) error {
	if d.Schedule.Location == nil {
		d.Schedule.Location = time.UTC
	}
	schedules, err := ParseSchedule(d.Schedule.Specs, d.Schedule.Location)
	if err != nil {
		return err
	}
	// Runs get their own context: the shutdown signal must not cut an LMS
	// call in half. hardStop cancels it once ShutdownTimeout is spent.
	runCtx, hardStop := context.WithCancel(context.WithoutCancel(ctx))
	defer hardStop()
	stopping := make(chan struct{})
	var gate runGate
	trigger := func(opts RunOptions) (Result, error) {
		if !gate.enter() {
			return Result{}, errShuttingDown
		}
		defer gate.leave()
		opts.Stop = stopping
		return d.Runner.RunOnce(runCtx, opts)
	}

	job := ScheduledJob(d.Logger, func() {
		if _, err := trigger(RunOptions{Trigger: TriggerSchedule}); err != nil {
			d.Logger.Error("scheduled run failed", "error", err)
		}
	})
	c := cron.New(cron.WithLocation(d.Schedule.Location), cron.WithLogger(cronLogger{d.Logger}))
	for _, s := range schedules {
		c.Schedule(s, job)
	}
	c.Start()
	d.Logger.Info("daemon started", "schedule", d.Schedule.Specs, "timezone", d.Schedule.Location.String(),
		"next_run", NextRun(schedules, d.Now()).UTC().Format(time.RFC3339))

	if d.Schedule.CatchUp {
		missed, err := MissedSlot(ctx, d.History, schedules, d.Now())
		if err != nil {
			return fmt.Errorf("read the last scheduled run: %w", err)
		}
		if missed {
			d.Logger.Info("a scheduled slot passed while the daemon was down: running now")
			go job.Run()
		}
	}

	var server *http.Server
	serveErr := make(chan error, 1)
	if d.Admin != nil {
		d.Admin.trigger = trigger
		d.Admin.schedules = schedules
		server = &http.Server{Handler: d.Admin.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { serveErr <- server.Serve(d.AdminListener) }()
		d.Logger.Info("admin API listening", "address", d.AdminListener.Addr().String())
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		c.Stop()
		return fmt.Errorf("admin API: %w", err)
	}
	d.Logger.Info("shutting down: no new runs; the run in flight finishes its current op")
	close(stopping)
	cronStopped := c.Stop()
	done := make(chan struct{})
	go func() {
		<-cronStopped.Done()
		gate.closeAndWait()
		close(done)
	}()
	if server != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), d.ShutdownTimeout)
		defer cancel()
		server.Shutdown(shutdownCtx)
	}
	select {
	case <-done:
	case <-time.After(d.ShutdownTimeout):
		d.Logger.Warn("shutdown timeout spent: cancelling the call in flight", "shutdown_timeout", d.ShutdownTimeout.String())
		hardStop()
		<-done
	}
	d.Logger.Info("daemon stopped")
	return nil
}

// errShuttingDown refuses a run asked for once the daemon is stopping.
var errShuttingDown = errors.New("the daemon is shutting down: no new runs")

// runGate admits runs until it is closed, then waits for those admitted.
// Admission and closing share a lock, so no run can start while the
// shutdown waits (which a bare WaitGroup would allow: the catch-up run and
// sync-now requests are not cron's to stop).
type runGate struct {
	mu      stdsync.Mutex
	closed  bool
	running stdsync.WaitGroup
}

func (g *runGate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.running.Add(1)
	return true
}

func (g *runGate) leave() { g.running.Done() }

func (g *runGate) closeAndWait() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.running.Wait()
}

// ScheduledJob wraps a run for cron: a tick that finds the last run still
// going is skipped, and a panic is recovered inside the skip guard — in
// that order, or one panic would block every later tick.
func ScheduledJob(log *slog.Logger, run func()) cron.Job {
	l := cronLogger{log}
	return cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(cron.FuncJob(run))
}
