package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oktalms/oktalms/oktaclient"
	"github.com/oktalms/oktalms/reconcile"
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
		newApplyCommand(getenv, stdout, stderr),
		newExplainCommand(getenv, stdout),
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
		dryRun, full, force, detailed bool
		format, reportFile, planOut   string
		wait                          time.Duration
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

Safety brakes hold every archive of a run that would archive more than
safety.max_archives people or safety.max_archive_percent of the snapshot,
or whose Okta scope shrank by more than safety.max_shrink_percent: creates
and updates still apply, the archives are listed as held, and the exit
code is 3. --force releases the brakes.

Exit codes: 0 done; 1 error (nothing or not everything applied: see the
message); 2 changes pending (--dry-run with --detailed-exitcode); 3 archives
held by a safety brake; 4 finished, but some people were held back by a
problem in their Okta record or an op the LMS refused (listed).`,
		Example: `  oktalms sync --config /etc/oktalms/oktalms.yaml --dry-run
  oktalms sync --config oktalms.yaml --dry-run --format html --report plan.html
  oktalms sync --config oktalms.yaml --dry-run --plan-out plan.json && oktalms apply --config oktalms.yaml plan.json
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
			if opts.planOut != "" && !opts.dryRun {
				return errors.New("--plan-out: a plan is saved by a dry run; add --dry-run, then apply it with 'oktalms apply'")
			}
			runOpts := oksync.RunOptions{Trigger: oksync.TriggerCLI, DryRun: opts.dryRun, Full: opts.full,
				Force: opts.force, Wait: opts.wait}
			res, runErr := syncOnce(cmd.Context(), cfg, runOpts, stderr)
			if runErr == nil || planned(res) {
				if err := writeReport(stdout, opts.format, opts.reportFile, res.Plan); err != nil {
					return err
				}
				if !opts.dryRun && (opts.format == "text" || opts.reportFile != "") {
					writeOutcome(stdout, res)
				}
			}
			if runErr == nil && opts.planOut != "" {
				if err := writePlanFile(cmd.Context(), opts.planOut, cfg, opts.force, res.Plan); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "Plan saved to %s: review it, then 'oktalms apply %s'.\n", opts.planOut, opts.planOut)
			}
			return syncExit(res, runErr, opts.dryRun, opts.detailed)
		},
	}
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "print the plan and change nothing")
	cmd.Flags().BoolVar(&opts.full, "full", false, "list the LMS too, to link and correct accounts changed by hand")
	cmd.Flags().StringVar(&opts.format, "format", "text", "report format: "+strings.Join(report.Formats, ", "))
	cmd.Flags().BoolVar(&opts.force, "force", false, "release the safety brakes: apply archives they would hold")
	cmd.Flags().BoolVar(&opts.detailed, "detailed-exitcode", false, "with --dry-run, exit 2 when changes are pending")
	cmd.Flags().StringVar(&opts.reportFile, "report", "", "write the report to this file (mode 0600) instead of stdout")
	cmd.Flags().StringVar(&opts.planOut, "plan-out", "", "with --dry-run, save the exact plan to this file for 'oktalms apply'")
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

// syncOnce wires the configured sides and runs once, showing the pull's and
// the apply's progress when stderr is a terminal. The result is returned
// even with an error, whenever a plan was made.
func syncOnce(ctx context.Context, cfg Config, opts oksync.RunOptions, stderr io.Writer) (oksync.Result, error) {
	return withRunner(ctx, cfg, stderr, func(runner *oksync.Runner, _ *snapshot.Store) (oksync.Result, error) {
		if progress := newProgress(stderr); progress != nil {
			defer progress.end()
			if okta, ok := runner.Source.(*oktaclient.Client); ok {
				okta.OnPulled = func(people int) { progress.update("pulling Okta", people, 0) }
			}
			runner.Progress = func(done, total int) { progress.update("applying", done, total) }
		}
		return runner.RunOnce(ctx, opts)
	})
}

// withRunner opens the store, wires a runner around it and calls fn.
func withRunner(ctx context.Context, cfg Config, stderr io.Writer, fn func(*oksync.Runner, *snapshot.Store) (oksync.Result, error)) (oksync.Result, error) {
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
	return fn(runner, store)
}

// planned reports whether the run got as far as a plan worth showing.
func planned(res oksync.Result) bool {
	return len(res.Plan.Ops) > 0 || len(res.Plan.Problems) > 0
}

// syncExit maps a run's outcome to the documented exit codes; with
// detailed, a dry run with changes pending exits 2.
func syncExit(res oksync.Result, runErr error, dryRun, detailed bool) error {
	switch {
	case runErr != nil:
		return runErr
	case res.Plan.Blocked():
		return &exitError{code: exitBlocked}
	case res.Incomplete():
		return &exitError{code: exitPartial}
	case dryRun && detailed && !res.Plan.Empty():
		return &exitError{code: exitPending}
	}
	return nil
}

// writeReport writes the report to stdout, or to file (0600: it names
// people) with the summary line on stdout.
func writeReport(stdout io.Writer, format, file string, plan reconcile.Plan) error {
	if file == "" {
		return report.Write(stdout, format, plan)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	if err := report.Write(f, format, plan); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	fmt.Fprintf(stdout, "%s\nReport written to %s.\n", report.SummaryLine(plan), file)
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
	var observers []oksync.Observer
	var lmsHTTP *http.Client
	var lmsRetry func()
	if metrics != nil {
		observers = append(observers, metrics)
		oktaCfg.Transport = metrics.Transport("okta", http.DefaultTransport)
		oktaCfg.OnRetry = func() { metrics.Retry("okta") }
		lmsHTTP = &http.Client{Transport: metrics.Transport("lms", http.DefaultTransport)}
		lmsRetry = func() { metrics.Retry("lms") }
	}
	if cfg.Notify.WebhookURL != "" {
		observers = append(observers, &oksync.Webhook{URL: cfg.Notify.WebhookURL, Always: cfg.Notify.Always,
			Client: &http.Client{}, Logger: logger})
	}
	source, err := oktaclient.New(ctx, oktaCfg)
	if err != nil {
		return nil, err
	}
	target, err := cfg.newLMS(userAgent, lmsHTTP, lmsRetry)
	if err != nil {
		return nil, err
	}
	return &oksync.Runner{Source: source, Target: target, Store: store, Options: cfg.reconcileOptions(),
		Safety: cfg.Safety.reconcile(), RetryBudget: cfg.Safety.RetryBudget, Concurrency: cfg.LMS.Concurrency, Logger: logger, Now: time.Now, Observers: observers}, nil
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
