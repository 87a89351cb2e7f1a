package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	oksync "github.com/oktalms/oktalms/sync"
	"github.com/oktalms/oktalms/sync/snapshot"
)

// openHistory opens the state database for reading what happened.
func openHistory(cmd *cobra.Command, getenv func(string) string) (Config, *snapshot.Store, error) {
	cfg, err := loadConfigFlag(cmd, getenv)
	if err != nil {
		return Config{}, nil, err
	}
	store, err := snapshot.Open(cmd.Context(), cfg.State.Path, time.Now)
	if err != nil {
		return Config{}, nil, fmt.Errorf("state.path %s: %w", cfg.State.Path, err)
	}
	return cfg, store, nil
}

func newStatusCommand(getenv func(string) string, stdout io.Writer) *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Recent runs, the next scheduled run, the snapshot size and health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, store, err := openHistory(cmd, getenv)
			if err != nil {
				return err
			}
			defer store.Close()
			st, err := readStatus(cmd.Context(), cfg, store, limit)
			if err != nil {
				return err
			}
			if asJSON {
				return writeIndentedJSON(stdout, st)
			}
			writeStatus(stdout, st)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "runs", 10, "how many recent runs to show")
	return cmd
}

type status struct {
	Runs          []oksync.Run `json:"runs"`
	NextRun       time.Time    `json:"next_run"`
	SnapshotUsers int          `json:"snapshot_users"`
	Healthy       bool         `json:"healthy"`
	Unhealthy     string       `json:"unhealthy_reason,omitempty"`
}

func readStatus(ctx context.Context, cfg Config, store *snapshot.Store, limit int) (status, error) {
	runs, err := store.Runs(ctx, limit)
	if err != nil {
		return status{}, err
	}
	users, err := store.UserCount(ctx)
	if err != nil {
		return status{}, err
	}
	schedules, err := oksync.ParseSchedule(cfg.Schedule.Times, cfg.Schedule.location())
	if err != nil {
		return status{}, err
	}
	health, err := oksync.CheckHealth(ctx, store, cfg.Admin.UnhealthyAfter)
	if err != nil {
		return status{}, err
	}
	return status{Runs: runs, NextRun: oksync.NextRun(schedules, time.Now()).UTC(), SnapshotUsers: users,
		Healthy: health.Healthy, Unhealthy: health.Reason}, nil
}

func writeStatus(w io.Writer, st status) {
	health := "healthy"
	if !st.Healthy {
		health = "UNHEALTHY: " + st.Unhealthy
	}
	fmt.Fprintf(w, "Health:        %s\n", health)
	fmt.Fprintf(w, "Next run:      %s (by the schedule in the config)\n", st.NextRun.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "Snapshot:      %d people created or linked by oktalms\n\n", st.SnapshotUsers)
	if len(st.Runs) == 0 {
		fmt.Fprintln(w, "No runs yet.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED (UTC)\tTRIGGER\tMODE\tSTATUS\tPLANNED\tAPPLIED\tFAILED\tSKIPPED\tHELD\tPROBLEMS\tDURATION")
	for _, r := range st.Runs {
		mode := "apply"
		if r.DryRun {
			mode = "dry run"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.ID, r.StartedAt.UTC().Format("2006-01-02 15:04:05"),
			r.Trigger, mode, r.Status, r.Planned, r.Applied, r.Failed, r.Skipped, r.Held, r.Problems,
			r.Duration(time.Now()).Round(time.Millisecond))
	}
	tw.Flush()
	for _, r := range st.Runs {
		if r.Error != "" {
			fmt.Fprintf(w, "\nrun %d: %s", r.ID, r.Error)
		}
	}
	fmt.Fprintln(w)
}

func newHistoryCommand(getenv func(string) string, stdout io.Writer) *cobra.Command {
	var asJSON bool
	var user string
	cmd := &cobra.Command{
		Use:   "history [RUN_ID]",
		Short: "The operations journal: what changed, to whom, when, field old → new",
		Long: `The operations journal — the audit trail.

Without arguments: the operations of the latest run that applied any.
With RUN_ID: that run's operations. With --user EMAIL (or an Okta id):
every operation concerning that person, newest first.`,
		Example: `  oktalms history
  oktalms history 42
  oktalms history --user ada.okafor@example.com --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, store, err := openHistory(cmd, getenv)
			if err != nil {
				return err
			}
			defer store.Close()
			entries, title, err := readHistory(cmd.Context(), store, args, user)
			if err != nil {
				return err
			}
			if asJSON {
				return writeIndentedJSON(stdout, map[string]any{"operations": entries})
			}
			writeHistory(stdout, title, entries)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&user, "user", "", "only the operations concerning this email or Okta id")
	return cmd
}

func readHistory(ctx context.Context, store *snapshot.Store, args []string, user string) ([]oksync.JournalEntry, string, error) {
	switch {
	case user != "":
		entries, err := store.UserJournal(ctx, user, 1000)
		return entries, "Operations concerning " + user + ", newest first", err
	case len(args) == 1:
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("RUN_ID: %q is not a run number", args[0])
		}
		if _, err := store.Run(ctx, id); err != nil {
			return nil, "", err
		}
		entries, err := store.Journal(ctx, id)
		return entries, fmt.Sprintf("Operations of run %d", id), err
	}
	runs, err := store.Runs(ctx, 200)
	if err != nil {
		return nil, "", err
	}
	for _, r := range runs {
		if !r.DryRun && r.Planned > 0 {
			entries, err := store.Journal(ctx, r.ID)
			return entries, fmt.Sprintf("Operations of run %d (%s, %s)", r.ID, r.Trigger,
				r.StartedAt.UTC().Format("2006-01-02 15:04 UTC")), err
		}
	}
	return nil, "No run has applied anything yet.", nil
}

func writeHistory(w io.Writer, title string, entries []oksync.JournalEntry) {
	fmt.Fprintln(w, title)
	for _, e := range entries {
		fmt.Fprintf(w, "\n%s  run %d  %-10s %-8s %s  okta:%s", e.StartedAt.UTC().Format("2006-01-02 15:04:05"), e.RunID,
			e.Action, e.Status, e.Email, e.OktaID)
		if e.LMSID != "" {
			fmt.Fprintf(w, " lms:%s", e.LMSID)
		}
		fmt.Fprintf(w, "\n    # %s\n", e.Reason)
		for _, c := range e.Changes {
			fmt.Fprintf(w, "    %s: %q → %q\n", c.Field, c.Before, c.After)
		}
		if e.Error != "" {
			fmt.Fprintf(w, "    error: %s\n", strings.TrimSpace(e.Error))
		}
	}
}

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
