package reconcile_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/reconcile"
)

// org returns n active recorded people and the same n desired, of whom the
// first `leave` are gone from the pull.
func org(n, leave int) (desired, recorded reconcile.State) {
	for i := 0; i < n; i++ {
		u := person(fmt.Sprintf("00u%03d", i), fmt.Sprintf("p%03d@example.com", i), true)
		recorded.Users = append(recorded.Users, applied(u, fmt.Sprint(i)))
		if i >= leave {
			desired.Users = append(desired.Users, u)
		}
	}
	return desired, recorded
}

func heldBy(p reconcile.Plan) map[string]int {
	out := map[string]int{}
	for _, op := range p.Held {
		out[op.HeldBy]++
	}
	return out
}

func TestGuard(t *testing.T) {
	defaults := reconcile.Safety{MaxArchives: 25, MaxArchivePercent: 10, MaxShrinkPercent: 20, ArchiveAfterMisses: 1}
	tests := []struct {
		name      string
		n, leave  int
		change    func(*reconcile.Safety)
		misses    map[string]int
		wantOps   int
		wantHeld  map[string]int
		wantGuard string
		wantBlock bool
	}{
		{name: "a few leavers are archived", n: 100, leave: 5, wantOps: 5, wantHeld: map[string]int{}},
		{name: "an empty scope archives nobody", n: 100, leave: 100, wantHeld: map[string]int{reconcile.GuardMaxShrinkPct: 100},
			wantGuard: "0 active people in scope, 100% fewer", wantBlock: true},
		{name: "a tenth of the users archives nobody", n: 100, leave: 90, wantHeld: map[string]int{reconcile.GuardMaxShrinkPct: 90},
			wantGuard: "90% fewer", wantBlock: true},
		{name: "over the count cap", n: 1000, leave: 26, wantHeld: map[string]int{reconcile.GuardMaxArchives: 26},
			wantGuard: "26 archives exceed safety.max_archives (25)", wantBlock: true},
		{name: "over the percentage cap", n: 100, leave: 11, wantHeld: map[string]int{reconcile.GuardMaxArchivePct: 11},
			wantGuard: "11% of the 100", wantBlock: true},
		{name: "--force releases the brakes", n: 100, leave: 90, change: func(s *reconcile.Safety) { s.Force = true },
			wantOps: 90, wantHeld: map[string]int{}, wantGuard: "--force"},
		{name: "protected people are never archived, even forced", n: 100, leave: 2,
			change:  func(s *reconcile.Safety) { s.Protected = []string{"P000@EXAMPLE.COM"}; s.Force = true },
			wantOps: 1, wantHeld: map[string]int{reconcile.GuardProtected: 1}},
		{name: "a glob protects a domain", n: 10, leave: 1,
			change:  func(s *reconcile.Safety) { s.Protected = []string{"*@example.com"}; s.MaxArchivePercent = 0 },
			wantOps: 0, wantHeld: map[string]int{reconcile.GuardProtected: 1}},
		{name: "the first miss is only pending", n: 100, leave: 2,
			change:  func(s *reconcile.Safety) { s.ArchiveAfterMisses = 2 },
			misses:  map[string]int{"00u000": 1}, // 00u000 missed the run before too
			wantOps: 1, wantHeld: map[string]int{reconcile.GuardMisses: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired, recorded := org(tt.n, tt.leave)
			s := defaults
			if tt.change != nil {
				tt.change(&s)
			}
			plan := reconcile.Guard(reconcile.Diff(desired, recorded, nil, opts), desired, recorded, tt.misses, s)
			if len(plan.Ops) != tt.wantOps {
				t.Errorf("ops = %d, want %d", len(plan.Ops), tt.wantOps)
			}
			if got := heldBy(plan); !reflect.DeepEqual(got, tt.wantHeld) {
				t.Errorf("held = %v, want %v", got, tt.wantHeld)
			}
			if tt.wantGuard != "" && !strings.Contains(strings.Join(plan.Guards, "\n"), tt.wantGuard) {
				t.Errorf("guards = %q, want one saying %q", plan.Guards, tt.wantGuard)
			}
			if plan.Blocked() != tt.wantBlock {
				t.Errorf("blocked = %v, want %v", plan.Blocked(), tt.wantBlock)
			}
		})
	}
}

func TestGuardKeepsCreatesAndUpdatesWhenArchivesAreHeld(t *testing.T) {
	desired, recorded := org(10, 9)
	desired.Users[0] = withTitle(desired.Users[0], "New title")
	desired.Users = append(desired.Users, person("00unew", "new@example.com", true))
	plan := reconcile.Guard(reconcile.Diff(desired, recorded, nil, opts), desired, recorded, nil,
		reconcile.Safety{MaxShrinkPercent: 20})
	if got := summary(reconcile.Plan{Ops: plan.Ops}); !reflect.DeepEqual(got, []string{"create 00unew email,name", "update 00u009 job_title"}) {
		t.Errorf("applied ops = %q, want the create and the update", got)
	}
	if len(plan.Held) != 9 || !plan.Blocked() {
		t.Errorf("held %d, blocked %v; want the 9 archives held", len(plan.Held), plan.Blocked())
	}
}

func TestCreateOnlyFieldsAreSetOnceThenLeftAlone(t *testing.T) {
	createOnly := opts
	createOnly.CreateOnly = []string{reconcile.FieldJobTitle}
	alice := person("00ua", "alice@example.com", true, "job_title", "Engineer", "hire_date", "2021-03-04")

	created := reconcile.Diff(reconcile.State{Users: []reconcile.User{alice}}, reconcile.State{}, nil, createOnly)
	if got := summary(created); !reflect.DeepEqual(got, []string{"create 00ua email,name,job_title,hire_date"}) {
		t.Errorf("create = %q, want job_title set at creation", got)
	}
	changed := withHireDate(withTitle(alice, "Director"), "2021-03-05")
	updated := reconcile.Diff(reconcile.State{Users: []reconcile.User{changed}},
		reconcile.State{Users: []reconcile.User{applied(alice, "1")}}, nil, createOnly)
	if got := summary(updated); !reflect.DeepEqual(got, []string{"update 00ua hire_date"}) {
		t.Errorf("update = %q, want only hire_date: job_title is create-only", got)
	}
	if title := updated.Ops[0].Record.Fields["job_title"]; title != "Engineer" {
		t.Errorf("record keeps job_title %q, want the applied Engineer", title)
	}
}
