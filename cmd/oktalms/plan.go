package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/oktalms/oktalms/reconcile"
	"github.com/oktalms/oktalms/reconcile/report"
	oksync "github.com/oktalms/oktalms/sync"
	"github.com/oktalms/oktalms/sync/snapshot"
)

// planFormatVersion is the version of the saved plan's shape.
const planFormatVersion = 1

// savedPlan is a plan saved by `sync --dry-run --plan-out`: the exact ops,
// and fingerprints of the snapshot and the config they were computed from.
// It holds names and emails but no secret.
type savedPlan struct {
	FormatVersion int       `json:"format_version"`
	CreatedAt     time.Time `json:"created_at"`
	// Force records that the plan was made with --force: applying it applies
	// what the brakes would otherwise hold.
	Force               bool           `json:"force"`
	SnapshotFingerprint string         `json:"snapshot_fingerprint"`
	ConfigFingerprint   string         `json:"config_fingerprint"`
	Plan                reconcile.Plan `json:"plan"`
}

// configFingerprint digests what a plan depends on: the scope, the mapping,
// the target (kind, URL, account, preset, attribute paths…) and the guards.
// Secrets, timeouts and pacing are left out.
func configFingerprint(cfg Config) string {
	target := cfg.LMS // where the ops go, without the secrets and the pacing
	target.APIKey, target.Token, target.Password, target.ClientSecret = "", "", "", ""
	target.RequestTimeout, target.MaxRetries, target.Concurrency, target.RequestsPerMinute = 0, 0, 0, 0
	relevant := struct {
		OrgURL        string
		Groups        []string
		IncludeStaged bool
		Target        LMSConfig
		Mapping       MappingConfig
		Mirrored      GroupsConfig
		Safety        SafetyConfig
	}{cfg.Okta.OrgURL, cfg.Okta.Groups, cfg.Okta.IncludeStaged, target, cfg.Mapping, cfg.Groups, cfg.Safety}
	body, _ := json.Marshal(relevant) // maps marshal with sorted keys: the digest is stable
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func writePlanFile(ctx context.Context, path string, cfg Config, force bool, plan reconcile.Plan) error {
	store, err := snapshot.Open(ctx, cfg.State.Path, time.Now)
	if err != nil {
		return fmt.Errorf("state.path %s: %w", cfg.State.Path, err)
	}
	defer store.Close()
	fp, err := store.Fingerprint(ctx)
	if err != nil {
		return err
	}
	body, err := json.MarshalIndent(savedPlan{FormatVersion: planFormatVersion, CreatedAt: time.Now().UTC(), Force: force,
		SnapshotFingerprint: fp, ConfigFingerprint: configFingerprint(cfg), Plan: plan}, "", "  ")
	if err != nil {
		return err
	}
	// The plan names people: readable by its owner only, like the database.
	if err := os.WriteFile(path, append(body, '\n'), 0o600); err != nil {
		return fmt.Errorf("--plan-out: %w", err)
	}
	return os.Chmod(path, 0o600)
}

func readPlanFile(path string) (savedPlan, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return savedPlan{}, err
	}
	var p savedPlan
	if err := json.Unmarshal(body, &p); err != nil {
		return savedPlan{}, fmt.Errorf("%s is not a plan saved by oktalms sync --plan-out: %w", path, err)
	}
	if p.FormatVersion != planFormatVersion {
		return savedPlan{}, fmt.Errorf("%s has plan format %d; this oktalms reads format %d", path, p.FormatVersion, planFormatVersion)
	}
	return p, nil
}

// errStalePlan starts every refusal to apply a plan.
var errStalePlan = errors.New("the plan is refused, nothing was applied")

func newApplyCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "apply PLANFILE",
		Short: "Apply a plan saved by 'sync --dry-run --plan-out', exactly as reviewed",
		Long: `Apply a saved plan: exactly its operations, nothing re-planned.

The plan is shown, then applied op by op like a sync. It is refused, and
nothing is applied, when the snapshot changed since it was made (another
run happened), when the config it was made with changed, or when it is
older than plan.max_age (24h). Make a new one with 'sync --dry-run
--plan-out' then. A plan made with --force applies what the safety brakes
would otherwise hold.

Exit codes as for sync.`,
		Example: `  oktalms sync --config oktalms.yaml --dry-run --plan-out plan.json   # review it, share it
  oktalms apply --config oktalms.yaml plan.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfigFlag(cmd, getenv)
			if err != nil {
				return err
			}
			saved, err := readPlanFile(args[0])
			if err != nil {
				return err
			}
			if age := time.Since(saved.CreatedAt); age > cfg.Plan.MaxAge {
				return fmt.Errorf("%w: it was made %s ago, more than plan.max_age (%s)", errStalePlan,
					age.Round(time.Minute), cfg.Plan.MaxAge)
			}
			if configFingerprint(cfg) != saved.ConfigFingerprint {
				return fmt.Errorf("%w: the config changed since it was made (scope, mapping, target or safety)", errStalePlan)
			}
			if err := report.Text(stdout, saved.Plan); err != nil {
				return err
			}
			res, runErr := applySaved(cmd.Context(), cfg, saved, wait, stderr)
			if runErr == nil || res.RunID != 0 {
				writeOutcome(stdout, res)
			}
			return syncExit(res, runErr, false, false)
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 0, "when another sync is running, wait this long for it instead of exiting 1")
	return cmd
}

func applySaved(ctx context.Context, cfg Config, saved savedPlan, wait time.Duration, stderr io.Writer) (oksync.Result, error) {
	return withRunner(ctx, cfg, stderr, func(runner *oksync.Runner, store *snapshot.Store) (oksync.Result, error) {
		opts := oksync.RunOptions{Trigger: oksync.TriggerPlan, Force: saved.Force, Wait: wait}
		return runner.ApplyPlan(ctx, saved.Plan, opts, func(ctx context.Context) error {
			fp, err := store.Fingerprint(ctx)
			if err != nil {
				return err
			}
			if fp != saved.SnapshotFingerprint {
				return fmt.Errorf("%w: the snapshot changed since it was made (another run applied changes)", errStalePlan)
			}
			return nil
		})
	})
}
