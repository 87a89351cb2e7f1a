package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oktalms/oktalms/oktaclient"
	"github.com/oktalms/oktalms/reconcile"
	"github.com/oktalms/oktalms/reconcile/report"
	"github.com/oktalms/oktalms/sync/snapshot"
)

func newExplainCommand(getenv func(string) string, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "explain EMAIL|OKTA_ID",
		Short: "Why one person is (or is not) synced, field by field, and what the next run would do",
		Long: `Explain one person, reading only: whether they are in scope and why (their
Okta groups and status), which LMS account they match and by which rule
(ext_uid or email), each mapped field's Okta value and the LMS value it
becomes, and what the next run would do for them.

The safety brakes weigh a whole run, so they are not applied here: a
dry run shows them.`,
		Example: `  oktalms explain ada.okafor@example.com
  oktalms explain 00u1abcd2EFGH3ijk4l5`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfigFlag(cmd, getenv)
			if err != nil {
				return err
			}
			return explain(cmd.Context(), cfg, args[0], stdout)
		},
	}
}

func explain(ctx context.Context, cfg Config, who string, w io.Writer) error {
	oktaCfg, err := cfg.oktaClientConfig("oktalms/" + version + " explain")
	if err != nil {
		return err
	}
	okta, err := oktaclient.New(ctx, oktaCfg)
	if err != nil {
		return err
	}
	person, found, err := okta.Lookup(ctx, who)
	if err != nil {
		return fmt.Errorf("look up %s in Okta: %w", who, err)
	}
	store, err := snapshot.Open(ctx, cfg.State.Path, time.Now)
	if err != nil {
		return fmt.Errorf("state.path %s: %w", cfg.State.Path, err)
	}
	defer store.Close()
	snapshotUsers, err := store.Users(ctx)
	if err != nil {
		return err
	}
	var recorded reconcile.State
	for _, u := range snapshotUsers {
		if (found && u.OktaID == person.ID) || u.OktaID == who || strings.EqualFold(u.Email, who) {
			recorded.Users = append(recorded.Users, u)
		}
	}
	if !found && len(recorded.Users) == 0 {
		fmt.Fprintf(w, "%s is neither in Okta nor in the snapshot: oktalms has nothing to do with them.\n", who)
		return nil
	}

	if found {
		writePerson(w, person)
	} else {
		fmt.Fprintf(w, "%s is no longer in Okta (deleted); the snapshot still holds their account.\n", who)
	}

	target, err := cfg.newLMS("oktalms/"+version+" explain", nil, nil)
	if err != nil {
		return err
	}
	var live *reconcile.State
	switch {
	case len(recorded.Users) > 0:
		rec := recorded.Users[0]
		fmt.Fprintf(w, "\nLMS account: %s, created or linked by oktalms (the snapshot holds it, matched on the Okta id).\n", rec.LMSID)
	case found:
		acct, rule, ok, err := target.FindAccount(ctx, person.ID, person.Record.Email)
		if err != nil {
			return fmt.Errorf("look up %s in the LMS: %w", who, err)
		}
		live = &reconcile.State{}
		if ok {
			live.Users = []reconcile.User{acct}
			fmt.Fprintf(w, "\nLMS account: %s (%s), not yet linked; it matches by %s.\n", acct.LMSID, acct.Email, rule)
		} else {
			fmt.Fprintln(w, "\nLMS account: none with this Okta id (ext_uid) or email.")
		}
	}

	// The role, the manager and the memberships depend on the whole scope:
	// pull it, as a run would, and keep what concerns this person.
	desired := reconcile.State{}
	var memberships []reconcile.Op
	if found && person.InScope {
		pulled, err := okta.Pull(ctx)
		if err != nil {
			return fmt.Errorf("pull the Okta scope: %w", err)
		}
		desired = onePerson(pulled, person.ID)
		if len(desired.Users) > 0 {
			writeDerived(w, desired.Users[0])
		}
		if memberships, err = membershipOps(ctx, cfg, store, pulled, person.ID); err != nil {
			return err
		}
	}
	plan := reconcile.Diff(desired, recorded, live, cfg.reconcileOptions())
	plan.Ops = append(plan.Ops, memberships...)
	fmt.Fprintln(w, "\nThe next run:")
	return report.Text(w, plan)
}

// onePerson is the pull reduced to one person: their record and problems.
func onePerson(pulled reconcile.State, oktaID string) reconcile.State {
	var out reconcile.State
	for _, u := range pulled.Users {
		if u.OktaID == oktaID {
			out.Users = append(out.Users, u)
		}
	}
	for _, p := range pulled.Problems {
		if p.OktaID == oktaID {
			out.Problems = append(out.Problems, p)
		}
	}
	return out
}

// membershipOps plans the whole scope against the snapshot, as a run
// would, and keeps the group memberships of one person.
func membershipOps(ctx context.Context, cfg Config, store *snapshot.Store, pulled reconcile.State, oktaID string) ([]reconcile.Op, error) {
	if len(pulled.Groups) == 0 {
		return nil, nil
	}
	users, err := store.Users(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := store.Groups(ctx)
	if err != nil {
		return nil, err
	}
	var out []reconcile.Op
	for _, op := range reconcile.Diff(pulled, reconcile.State{Users: users, Groups: groups}, nil, cfg.reconcileOptions()).Ops {
		if op.Action.OnMembership() && op.OktaID == oktaID {
			out = append(out, op)
		}
	}
	return out, nil
}

// writeDerived shows what the whole scope decides of a person: the role
// from mapping.roles and the manager resolved from mapping.manager.
func writeDerived(w io.Writer, u reconcile.User) {
	fmt.Fprintf(w, "\nRole: %s", u.Role)
	if m := u.Fields[reconcile.FieldManagerName]; m != "" {
		fmt.Fprintf(w, "; manager: %s", m)
	}
	if m := u.Fields[reconcile.FieldManagerEmail]; m != "" {
		fmt.Fprintf(w, " <%s>", m)
	}
	fmt.Fprintln(w)
}

func writePerson(w io.Writer, p oktaclient.Person) {
	fmt.Fprintf(w, "Okta user %s (login %s), status %s", p.ID, p.Login, p.Status)
	if p.Active {
		fmt.Fprintln(w, ": counts as active.")
	} else {
		fmt.Fprintln(w, ": counts as inactive (never created; archived if oktalms manages them).")
	}
	names := func(groups []oktaclient.GroupRef) string {
		if len(groups) == 0 {
			return "none"
		}
		out := make([]string, len(groups))
		for i, g := range groups {
			out[i] = fmt.Sprintf("%q", g.Name)
		}
		return strings.Join(out, ", ")
	}
	if p.InScope {
		fmt.Fprintf(w, "In scope: yes, through %s.\n", names(p.ScopeGroups))
	} else {
		fmt.Fprintf(w, "In scope: no: not in any of okta.groups. Their groups: %s.\n", names(p.Groups))
	}
	fmt.Fprintln(w, "\nFields (Okta attribute = Okta value → LMS value):")
	for _, a := range p.Attributes {
		fmt.Fprintf(w, "  %-20s %s = %q → %q\n", a.LMSField, a.OktaAttribute, a.OktaValue, a.LMSValue)
	}
	for _, pr := range p.Problems {
		what := "this field is left as it is"
		if pr.SkipUser {
			what = "this person is not synced until it is fixed"
		}
		fmt.Fprintf(w, "  ! %s %q: %s; %s\n", pr.Field, pr.Value, pr.Message, what)
	}
}
