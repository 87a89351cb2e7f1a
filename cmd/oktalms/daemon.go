package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spf13/cobra"

	oksync "github.com/oktalms/oktalms/sync"
	"github.com/oktalms/oktalms/sync/snapshot"
)

func newRunCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run as a daemon: sync on schedule (06:00 and 15:00 UTC by default), serve the admin API",
		Long: `Run as a daemon.

oktalms syncs at the times of schedule.times (cron specs, in
schedule.timezone, UTC by default: 06:00 and 15:00 like the vendors' own
pull integrations). Runs never overlap, in this process or any other on the
same state database. If a slot passed while the daemon was down, it runs
once at start (schedule.catch_up).

The admin API (admin.listen, 127.0.0.1:8787 by default) answers
  GET  /healthz           200, or 503 after admin.unhealthy_after failed runs in a row
  GET  /metrics           Prometheus metrics
  POST /v1/sync           sync now (?dry_run=true answers the plan as JSON);
                          409 while a run is in progress, 503 while shutting down
  GET  /v1/runs           recent runs and the next scheduled one
  GET  /v1/runs/{id}      one run and its operations
A listen address beyond this machine requires admin.token (a bearer token).

On SIGTERM or SIGINT the daemon stops scheduling, lets the run in flight
finish its current operation and record it (at most
schedule.shutdown_timeout), and exits 0. A second signal exits at once.

The configuration is validated at start and both APIs are probed, as
'oktalms check' does: a daemon that cannot work (credentials refused, a
group or custom field that does not exist) refuses to start; an outage of
either API does not keep it from starting, and its runs report it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfigFlag(cmd, getenv)
			if err != nil {
				return err
			}
			var checks bytes.Buffer
			if _, permanent := runChecks(cmd.Context(), cfg, &checks); permanent > 0 {
				return fmt.Errorf("start-up checks failed, so the daemon does not start:\n%s", checks.String())
			}
			return serve(cmd, cfg, stderr)
		},
	}
}

// serve wires the daemon and runs it until the context ends.
func serve(cmd *cobra.Command, cfg Config, stderr io.Writer) error {
	ctx := cmd.Context()
	logger, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return err
	}
	store, err := snapshot.Open(ctx, cfg.State.Path, time.Now)
	if err != nil {
		return fmt.Errorf("state.path %s: %w", cfg.State.Path, err)
	}
	defer store.Close()
	metrics := oksync.NewMetrics(store)
	runner, err := newRunner(ctx, cfg, store, logger, metrics)
	if err != nil {
		return err
	}
	daemon := &oksync.Daemon{
		Runner:  runner,
		History: store,
		Schedule: oksync.Schedule{Specs: cfg.Schedule.Times, Location: cfg.Schedule.location(),
			CatchUp: cfg.Schedule.CatchUp},
		ShutdownTimeout: cfg.Schedule.ShutdownTimeout,
		Logger:          logger,
		Now:             time.Now,
	}
	if cfg.Admin.Listen != "" {
		listener, err := net.Listen("tcp", cfg.Admin.Listen)
		if err != nil {
			return fmt.Errorf("admin.listen: %w", err)
		}
		daemon.AdminListener = listener
		daemon.Admin = &oksync.Admin{History: store, Metrics: metrics, Token: cfg.Admin.Token,
			UnhealthyAfter: cfg.Admin.UnhealthyAfter, Now: time.Now}
	}
	return daemon.Serve(ctx)
}
