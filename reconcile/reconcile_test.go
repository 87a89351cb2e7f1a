package reconcile_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/reconcile"
)

var opts = reconcile.Options{
	Fields:       []string{reconcile.FieldJobTitle, reconcile.FieldHireDate},
	CustomFields: []string{"Employee ID"},
}

func person(id, email string, active bool, fields ...string) reconcile.User {
	u := reconcile.User{OktaID: id, Email: email, Name: "Name " + id, Role: "learner", Active: active,
		Fields: map[string]string{}, Custom: map[string]string{}}
	for i := 0; i+1 < len(fields); i += 2 {
		if k, ok := strings.CutPrefix(fields[i], reconcile.CustomPrefix); ok {
			u.Custom[k] = fields[i+1]
			continue
		}
		u.Fields[fields[i]] = fields[i+1]
	}
	return u
}

func applied(u reconcile.User, lmsID string) reconcile.User {
	u.LMSID = lmsID
	return u
}

func account(u reconcile.User, lmsID, extUID string) reconcile.User {
	u.OktaID = ""
	u.LMSID = lmsID
	u.ExtUID = extUID
	return u
}

// summary renders a plan as "action okta_id field,field" lines: compact and
// exact enough to compare in a table.
func summary(p reconcile.Plan) []string {
	var out []string
	for _, op := range p.Ops {
		var fields []string
		for _, c := range op.Changes {
			fields = append(fields, c.Field)
		}
		line := string(op.Action) + " " + op.OktaID + " " + strings.Join(fields, ",")
		if op.Restore {
			line += " +restore"
		}
		out = append(out, strings.TrimSpace(line))
	}
	for _, pr := range p.Problems {
		out = append(out, "problem "+pr.OktaID+" "+pr.Field)
	}
	return out
}

