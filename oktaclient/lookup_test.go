package oktaclient_test

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/oktaclient"
	"github.com/oktalms/oktalms/oktaclient/oktatest"
	"github.com/oktalms/oktalms/reconcile"
)

func groupNames(refs []oktaclient.GroupRef) []string {
	names := []string{}
	for _, g := range refs {
		names = append(names, g.Name)
	}
	return names
}

func TestLookup(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	learners := srv.AddGroup("LMS Learners")
	sales := srv.AddGroup("Sales")
	member := func(u oktatest.User, groups ...string) string {
		id := srv.AddUser(u)
		for _, g := range groups {
			srv.AddMember(g, id)
		}
		return id
	}
	alice := member(oktatest.User{Profile: profile("Alice", "Ng", "title", "Engineer", "hireDate", "03/04/2021", "employeeNumber", 42.0)},
		learners, sales)
	jane := member(oktatest.User{Profile: profile("Jane", "Doe", "login", "jane.doe@corp.example.com", "email", "jane@example.com")}, learners)
	olly := member(oktatest.User{Profile: profile("Olly", "Out")}, sales)
	dan := member(oktatest.User{Status: "DEPROVISIONED", Profile: profile("Dan", "Gone")}, learners)
	umar := member(oktatest.User{Profile: profile("Umar", "Soon", "hireDate", "soon")}, learners)
	member(oktatest.User{Profile: profile("Twin", "One", "login", "twin1@example.com", "email", "twin@example.com")})
	member(oktatest.User{Profile: profile("Twin", "Two", "login", "twin2@example.com", "email", "twin@example.com")})

	attr := func(field, oktaAttr, oktaValue, lmsValue string) oktaclient.Attribute {
		return oktaclient.Attribute{LMSField: field, OktaAttribute: oktaAttr, OktaValue: oktaValue, LMSValue: lmsValue}
	}
	tests := []struct {
		name, who      string
		wantID         string // "" when not found
		wantErr        string
		groups, scope  []string
		active         bool
		attrs          []oktaclient.Attribute // among Person.Attributes
		problemOnField string
	}{
		{name: "by id, in a scope group and another", who: alice, wantID: alice,
			groups: []string{"LMS Learners", "Sales"}, scope: []string{"LMS Learners"}, active: true,
			attrs: []oktaclient.Attribute{attr("custom:Employee ID", "employeeNumber", "42", "42")}},
		{name: "by login, in another letter case", who: " ALICE@example.com ", wantID: alice,
			groups: []string{"LMS Learners", "Sales"}, scope: []string{"LMS Learners"}, active: true},
		{name: "by email differing from login", who: "Jane@Example.com", wantID: jane,
			groups: []string{"LMS Learners"}, scope: []string{"LMS Learners"}, active: true},
		{name: "only in a non-scope group", who: olly, wantID: olly, groups: []string{"Sales"}, scope: []string{}, active: true},
		{name: "deprovisioned member", who: dan, wantID: dan, groups: []string{"LMS Learners"}, scope: []string{"LMS Learners"}, active: false},
		{name: "bad hire date", who: umar, wantID: umar, groups: []string{"LMS Learners"}, scope: []string{"LMS Learners"}, active: true,
			attrs: []oktaclient.Attribute{attr("hire_date", "hireDate", "soon", "")}, problemOnField: "hire_date"},
		{name: "unknown email", who: "nobody@example.com"},
		{name: "unknown id", who: "00u" + strings.Repeat("x", 17)},
		{name: "email shared by two", who: "twin@example.com", wantErr: "2 Okta users have the email"},
	}
	c := newClient(t, srv, "LMS Learners")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, found, err := c.Lookup(context.Background(), tt.who)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if found != (tt.wantID != "") || p.ID != tt.wantID {
				t.Fatalf("found %v, id %q; want id %q", found, p.ID, tt.wantID)
			}
			if !found {
				if !reflect.DeepEqual(p, oktaclient.Person{}) {
					t.Errorf("person not found = %+v, want zero", p)
				}
				return
			}
			if got := groupNames(p.Groups); !slices.Equal(got, tt.groups) {
				t.Errorf("groups = %q, want %q", got, tt.groups)
			}
			if got := groupNames(p.ScopeGroups); !slices.Equal(got, tt.scope) {
				t.Errorf("scope groups = %q, want %q", got, tt.scope)
			}
			if p.InScope != (len(tt.scope) > 0) || p.Active != tt.active || p.Record.Active != tt.active {
				t.Errorf("in scope %v, active %v (record %v); want %v, %v", p.InScope, p.Active, p.Record.Active, len(tt.scope) > 0, tt.active)
			}
			for _, a := range tt.attrs {
				if !slices.Contains(p.Attributes, a) {
					t.Errorf("attributes %+v lack %+v", p.Attributes, a)
				}
			}
			if got := slices.ContainsFunc(p.Problems, func(pr reconcile.Problem) bool { return pr.Field == tt.problemOnField }); got != (tt.problemOnField != "") {
				t.Errorf("problems = %+v, want one on %q", p.Problems, tt.problemOnField)
			}
		})
	}
}

