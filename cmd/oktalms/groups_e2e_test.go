package main

import (
	"strings"
	"testing"

	"github.com/oktalms/oktalms/lms/lmstest"
)

// groupsWorld is a world whose config mirrors the Okta groups "LMS-*",
// with "{name} Managers" as their managers, roles from "LMS Admins", and
// managers from managerId.
func groupsWorld(t *testing.T) *world {
	w := newWorld(t)
	w.writeConfig(strings.Replace(w.configText(), "mapping:\n  fields:\n", `groups:
  sync: ["LMS-*"]
  managers: "{name} Managers"
mapping:
  roles:
    - {group: "LMS Admins", role: admin}
  manager:
    id_attribute: managerId
  fields:
    manager_name: manager
`, 1))
	for _, g := range []string{"LMS-Sales", "LMS-Sales Managers", "LMS Admins"} {
		w.groups[g] = w.okta.AddGroup(g)
	}
	return w
}

func (w *world) lmsGroup(name string) (lmstest.LessonlyGroup, bool) {
	for _, g := range w.lessonly.Groups() {
		if g.Name == name && g.ArchivedAt == nil {
			return g, true
		}
	}
	return lmstest.LessonlyGroup{}, false
}

func ids(w *world, oktaIDs ...string) []int {
	out := make([]int, 0, len(oktaIDs))
	for _, id := range oktaIDs {
		out = append(out, w.account(id).ID)
	}
	return out
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[int]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestGroupsRolesAndManagersEndToEnd(t *testing.T) {
	w := groupsWorld(t)
	boss := w.person("Bo", "Ss")
	ada := w.person("Ada", "Okafor", "managerId", boss)
	ben := w.person("Ben", "Larsen", "managerId", boss)
	for _, id := range []string{ada, ben} {
		w.okta.AddMember(w.groups["LMS-Sales"], id)
	}
	w.okta.AddMember(w.groups["LMS-Sales Managers"], boss)
	w.okta.AddMember(w.groups["LMS Admins"], ada)

	// The dry run shows groups, then people, then memberships.
	dry := w.mustSync("--dry-run")
	order := []string{`+ group-create group "LMS-Sales"`, "+ create ada.okafor@example.com", "+ member-add ada.okafor@example.com",
		"+ manager-add bo.ss@example.com"}
	last := -1
	for _, want := range order {
		i := strings.Index(dry, want)
		if i < 0 || i < last {
			t.Fatalf("the dry run does not show %q after the previous ops:\n%s", want, dry)
		}
		last = i
	}

	w.mustSync()
	sales, ok := w.lmsGroup("LMS-Sales")
	if !ok {
		t.Fatal("the synced group was not created")
	}
	if !sameInts(sales.Members, ids(w, ada, ben)) || !sameInts(sales.Managers, ids(w, boss)) {
		t.Errorf("group = %+v, want members ada, ben and manager bo", sales)
	}
	if _, ok := w.lmsGroup("LMS-Sales Managers"); ok {
		t.Error("a managers group must not be mirrored itself")
	}
	if got := w.account(ada); got.Role != "admin" || got.ManagerName != "Bo Ss" {
		t.Errorf("ada = role %q manager %q, want admin and Bo Ss", got.Role, got.ManagerName)
	}
	if got := w.account(ben).Role; got != "learner" {
		t.Errorf("ben's role = %q, want the default learner", got)
	}

	w.lessonly.ResetRequests()
	if out := w.mustSync(); !strings.Contains(out, "No changes.") || len(w.mutations()) != 0 {
		t.Fatalf("a no-change run sent %q:\n%s", w.mutations(), out)
	}

	// Ben leaves the group, Ada leaves the admins, the group and the boss are renamed.
	w.okta.RemoveMember(w.groups["LMS-Sales"], ben)
	w.okta.RemoveMember(w.groups["LMS Admins"], ada)
	w.okta.RenameGroup(w.groups["LMS-Sales"], "LMS-Sales EMEA")
	w.okta.RenameGroup(w.groups["LMS-Sales Managers"], "LMS-Sales EMEA Managers")
	w.okta.SetProfile(boss, "lastName", "Boss")
	w.mustSync()

	renamed, ok := w.lmsGroup("LMS-Sales EMEA")
	if !ok || renamed.ID != sales.ID {
		t.Fatalf("the Okta rename did not rename LMS group %d: %+v", sales.ID, w.lessonly.Groups())
	}
	if !sameInts(renamed.Members, ids(w, ada)) {
		t.Errorf("members after Ben left = %v, want only Ada", renamed.Members)
	}
	if got := w.account(ada); got.Role != "learner" || got.ManagerName != "Bo Boss" {
		t.Errorf("ada = role %q manager %q, want the role and the manager's new name to follow Okta", got.Role, got.ManagerName)
	}
	if w.account(ben).ManagerName != "Bo Boss" {
		t.Error("the manager's rename did not reach Ben")
	}
}

func TestAnLMSGroupOfTheSameNameIsLinked(t *testing.T) {
	w := groupsWorld(t)
	handMade := w.lessonly.AddUser(lmstest.LessonlyUser{Name: "Hand Made", Email: "hand@example.com"})
	existing := w.lessonly.AddGroup("lms-sales", handMade)
	ada := w.person("Ada", "Okafor")
	w.okta.AddMember(w.groups["LMS-Sales"], ada)

	out := w.mustSync()

	if n := len(w.lessonly.Groups()); n != 1 {
		t.Fatalf("%d LMS groups, want the existing one linked:\n%s", n, out)
	}
	g, _ := w.lmsGroup("LMS-Sales")
	if g.ID != existing || !sameInts(g.Members, []int{handMade, w.account(ada).ID}) {
		t.Errorf("group = %+v, want id %d renamed to the Okta name, the hand-added member kept, Ada added", g, existing)
	}

	// groups.exclusive removes the member added by hand.
	w.writeConfig(strings.Replace(w.configText(), "groups:\n", "groups:\n  exclusive: true\n", 1))
	w.mustSync("--full")
	if g, _ := w.lmsGroup("LMS-Sales"); !sameInts(g.Members, []int{w.account(ada).ID}) {
		t.Errorf("exclusive: members %v, want only Ada", g.Members)
	}
}

func TestGroupOpsThatFailAreRetriedNextRun(t *testing.T) {
	w := groupsWorld(t)
	ada := w.person("Ada", "Okafor")
	w.okta.AddMember(w.groups["LMS-Sales"], ada)
	w.lessonly.InjectFault(lmstest.Fault{Method: "POST", PathPrefix: "/api/v1/groups", Times: 1, Status: 422,
		Body: `{"type":"error","error":"Name is reserved"}`})

	out, _, code := w.sync()
	if code != exitPartial || !strings.Contains(out, "Name is reserved") || !strings.Contains(out, "its creation failed earlier") {
		t.Fatalf("exit %d, want 4 with the group failure and the membership it blocked:\n%s", code, out)
	}
	w.mustSync()
	if g, ok := w.lmsGroup("LMS-Sales"); !ok || !sameInts(g.Members, ids(w, ada)) {
		t.Errorf("the next run did not create and fill the group: %+v", w.lessonly.Groups())
	}
}

func TestExplainShowsRoleManagerAndMemberships(t *testing.T) {
	w := groupsWorld(t)
	boss := w.person("Bo", "Ss")
	ada := w.person("Ada", "Okafor", "managerId", boss)
	w.mustSync()
	w.okta.AddMember(w.groups["LMS-Sales"], ada)
	w.okta.AddMember(w.groups["LMS Admins"], ada)

	out, errOut, code := w.command("explain", "ada.okafor@example.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Role: admin; manager: Bo Ss", `role : "learner" → "admin"`,
		`+ member-add ada.okafor@example.com`, `in group "LMS-Sales"`} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
}