func TestDiff(t *testing.T) {
	alice := person("00ua", "alice@example.com", true, "job_title", "Engineer", "hire_date", "2021-03-04", "custom:Employee ID", "42")
	bob := person("00ub", "bob@example.com", true, "job_title", "Designer")
	carol := person("00uc", "carol@example.com", true)

	tests := []struct {
		name     string
		desired  reconcile.State
		recorded reconcile.State
		live     *reconcile.State
		want     []string
	}{
		{
			name:    "first run creates everyone active, in email order",
			desired: reconcile.State{Users: []reconcile.User{bob, alice, person("00ud", "dan@example.com", false)}},
			live:    &reconcile.State{},
			want: []string{
				"create 00ua email,name,job_title,hire_date,custom:Employee ID",
				"create 00ub email,name,job_title",
			},
		},
		{
			name:     "unchanged directory plans nothing, whatever the spacing and letter case",
			desired:  reconcile.State{Users: []reconcile.User{withEmail(withTitle(alice, "  Engineer "), "Alice@Example.com")}},
			recorded: reconcile.State{Users: []reconcile.User{applied(alice, "1")}},
			want:     nil,
		},
		{
			name:     "changed fields only",
			desired:  reconcile.State{Users: []reconcile.User{withTitle(alice, "Staff Engineer"), bob}},
			recorded: reconcile.State{Users: []reconcile.User{applied(alice, "1"), applied(bob, "2")}},
			want:     []string{"update 00ua job_title"},
		},
		{
			name:     "email change of the same Okta id is an update, never a create",
			desired:  reconcile.State{Users: []reconcile.User{withEmail(alice, "alice.smith@example.com")}},
			recorded: reconcile.State{Users: []reconcile.User{applied(alice, "1")}},
			want:     []string{"update 00ua email"},
		},
		{
			name:     "deactivated in Okta and gone from scope are archived",
			desired:  reconcile.State{Users: []reconcile.User{withActive(alice, false)}},
			recorded: reconcile.State{Users: []reconcile.User{applied(alice, "1"), applied(bob, "2")}},
			want:     []string{"archive 00ua", "archive 00ub"},
		},
		{
			name:     "archived people who stay out are left alone",
			desired:  reconcile.State{Users: []reconcile.User{withActive(alice, false)}},
			recorded: reconcile.State{Users: []reconcile.User{withActive(applied(alice, "1"), false), withActive(applied(bob, "2"), false)}},
			want:     nil,
		},
		{
			name:     "back in scope is reactivated with what changed meanwhile",
			desired:  reconcile.State{Users: []reconcile.User{withTitle(alice, "Manager")}},
			recorded: reconcile.State{Users: []reconcile.User{withActive(applied(alice, "1"), false)}},
			want:     []string{"reactivate 00ua job_title"},
		},
		{
			name:    "an LMS account with the email in other letter case is linked",
			desired: reconcile.State{Users: []reconcile.User{alice}},
			live:    &reconcile.State{Users: []reconcile.User{account(withEmail(withTitle(alice, "Intern"), "ALICE@example.com"), "7", "")}},
			want:    []string{"link 00ua ext_uid,job_title"},
		},
		{
			name:    "an archived account found by ext_uid is linked and restored",
			desired: reconcile.State{Users: []reconcile.User{alice}},
			live:    &reconcile.State{Users: []reconcile.User{withActive(account(withEmail(alice, "old@example.com"), "7", "00ua"), false)}},
			want:    []string{"link 00ua email +restore"},
		},
		{
			name:     "an LMS account nobody created or linked is never archived",
			desired:  reconcile.State{},
			recorded: reconcile.State{},
			live:     &reconcile.State{Users: []reconcile.User{account(alice, "7", "")}},
			want:     nil,
		},
		{
			name:    "an account with this email linked to another Okta id is not adopted",
			desired: reconcile.State{Users: []reconcile.User{alice}},
			live:    &reconcile.State{Users: []reconcile.User{account(alice, "7", "00uzzz")}},
			want:    []string{"problem 00ua email"},
		},
		{
			name:     "a listed LMS corrects drift made by hand",
			desired:  reconcile.State{Users: []reconcile.User{alice}},
			recorded: reconcile.State{Users: []reconcile.User{applied(alice, "1")}},
			live:     &reconcile.State{Users: []reconcile.User{account(withTitle(alice, "Changed by hand"), "1", "00ua")}},
			want:     []string{"update 00ua job_title"},
		},
		{
			name:     "an account deleted in the LMS is created again",
			desired:  reconcile.State{Users: []reconcile.User{alice}},
			recorded: reconcile.State{Users: []reconcile.User{applied(alice, "1")}},
			live:     &reconcile.State{},
			want:     []string{"create 00ua email,name,job_title,hire_date,custom:Employee ID"},
		},
		{
			name: "two active Okta users with one email: neither applied, both reported",
			desired: reconcile.State{Users: []reconcile.User{
				alice, withEmail(bob, "alice@example.com"), carol,
			}},
			want: []string{"create 00uc email,name", "problem 00ua email", "problem 00ub email"},
		},
		{
			name: "a person skipped for a problem is neither changed nor archived",
			desired: reconcile.State{Problems: []reconcile.Problem{
				{OktaID: "00ua", Field: "email", Value: "not-an-email", SkipUser: true},
			}},
			recorded: reconcile.State{Users: []reconcile.User{applied(alice, "1")}},
			want:     []string{"problem 00ua email"},
		},
		{
			name: "a field held back by a problem keeps its applied value",
			desired: reconcile.State{
				Users:    []reconcile.User{withTitle(withHireDate(alice, ""), "CTO")},
				Problems: []reconcile.Problem{{OktaID: "00ua", Field: "hire_date", Value: "yesterday"}},
			},
			recorded: reconcile.State{Users: []reconcile.User{applied(alice, "1")}},
			want:     []string{"update 00ua job_title", "problem 00ua hire_date"},
		},
		{
			name: "a warning (a corrected value) holds nothing back",
			desired: reconcile.State{
				Users:    []reconcile.User{withTitle(alice, "CTO")},
				Problems: []reconcile.Problem{{OktaID: "00ua", Field: "name", Value: "Alice (CTO)", Warning: true}},
			},
			recorded: reconcile.State{Users: []reconcile.User{applied(alice, "1")}},
			want:     []string{"update 00ua job_title", "problem 00ua name"},
		},
		{
			name:     "a field no mapping manages is never compared",
			desired:  reconcile.State{Users: []reconcile.User{alice}},
			recorded: reconcile.State{Users: []reconcile.User{applied(alice, "1")}},
			live:     &reconcile.State{Users: []reconcile.User{account(withField(alice, "locale", "fr"), "1", "00ua")}},
			want:     nil,
		},
		{
			name:     "a cleared Okta attribute clears the LMS field",
			desired:  reconcile.State{Users: []reconcile.User{withTitle(bob, "")}},
			recorded: reconcile.State{Users: []reconcile.User{applied(bob, "2")}},
			want:     []string{"update 00ub job_title"},
		},
		{
			name:     "deactivated people are never created",
			desired:  reconcile.State{Users: []reconcile.User{withActive(carol, false)}},
			live:     &reconcile.State{Users: []reconcile.User{account(carol, "9", "")}},
			recorded: reconcile.State{},
			want:     nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summary(reconcile.Diff(tt.desired, tt.recorded, tt.live, opts))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestDiffRecordsWhatTheLMSWillHold(t *testing.T) {
	alice := person("00ua", "alice@example.com", true, "job_title", "Engineer")
	live := &reconcile.State{Users: []reconcile.User{withActive(account(alice, "7", ""), false)}}
	live.Users[0].Role = "admin"

	plan := reconcile.Diff(reconcile.State{Users: []reconcile.User{withTitle(alice, "Lead")}}, reconcile.State{}, live, opts)

	if len(plan.Ops) != 1 {
		t.Fatalf("got %d ops, want 1", len(plan.Ops))
	}
	rec := plan.Ops[0].Record
	if rec.LMSID != "7" || rec.OktaID != "00ua" || !rec.Active || rec.Fields["job_title"] != "Lead" {
		t.Errorf("record = %+v, want LMS id 7, Okta id 00ua, active, job_title Lead", rec)
	}
	if rec.Role != "admin" {
		t.Errorf("record role = %q, want the linked account's own role admin", rec.Role)
	}
	want := reconcile.Change{Field: "job_title", Before: "Engineer", After: "Lead"}
	if c := plan.Ops[0].Changes[1]; c != want {
		t.Errorf("change = %+v, want %+v", c, want)
	}
}

func TestDiffIsDeterministic(t *testing.T) {
	var desired, recorded []reconcile.User
	for i := 0; i < 200; i++ {
		id := "00u" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		u := person(id, id+"@example.com", i%5 != 0, "job_title", "T")
		desired = append(desired, u)
		if i%3 == 0 {
			recorded = append(recorded, applied(withTitle(u, "Old"), id))
		}
	}
	first := reconcile.Diff(reconcile.State{Users: desired}, reconcile.State{Users: recorded}, nil, opts)
	for i := 0; i < 5; i++ {
		again := reconcile.Diff(reconcile.State{Users: desired}, reconcile.State{Users: recorded}, nil, opts)
		if !reflect.DeepEqual(first, again) {
			t.Fatal("two diffs of the same input differ")
		}
	}
}

func withTitle(u reconcile.User, title string) reconcile.User {
	return withField(u, reconcile.FieldJobTitle, title)
}

func withHireDate(u reconcile.User, date string) reconcile.User {
	return withField(u, reconcile.FieldHireDate, date)
}

func withField(u reconcile.User, key, value string) reconcile.User {
	fields := map[string]string{}
	for k, v := range u.Fields {
		fields[k] = v
	}
	fields[key] = value
	u.Fields = fields
	return u
}

func withEmail(u reconcile.User, email string) reconcile.User { u.Email = email; return u }

func withActive(u reconcile.User, active bool) reconcile.User { u.Active = active; return u }