func TestLookupTellsTheWholeStory(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	learners := srv.AddGroup("LMS Learners")
	alice := srv.AddUser(oktatest.User{Profile: profile("Alice", "Ng", "title", "Engineer", "hireDate", "03/04/2021",
		"employeeNumber", 42.0, "email", "Alice@Example.com")})
	srv.AddMember(learners, alice)

	p, found, err := newClient(t, srv, learners).Lookup(context.Background(), alice)
	if err != nil || !found {
		t.Fatalf("found %v, err %v", found, err)
	}
	record := reconcile.User{OktaID: alice, Email: "Alice@Example.com", Name: "Alice Ng", Role: "learner", Active: true,
		Fields: map[string]string{"job_title": "Engineer", "hire_date": "2021-03-04"},
		Custom: map[string]string{"Employee ID": "42"}}
	want := oktaclient.Person{
		ID: alice, Status: "ACTIVE", Login: "alice@example.com", Email: "Alice@Example.com",
		Groups:      []oktaclient.GroupRef{{ID: learners, Name: "LMS Learners"}},
		ScopeGroups: []oktaclient.GroupRef{{ID: learners, Name: "LMS Learners"}},
		InScope:     true, Active: true,
		Attributes: []oktaclient.Attribute{
			{LMSField: "name", OktaAttribute: "firstName", OktaValue: "Alice", LMSValue: "Alice Ng"},
			{LMSField: "name", OktaAttribute: "lastName", OktaValue: "Ng", LMSValue: "Alice Ng"},
			{LMSField: "job_title", OktaAttribute: "title", OktaValue: "Engineer", LMSValue: "Engineer"},
			{LMSField: "hire_date", OktaAttribute: "hireDate", OktaValue: "03/04/2021", LMSValue: "2021-03-04"},
			{LMSField: "custom:Employee ID", OktaAttribute: "employeeNumber", OktaValue: "42", LMSValue: "42"},
		},
		Record: record,
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("person = %+v\nwant     %+v", p, want)
	}
}

func TestLookupFollowsGroupPages(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	id := srv.AddUser(oktatest.User{Profile: profile("Ann", "Lee")})
	const n = 1001 // the fake's largest page is 1000
	for i := range n {
		srv.AddMember(srv.AddGroup("Group "+strconv.Itoa(i)), id)
	}
	p, _, err := newClient(t, srv, "Group 1000").Lookup(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Groups) != n || !p.InScope {
		t.Errorf("%d groups, in scope %v; want %d, true", len(p.Groups), p.InScope, n)
	}
	if !slices.IsSortedFunc(p.Groups, func(a, b oktaclient.GroupRef) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("groups are not sorted by name")
	}
}
