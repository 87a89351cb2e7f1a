package reconcile_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/reconcile"
)

// groupSummary renders group and membership ops as "action group person".
func groupSummary(p reconcile.Plan) []string {
	var out []string
	for _, op := range p.Ops {
		if !op.Action.OnGroup() && !op.Action.OnMembership() {
			continue
		}
		line := string(op.Action) + " " + op.GroupName
		if op.Action.OnMembership() {
			line += " " + op.Email
		}
		if op.GroupLMSID != "" {
			line += " @" + op.GroupLMSID
		}
		out = append(out, line)
	}
	return out
}

func TestGroupDiff(t *testing.T) {
	ada := person("00ua", "ada@example.com", true)
	ben := person("00ub", "ben@example.com", true)
	cy := person("00uc", "cy@example.com", true)
	people := reconcile.State{Users: []reconcile.User{ada, ben, cy}}
	recordedPeople := []reconcile.User{applied(ada, "1"), applied(ben, "2"), applied(cy, "3")}
	sales := func(name string, members ...string) reconcile.Group {
		return reconcile.Group{OktaID: "00gsales", Name: name, Members: members}
	}
	withGroups := func(s reconcile.State, groups ...reconcile.Group) reconcile.State {
		s.Groups = groups
		return s
	}
	recordedSales := reconcile.Group{OktaID: "00gsales", LMSID: "70", Name: "Sales", Members: []string{"00ua", "00ub"}}

	tests := []struct {
		name     string
		opts     reconcile.GroupOptions
		desired  reconcile.State
		recorded reconcile.State
		live     *reconcile.State
		want     []string
	}{
		{
			name:    "first run: the group is created and filled, new people included",
			desired: withGroups(people, sales("Sales", "00ua", "00ub")),
			live:    &reconcile.State{},
			want:    []string{"group-create Sales", "member-add Sales ada@example.com", "member-add Sales ben@example.com"},
		},
		{
			name:     "nothing changed: nothing planned",
			desired:  withGroups(people, sales("Sales", "00ua", "00ub")),
			recorded: reconcile.State{Users: recordedPeople, Groups: []reconcile.Group{recordedSales}},
			want:     nil,
		},
		{
			name:     "a member who left the Okta group is removed, a newcomer added",
			desired:  withGroups(people, sales("Sales", "00ua", "00uc")),
			recorded: reconcile.State{Users: recordedPeople, Groups: []reconcile.Group{recordedSales}},
			want:     []string{"member-add Sales cy@example.com @70", "member-remove Sales ben@example.com @70"},
		},
		{
			name:     "an Okta rename renames the same LMS group",
			desired:  withGroups(people, sales("Sales EMEA", "00ua", "00ub")),
			recorded: reconcile.State{Users: recordedPeople, Groups: []reconcile.Group{recordedSales}},
			want:     []string{"group-rename Sales EMEA @70"},
		},
		{
			name:     "an LMS group of the same name is linked, not duplicated",
			desired:  withGroups(people, sales("Sales", "00ua", "00ub")),
			recorded: reconcile.State{Users: recordedPeople},
			live: &reconcile.State{
				Users:  []reconcile.User{account(ada, "1", "00ua"), account(ben, "2", "00ub")},
				Groups: []reconcile.Group{{LMSID: "88", Name: "SALES", Members: []string{"1", "9"}}},
			},
			want: []string{"group-link Sales @88", "member-add Sales ben@example.com @88"},
		},
		{
			name:     "a member added by hand stays, unless the group is exclusive",
			opts:     reconcile.GroupOptions{Exclusive: true},
			desired:  withGroups(people, sales("Sales", "00ua", "00ub")),
			recorded: reconcile.State{Users: recordedPeople, Groups: []reconcile.Group{recordedSales}},
			live: &reconcile.State{
				Users:  []reconcile.User{account(ada, "1", "00ua"), account(ben, "2", "00ub"), {LMSID: "9", Email: "hand@example.com", Active: true}},
				Groups: []reconcile.Group{{LMSID: "70", Name: "Sales", Members: []string{"1", "2", "9"}}},
			},
			want: []string{"member-remove Sales hand@example.com @70"},
		},
		{
			name:     "a group dropped from the config is left alone",
			desired:  people,
			recorded: reconcile.State{Users: recordedPeople, Groups: []reconcile.Group{recordedSales}},
			want:     nil,
		},
		{
			name:     "…or archived with archive_removed",
			opts:     reconcile.GroupOptions{ArchiveRemoved: true},
			desired:  people,
			recorded: reconcile.State{Users: recordedPeople, Groups: []reconcile.Group{recordedSales}},
			want:     []string{"group-archive Sales @70"},
		},
		{
			name: "managers follow the managers group",
			desired: withGroups(people, reconcile.Group{OktaID: "00gsales", Name: "Sales", Members: []string{"00ua", "00ub"},
				Managers: []string{"00uc"}}),
			recorded: reconcile.State{Users: recordedPeople, Groups: []reconcile.Group{recordedSales}},
			want:     []string{"manager-add Sales cy@example.com @70"},
		},
		{
			name:     "inactive members are not added",
			desired:  withGroups(reconcile.State{Users: []reconcile.User{ada, withActive(ben, false)}}, sales("Sales", "00ua", "00ub")),
			recorded: reconcile.State{Users: recordedPeople[:1]},
			want:     []string{"group-create Sales", "member-add Sales ada@example.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts
			o.Groups = tt.opts
			got := groupSummary(reconcile.Diff(tt.desired, tt.recorded, tt.live, o))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("group ops:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestPlanOrdersGroupsPeopleMembershipsThenRemovals(t *testing.T) {
	ada := person("00ua", "ada@example.com", true)
	ben := person("00ub", "ben@example.com", true)
	desired := reconcile.State{Users: []reconcile.User{ada}, Groups: []reconcile.Group{
		{OktaID: "00gnew", Name: "New", Members: []string{"00ua"}},
		{OktaID: "00gold", Name: "Old", Members: nil},
	}}
	recorded := reconcile.State{Users: []reconcile.User{applied(ben, "2")},
		Groups: []reconcile.Group{{OktaID: "00gold", LMSID: "5", Name: "Old", Members: []string{"00ub"}}}}
	plan := reconcile.Diff(desired, recorded, nil, opts)
	var got []string
	for _, op := range plan.Ops {
		got = append(got, string(op.Action))
	}
	want := []string{"group-create", "create", "member-add", "member-remove", "archive"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order = %q, want %q", got, want)
	}
}

func TestRoleFollowsOktaWhenManaged(t *testing.T) {
	ada := person("00ua", "ada@example.com", true)
	admin := ada
	admin.Role = "admin"
	managed := opts
	managed.ManageRole = true
	plan := reconcile.Diff(reconcile.State{Users: []reconcile.User{admin}}, reconcile.State{Users: []reconcile.User{applied(ada, "1")}}, nil, managed)
	if got := summary(plan); !reflect.DeepEqual(got, []string{"update 00ua role"}) {
		t.Errorf("with roles managed: %q, want the role updated", got)
	}
	plan = reconcile.Diff(reconcile.State{Users: []reconcile.User{admin}}, reconcile.State{Users: []reconcile.User{applied(ada, "1")}}, nil, opts)
	if !plan.Empty() {
		t.Errorf("without: %q, want the role left as set at creation", summary(plan))
	}
}

func TestFieldsNamingPeopleWaitForASecondPass(t *testing.T) {
	withManager := opts
	withManager.Fields = append([]string{reconcile.FieldManagerEmail}, opts.Fields...)
	withManager.SecondPass = []string{reconcile.FieldManagerEmail}
	boss := person("00uboss", "boss@example.com", true)
	ada := person("00ua", "ada@example.com", true, "manager_email", "boss@example.com")

	plan := reconcile.Diff(reconcile.State{Users: []reconcile.User{ada, boss}}, reconcile.State{}, nil, withManager)

	got := summary(plan)
	want := []string{"create 00ua email,name", "create 00uboss email,name", "update 00ua manager_email"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan = %q, want both creates, then the manager set", got)
	}
	if rec := plan.Ops[0].Record; rec.Fields["manager_email"] != "" {
		t.Errorf("the create's record holds the manager %q before it is sent", rec.Fields["manager_email"])
	}
	if !strings.Contains(plan.Ops[2].Reason, "second pass") {
		t.Errorf("reason = %q", plan.Ops[2].Reason)
	}
}

func TestManagerReferencesWaitForThePeopleTheyName(t *testing.T) {
	o := opts
	o.Fields = append([]string{reconcile.FieldManagerEmail}, opts.Fields...)
	o.SecondPass = []string{reconcile.FieldManagerEmail}
	boss := person("00uboss", "boss@example.com", true)
	ada := person("00ua", "ada@example.com", true, "manager_email", "boss@example.com", "job_title", "Engineer")
	recorded := reconcile.State{Users: []reconcile.User{applied(boss, "1"), applied(ada, "2")}}

	// The boss changes email and Ada a title: Ada's manager follows after the boss's update.
	newBoss := withEmail(boss, "chief@example.com")
	newAda := withTitle(withField(ada, "manager_email", "chief@example.com"), "Lead")
	plan := reconcile.Diff(reconcile.State{Users: []reconcile.User{newAda, newBoss}}, recorded, nil, o)
	got := summary(plan)
	want := []string{"update 00ua job_title", "update 00uboss email", "update 00ua manager_email"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan = %q, want the manager reference last", got)
	}

	// A manager outside the scope is held back, with a problem, not sent.
	outside := withField(ada, "manager_email", "stranger@example.com")
	plan = reconcile.Diff(reconcile.State{Users: []reconcile.User{outside, boss}}, recorded, nil, o)
	if got := summary(plan); !reflect.DeepEqual(got, []string{"problem 00ua manager_email"}) {
		t.Errorf("plan = %q, want only a problem for the unsynced manager", got)
	}
}
