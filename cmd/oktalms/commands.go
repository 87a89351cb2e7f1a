package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oktalms/oktalms/lms"
	"github.com/oktalms/oktalms/oktaclient"
	"github.com/oktalms/oktalms/reconcile/report"
	oksync "github.com/oktalms/oktalms/sync"
	"github.com/oktalms/oktalms/sync/snapshot"
)

// defaultConfigPath is read when --config is not given and the file exists.
const defaultConfigPath = "/etc/oktalms/oktalms.yaml"

func newRootCommand(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "oktalms",
		Short: "Sync people from Okta to a learning platform, with what SCIM cannot carry",
		Long: `oktalms keeps a learning platform (Lessonly / Seismic Learning) in line with Okta.

It pulls the members of the Okta groups in scope, compares them with the
snapshot of what it last applied, and creates, updates, archives and
reactivates LMS accounts through the LMS's own API — hire date, custom
fields and roles included, which SCIM provisioning cannot carry.

Start with:
  oktalms demo                          the whole sync on built-in simulators
  oktalms sync --config FILE --dry-run  what a sync would change, changing nothing
  oktalms sync --config FILE            apply it

Configuration is a YAML file (see config.example.yaml); any key can be
overridden by an environment variable OKTALMS_<SECTION>_<KEY>, such as
OKTALMS_OKTA_TOKEN or OKTALMS_LMS_API_KEY.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().String("config", "", "config file (default "+defaultConfigPath+" when it exists, else environment only)")
	root.AddCommand(
		newSyncCommand(getenv, stdout, stderr),
		newRunCommand(getenv, stdout, stderr),
		newStatusCommand(getenv, stdout),
		newHistoryCommand(getenv, stdout),
		newCheckCommand(getenv, stdout),
		newDemoCommand(stdout, stderr),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(stdout, "oktalms", version) },
		},
	)
	return root
}

func newSyncCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	var opts struct {
		dryRun bool
		full   bool
		format string
		wait   time.Duration
	}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Run one sync now: pull Okta, plan, apply (or only show, with --dry-run)",
		Long: `Run one sync now.

oktalms pulls every member of the configured Okta groups, plans against the
snapshot of what it last applied and applies the plan op by op, journaling
each one. With --dry-run it prints the plan and changes nothing: not the
LMS, not the snapshot.

Only one sync runs at a time on a state database, whoever started it: a
second one exits 1 naming the run in progress, or waits with --wait.

Exit codes: 0 done; 1 error (nothing or not everything applied: see the
message); 4 finished, but some people were held back by a problem in their
Okta record or an op the LMS refused (listed in the output).`,
		Example: `  oktalms sync --config /etc/oktalms/oktalms.yaml --dry-run
  oktalms sync --config oktalms.yaml --dry-run --format json > plan.json
  oktalms sync --config oktalms.yaml --full`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(report.Formats, opts.format) {
				return fmt.Errorf("--format: %q is not one of %s", opts.format, strings.Join(report.Formats, ", "))
			}
			cfg, err := loadConfigFlag(cmd, getenv)
			if err != nil {
				return err
			}
			runOpts := oksync.RunOptions{Trigger: oksync.TriggerCLI, DryRun: opts.dryRun, Full: opts.full, Wait: opts.wait}
			res, runErr := syncOnce(cmd.Context(), cfg, runOpts, stderr)
			if runErr == nil || planned(res) {
				if err := report.Write(stdout, opts.format, res.Plan); err != nil {
					return err
				}
				if !opts.dryRun && opts.format == "text" {
					writeOutcome(stdout, res)
				}
			}
			return syncExit(res, runErr)
		},
	}
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "print the plan and change nothing")
	cmd.Flags().BoolVar(&opts.full, "full", false, "list the LMS too, to link and correct accounts changed by hand")
	cmd.Flags().StringVar(&opts.format, "format", "text", "report format: "+strings.Join(report.Formats, ", "))
	cmd.Flags().DurationVar(&opts.wait, "wait", 0, "when another sync is running, wait this long for it (e.g. 10m) instead of exiting 1")
	return cmd
}

// loadConfigFlag loads --config, or the default path when it exists.
func loadConfigFlag(cmd *cobra.Command, getenv func(string) string) (Config, error) {
	path, _ := cmd.Flags().GetString("config")
	if path == "" {
		if _, err := os.Stat(defaultConfigPath); err == nil {
			path = defaultConfigPath
		}
	}
	return loadConfig(path, getenv)
}

// syncOnce wires the configured sides and runs once. The result is
// returned even with an error, whenever a plan was made.
func syncOnce(ctx context.Context, cfg Config, opts oksync.RunOptions, stderr io.Writer) (oksync.Result, error) {
	logger, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return oksync.Result{}, err
	}
	store, err := snapshot.Open(ctx, cfg.State.Path, time.Now)
	if err != nil {
		return oksync.Result{}, fmt.Errorf("state.path %s: %w", cfg.State.Path, err)
	}
	defer store.Close()
	runner, err := newRunner(ctx, cfg, store, logger, nil)
	if err != nil {
		return oksync.Result{}, err
	}
	return runner.RunOnce(ctx, opts)
}

// planned reports whether the run got as far as a plan worth showing.
func planned(res oksync.Result) bool {
	return len(res.Plan.Ops) > 0 || len(res.Plan.Problems) > 0
}

// syncExit maps a run's outcome to the documented exit codes.
func syncExit(res oksync.Result, runErr error) error {
	switch {
	case runErr != nil:
		return runErr
	case res.Incomplete():
		return &exitError{code: exitPartial}
	}
	return nil
}

// writeOutcome tells what an apply did, and which ops did not happen and why.
func writeOutcome(w io.Writer, res oksync.Result) {
	fmt.Fprintf(w, "Applied: %d of %d", len(res.Applied), len(res.Plan.Ops))
	if n := len(res.Failures); n > 0 {
		fmt.Fprintf(w, ", %d failed", n)
	}
	if n := len(res.Skipped); n > 0 {
		fmt.Fprintf(w, ", %d skipped", n)
	}
	fmt.Fprintln(w, ".")
	for _, f := range res.Failures {
		fmt.Fprintf(w, "  ✗ %s\n", f.Err)
	}
	for _, op := range res.Skipped {
		fmt.Fprintf(w, "  ⏸ %s %s (okta:%s): skipped, an earlier op failed; the next run retries it\n", op.Action, op.Email, op.OktaID)
	}
}

// newRunner builds the Okta source and the LMS target around the store.
// With metrics, every API request and retry is counted.
func newRunner(ctx context.Context, cfg Config, store oksync.Store, logger *slog.Logger, metrics *oksync.Metrics) (*oksync.Runner, error) {
	userAgent := "oktalms/" + version
	oktaCfg, err := cfg.oktaClientConfig(userAgent)
	if err != nil {
		return nil, err
	}
	lmsCfg := cfg.lessonlyConfig(userAgent)
	var observers []oksync.Observer
	if metrics != nil {
		observers = append(observers, metrics)
		oktaCfg.Transport = metrics.Transport("okta", http.DefaultTransport)
		oktaCfg.OnRetry = func() { metrics.Retry("okta") }
		lmsCfg.HTTPClient = &http.Client{Transport: metrics.Transport("lms", http.DefaultTransport)}
		lmsCfg.Retry.OnRetry = func() { metrics.Retry("lms") }
	}
	if cfg.Notify.WebhookURL != "" {
		observers = append(observers, &oksync.Webhook{URL: cfg.Notify.WebhookURL, Always: cfg.Notify.Always,
			Client: &http.Client{}, Logger: logger})
	}
	source, err := oktaclient.New(ctx, oktaCfg)
	if err != nil {
		return nil, err
	}
	target, err := lms.NewLessonly(lmsCfg)
	if err != nil {
		return nil, err
	}
	return &oksync.Runner{Source: source, Target: target, Store: store, Options: cfg.reconcileOptions(),
		Logger: logger, Now: time.Now, Observers: observers}, nil
}

func newLogger(cfg LogConfig, w io.Writer) (*slog.Logger, error) {
	level, err := parseLevel(cfg.Level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

func parseLevel(s string) (slog.Level, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log.level: %q is not debug, info, warn or error", s)
	}
	return level, nil
}
