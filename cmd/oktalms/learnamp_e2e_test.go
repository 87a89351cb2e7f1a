package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms/lmstest"
	"github.com/oktalms/oktalms/oktaclient/oktatest"
)

// laWorld is one Okta org and one Learn Amp tenant, both simulated over real
// HTTP, and a real SQLite file: `lms.kind: learnamp` as it runs in production.
type laWorld struct {
	harness
	la *lmstest.LearnAmp
	// What the config says; change before writeConfig.
	managerKey    string // mapping.manager key: email_attribute or id_attribute
	managerAttr   string // the Okta attribute it names
	custom        map[string]string
	teams         []string // groups.sync
	extraSettings string   // appended to the YAML as is
}

func newLAWorld(t *testing.T) *laWorld {
	t.Helper()
	w := &laWorld{harness: newHarness(t, "LMS Learners", "Curators", "Sales", "Facilities"), la: lmstest.NewLearnAmp(),
		managerKey: "email_attribute", managerAttr: "managerEmail",
		custom: map[string]string{"Employee ID": "employeeNumber"}}
	w.timeout = 60 * time.Second
	t.Cleanup(w.la.Close)
	w.la.DefineCustomField("Employee ID")
	w.env["OKTALMS_LMS_CLIENT_SECRET"] = w.la.ClientSecret
	w.writeConfig()
	return w
}

// writeConfig writes the config file from the world's settings; it stands
// in for the harness's writeConfig, which takes the text.
func (w *laWorld) writeConfig() {
	w.t.Helper()
	var custom, teams strings.Builder
	for _, name := range slices.Sorted(maps.Keys(w.custom)) {
		fmt.Fprintf(&custom, "    %s: %s\n", name, w.custom[name])
	}
	for _, g := range w.teams {
		fmt.Fprintf(&teams, "    - %q\n", g)
	}
	groups := ""
	if teams.Len() > 0 {
		groups = "groups:\n  sync:\n" + teams.String()
	}
	w.harness.writeConfig("\n" + w.oktaYAML() + `lms:
  kind: learnamp
  url: ` + w.la.URL + `
  client_id: ` + w.la.ClientID + `
  request_timeout: 5s
  max_retries: 1
mapping:
  fields:
    job_title: title
    department: department
    location: city
    hire_date: hireDate
    manager_email: ` + w.managerAttr + `
  manager:
    ` + w.managerKey + `: ` + w.managerAttr + `
  custom_fields:
` + custom.String() + `  default_role: viewer
  roles:
    - group: Curators
      role: curator
` + groups + "\n" + w.tailYAML() + w.extraSettings)
}

// account returns the Learn Amp user whose integrationExternalId is the Okta id.
func (w *laWorld) account(oktaID string) lmstest.LearnAmpUser {
	w.t.Helper()
	for _, u := range w.la.Users() {
		if u.IntegrationExternalID == oktaID {
			return u
		}
	}
	w.t.Fatalf("no Learn Amp user has integrationExternalId %s; users: %+v", oktaID, w.la.Users())
	return lmstest.LearnAmpUser{}
}

// team returns the Learn Amp team named name; it fails unless exactly one has it.
func (w *laWorld) team(name string) lmstest.LearnAmpTeam {
	w.t.Helper()
	var found []lmstest.LearnAmpTeam
	for id := 1; id < 10000; id++ { // ids are shared with users: a small range holds them all
		if t, ok := w.la.Team(id); ok && t.Name == name {
			found = append(found, t)
		}
	}
	if len(found) != 1 {
		w.t.Fatalf("%d Learn Amp teams are named %q, want 1: %+v", len(found), name, found)
	}
	return found[0]
}

// mutations lists the mutating API requests since the last reset as
// "METHOD path key,key" with the sorted keys of the JSON body.
func (w *laWorld) mutations() []string { return w.describeAll(w.la.Mutations()) }

func laPath(id int, suffix string) string { return "/v1/users/" + strconv.Itoa(id) + suffix }

// TestLearnAmpFirstRunCreatesEveryoneThenSetsManagers is the first
// scenario, with the manager read from an email and from an Okta id.
func TestLearnAmpFirstRunCreatesEveryoneThenSetsManagers(t *testing.T) {
	for _, source := range []string{"email_attribute", "id_attribute"} {
		t.Run(source, func(t *testing.T) {
			w := newLAWorld(t)
			w.managerKey = source
			w.managerAttr = map[string]string{"email_attribute": "managerEmail", "id_attribute": "managerId"}[source]
			w.writeConfig()
			managerOf := func(email, id string) []any {
				if source == "email_attribute" {
					return []any{"managerEmail", email}
				}
				return []any{"managerId", id}
			}
			// Reports sort before their managers ("ada" < "grace" < "linus"):
			// a create carrying managerEmail would name someone not there yet.
			grace := w.person("Grace", "Hopper", "title", "CTO", "department", "Engineering", "city", "London",
				"hireDate", "01/02/2019", "employeeNumber", 1.0)
			w.okta.AddMember(w.groups["Curators"], grace)
			linus := w.person("Linus", "Pauling", append([]any{"title", "Director"}, managerOf("grace.hopper@example.com", grace)...)...)
			ada := w.person("Ada", "Lovelace", append([]any{"title", "Engineer", "department", "Engineering", "city", "Leeds",
				"hireDate", "2021-03-04", "employeeNumber", 42.0}, managerOf("linus.pauling@example.com", linus)...)...)
			w.person("Gone", "Away", "status", "DEPROVISIONED")
			w.person("Not", "Yet", "status", "STAGED")
			outsider := w.okta.AddUser(oktatest.User{Profile: map[string]any{"login": "out@example.com", "email": "out@example.com",
				"firstName": "Out", "lastName": "Sider"}})
			w.okta.AddMember(w.groups["Facilities"], outsider)

			out := w.mustSync()

			if n := len(w.la.Users()); n != 3 {
				t.Fatalf("Learn Amp has %d users, want 3 (grace, linus, ada):\n%s", n, out)
			}
			g, l, a := w.account(grace), w.account(linus), w.account(ada)
			wantAda := lmstest.LearnAmpUser{ID: a.ID, Email: "ada.lovelace@example.com", FirstName: "Ada", LastName: "Lovelace",
				IntegrationExternalID: ada, Role: "viewer", Status: "not_invited", JobTitle: "Engineer", Department: "Engineering",
				Location: "Leeds", Language: "en", HireDate: "2021-03-04", ManagerID: l.ID,
				CustomFields: map[string]string{"Employee ID": "42"}}
			if !reflect.DeepEqual(a, wantAda) {
				t.Errorf("ada's account:\n got %+v\nwant %+v", a, wantAda)
			}
			wantGrace := lmstest.LearnAmpUser{ID: g.ID, Email: "grace.hopper@example.com", FirstName: "Grace", LastName: "Hopper",
				IntegrationExternalID: grace, Role: "curator", Status: "not_invited", JobTitle: "CTO", Department: "Engineering",
				Location: "London", Language: "en", HireDate: "2019-01-02", CustomFields: map[string]string{"Employee ID": "1"}}
			if !reflect.DeepEqual(g, wantGrace) {
				t.Errorf("grace's account (a curator, by the Curators group; US hire date):\n got %+v\nwant %+v", g, wantGrace)
			}
			if l.ManagerID != g.ID || l.Role != "viewer" {
				t.Errorf("linus: manager %d role %q, want manager %d (grace) and role viewer", l.ManagerID, l.Role, g.ID)
			}
			if inv := w.la.Invitations(); len(inv) != 0 {
				t.Errorf("Learn Amp invited %q; oktalms must create with skipInvitation", inv)
			}

			// Every create precedes every PUT naming a manager, and no request was refused.
			lastCreate, firstManager := -1, -1
			var managerPuts []string
			for i, r := range w.la.Mutations() {
				if r.Status >= 300 {
					t.Errorf("%s was refused with %d: %s", r.Method+" "+r.Path, r.Status, r.Body)
				}
				switch line := w.describe(r); {
				case r.Method == http.MethodPost && r.Path == "/v1/users":
					lastCreate = i
					var body map[string]any
					json.Unmarshal(r.Body, &body)
					if _, ok := body["managerEmail"]; ok {
						t.Errorf("a create carries managerEmail: %s", r.Body)
					}
					if body["skipInvitation"] != true {
						t.Errorf("a create lacks skipInvitation: true: %s", r.Body)
					}
				case strings.Contains(line, "managerEmail"):
					managerPuts = append(managerPuts, line)
					if firstManager < 0 {
						firstManager = i
					}
				}
			}
			wantPuts := []string{"PUT " + laPath(a.ID, "") + " managerEmail", "PUT " + laPath(l.ID, "") + " managerEmail"}
			sort.Strings(managerPuts)
			sort.Strings(wantPuts)
			if !reflect.DeepEqual(managerPuts, wantPuts) {
				t.Errorf("manager PUTs = %q, want %q (only managerEmail, once each)", managerPuts, wantPuts)
			}
			if lastCreate < 0 || firstManager < lastCreate {
				t.Errorf("a PUT setting managerEmail (request %d) came before the last create (request %d): %q",
					firstManager, lastCreate, w.mutations())
			}
			if !strings.Contains(out, "Applied: 5 of 5.") {
				t.Errorf("want 3 creates and 2 second-pass updates applied:\n%s", out)
			}

			// The snapshot now matches: a second run sends nothing at all.
			w.la.ResetRequests()
			if again := w.mustSync(); !strings.Contains(again, "No changes.") || len(w.la.Requests()) != 0 {
				t.Errorf("the run after the first is not quiet (%d requests %q):\n%s", len(w.la.Requests()), w.mutations(), again)
			}
			// Listed back, Learn Amp holds what was sent: role, manager, custom field, split name.
			if full := w.mustSync("--full"); !strings.Contains(full, "No changes.") || len(w.la.Mutations()) != 0 {
				t.Errorf("a --full run after the first finds differences (%q):\n%s", w.mutations(), full)
			}
		})
	}
}

func TestLearnAmpUnchangedSendsNothingAndUpdatesSendOnlyWhatChanged(t *testing.T) {
	w := newLAWorld(t)
	boss := w.person("Bea", "Boss", "title", "Head")
	other := w.person("Olga", "Other", "title", "Head")
	alice := w.person("Alice", "Ng", "title", "Engineer", "hireDate", "2021-03-04", "employeeNumber", 42.0, "managerEmail", "bea.boss@example.com")
	bob := w.person("Bob", "Stone", "title", "Designer", "department", "Art", "city", "Leeds")
	carol := w.person("Carol", "Diaz", "department", "Sales", "employeeNumber", "7")
	dan := w.person("Dan", "Ho")
	eve := w.person("Eve", "Lin")
	fay := w.person("Fay", "Wu", "title", "Chef")
	gus := w.person("Gus", "Ray", "managerEmail", "bea.boss@example.com")
	w.mustSync()
	before := len(w.la.Users())
	w.la.ResetRequests()

	quiet := w.mustSync()
	if !strings.Contains(quiet, "No changes.") {
		t.Errorf("an unchanged directory planned changes:\n%s", quiet)
	}
	if r := w.la.Requests(); len(r) != 0 {
		t.Fatalf("an unchanged directory made %d Learn Amp requests (%q): the snapshot is the record", len(r), w.mutations())
	}

	w.okta.SetProfile(alice, "title", "Staff Engineer")
	w.okta.SetProfile(bob, "hireDate", "06/01/2022") // another input format
	w.okta.SetProfile(bob, "city", nil)              // gone from Okta: cleared
	w.okta.SetProfile(carol, "employeeNumber", 8.0)
	w.okta.SetProfile(dan, "lastName", "Hoang")
	w.okta.SetProfile(eve, "email", "eve.lin@new.example.com")
	w.okta.AddMember(w.groups["Curators"], fay)
	w.okta.SetProfile(gus, "managerEmail", "olga.other@example.com")
	out := w.mustSync()

	id := func(okta string) int { return w.account(okta).ID }
	want := []string{
		"PUT " + laPath(id(alice), "") + " jobTitle",
		"PUT " + laPath(id(bob), "") + " hireDate,location",
		"PUT " + laPath(id(carol), "") + " customFields",
		"PUT " + laPath(id(dan), "") + " firstName,lastName",
		"PUT " + laPath(id(eve), "") + " email",
		"PUT " + laPath(id(fay), "") + " role",
		"PUT " + laPath(id(gus), "") + " managerEmail",
	}
	got := w.mutations()
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("requests:\n got %q\nwant %q\n%s", got, want, out)
	}
	for _, r := range w.la.Mutations() {
		if r.Status != http.StatusOK {
			t.Errorf("%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
		}
	}
	if after := len(w.la.Users()); after != before {
		t.Errorf("users went from %d to %d; an email change must not create a user", before, after)
	}
	b := w.account(bob)
	checks := map[string]bool{
		"title":          w.account(alice).JobTitle == "Staff Engineer",
		"hire date":      b.HireDate == "2022-06-01",
		"cleared city":   b.Location == "" && b.Department == "Art" && b.JobTitle == "Designer",
		"custom field":   w.account(carol).CustomFields["Employee ID"] == "8",
		"last name":      w.account(dan).LastName == "Hoang" && w.account(dan).FirstName == "Dan",
		"email":          w.account(eve).Email == "eve.lin@new.example.com",
		"role":           w.account(fay).Role == "curator",
		"manager":        w.account(gus).ManagerID == id(other),
		"manager intact": w.account(alice).ManagerID == id(boss),
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("the %s change did not reach Learn Amp as it should", what)
		}
	}
	w.la.ResetRequests()
	if again := w.mustSync(); !strings.Contains(again, "No changes.") || len(w.la.Requests()) != 0 {
		t.Errorf("the run after the updates is not quiet (%q):\n%s", w.mutations(), again)
	}
}

func TestLearnAmpLeaversDeactivatedAndReturnersReactivated(t *testing.T) {
	w := newLAWorld(t)
	removed := w.person("Rem", "Oved")
	deprovisioned := w.person("Dep", "Rovisioned")
	suspended := w.person("Sus", "Pended", "title", "Clerk")
	stays := w.person("Stay", "Put")
	handMade := w.la.AddUser(lmstest.LearnAmpUser{Email: "hand.made@example.com", FirstName: "Hand", LastName: "Made"})
	w.mustSync()
	ids := map[string]int{}
	for _, p := range []string{removed, deprovisioned, suspended, stays} {
		ids[p] = w.account(p).ID
	}
	w.la.ResetRequests()

	w.okta.RemoveMember(w.groups["LMS Learners"], removed)
	w.okta.SetStatus(deprovisioned, "DEPROVISIONED")
	w.okta.SetStatus(suspended, "SUSPENDED")
	out := w.mustSync()

	want := []string{"PUT " + laPath(ids[deprovisioned], "/deactivate"), "PUT " + laPath(ids[removed], "/deactivate"),
		"PUT " + laPath(ids[suspended], "/deactivate")}
	got := w.mutations()
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("leavers sent %q, want %q\n%s", got, want, out)
	}
	for _, r := range w.la.Mutations() {
		if r.Status != http.StatusNoContent || len(r.Body) != 0 {
			t.Errorf("%s %s: status %d body %q, want 204 and no body", r.Method, r.Path, r.Status, r.Body)
		}
	}
	for _, p := range []string{removed, deprovisioned, suspended} {
		if s := w.account(p).Status; s != "deactivated" {
			t.Errorf("leaver %s has status %q, want deactivated", p, s)
		}
	}
	if s := w.account(stays).Status; s == "deactivated" {
		t.Error("a person still in scope was deactivated")
	}
	if u, _ := w.la.User(handMade); u.Status != "confirmed" {
		t.Errorf("a user oktalms never created or linked has status %q, want it left confirmed", u.Status)
	}

	w.okta.AddMember(w.groups["LMS Learners"], removed)
	w.okta.SetStatus(suspended, "ACTIVE")
	w.okta.SetProfile(suspended, "title", "Senior Clerk")
	w.la.ResetRequests()
	out = w.mustSync()

	want = []string{"PUT " + laPath(ids[removed], "/reactivate"), "PUT " + laPath(ids[suspended], "/reactivate"),
		"PUT " + laPath(ids[suspended], "") + " jobTitle"}
	got = w.mutations()
	if !slices.Contains(got, want[1]) || slices.Index(got, want[1]) > slices.Index(got, want[2]) {
		t.Errorf("the returner's title was sent before the reactivation: %q", got)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("returners sent %q, want %q\n%s", got, want, out)
	}
	for _, p := range []string{removed, suspended} {
		if s := w.account(p).Status; s != "not_invited" {
			t.Errorf("returner %s has status %q, want the status before the deactivation (not_invited)", p, s)
		}
	}
	if got := w.account(suspended).JobTitle; got != "Senior Clerk" {
		t.Errorf("the reactivated user's title = %q, want the change made meanwhile", got)
	}
	if s := w.account(deprovisioned).Status; s != "deactivated" {
		t.Errorf("a person still deprovisioned has status %q", s)
	}
	if n := len(w.la.Users()); n != 5 {
		t.Errorf("%d users, want 5: a returner must be reactivated, not created again", n)
	}
}

func TestLearnAmpExistingAccountIsLinkedNotDuplicated(t *testing.T) {
	w := newLAWorld(t)
	alice := w.person("Alice", "Ng", "title", "Engineer", "employeeNumber", 42.0)
	w.okta.AddMember(w.groups["Curators"], alice)
	bob := w.person("Bob", "Stone", "title", "Designer")
	carol := w.person("Carol", "Diaz")
	// Made by hand before oktalms: no integrationExternalId, the email in
	// another letter case; Bob's was deactivated meanwhile.
	existing := w.la.AddUser(lmstest.LearnAmpUser{Email: "ALICE.NG@Example.com", FirstName: "Alice", LastName: "Ng",
		Role: "curator", CustomFields: map[string]string{"Employee ID": "41"}})
	old := w.la.AddUser(lmstest.LearnAmpUser{Email: "bob.stone@example.com", FirstName: "Bob", LastName: "Stone",
		JobTitle: "Designer", Status: "deactivated"})
	w.la.ResetRequests()

	out := w.mustSync()

	if n := len(w.la.Users()); n != 3 {
		t.Fatalf("Learn Amp has %d users, want 3 (two linked, carol created):\n%s", n, out)
	}
	a := w.account(alice)
	if a.ID != existing || a.Role != "curator" || a.JobTitle != "Engineer" || a.CustomFields["Employee ID"] != "42" ||
		a.Email != "ALICE.NG@Example.com" {
		t.Errorf("linked account = %+v, want id %d, its email kept as is (same in any case), title and field set", a, existing)
	}
	b := w.account(bob)
	if b.ID != old || b.Status == "deactivated" {
		t.Errorf("bob's account = %+v, want the deactivated user %d linked and reactivated", b, old)
	}
	if !strings.Contains(out, "= link alice.ng@example.com") || !strings.Contains(out, "= link bob.stone@example.com") {
		t.Errorf("the report does not show the links:\n%s", out)
	}
	want := []string{
		"PUT " + laPath(existing, "") + " customFields,integrationExternalId,jobTitle",
		"PUT " + laPath(old, "/reactivate"),
		"PUT " + laPath(old, "") + " integrationExternalId",
		"POST /v1/users email,firstName,integrationExternalId,lastName,role,skipInvitation",
	}
	// The two links are sent together (lms.concurrency): compare them as a
	// set, each link's own requests in order, and the create after both.
	got := w.mutations()
	if len(got) != len(want) || got[len(got)-1] != want[3] ||
		slices.Index(got, want[1]) > slices.Index(got, want[2]) || !slices.Contains(got, want[0]) {
		t.Errorf("requests (links first, then creates):\n got %q\nwant %q", got, want)
	}
	w.account(carol)
	w.la.ResetRequests()
	if again := w.mustSync(); !strings.Contains(again, "No changes.") || len(w.la.Mutations()) != 0 {
		t.Errorf("the run after the links is not quiet (%q):\n%s", w.mutations(), again)
	}
}

func TestLearnAmpCreateRefusedAsTakenAdoptsTheAccount(t *testing.T) {
	w := newLAWorld(t)
	w.person("Ada", "Okafor")
	w.mustSync()
	// Made by hand after the first run: no listing happens, so the create is
	// refused as taken, and the account adopted.
	handMade := w.la.AddUser(lmstest.LearnAmpUser{Email: "Ben.Larsen@example.com", FirstName: "Ben", LastName: "Larsen"})
	ben := w.person("Ben", "Larsen", "title", "Engineer")

	out := w.mustSync()

	if n := len(w.la.Users()); n != 2 {
		t.Fatalf("%d users, want 2: the taken email must be adopted, not duplicated\n%s", n, out)
	}
	if got := w.account(ben); got.ID != handMade || got.JobTitle != "Engineer" {
		t.Errorf("adopted account = %+v, want the hand-made one linked and titled", got)
	}
	w.la.ResetRequests()
	if again := w.mustSync(); !strings.Contains(again, "No changes.") || len(w.la.Mutations()) != 0 {
		t.Errorf("the run after the adoption is not quiet (%q):\n%s", w.mutations(), again)
	}
}

func TestLearnAmpTeamsMirrorOktaGroups(t *testing.T) {
	w := newLAWorld(t)
	// Sales by its id, so that its rename in Okta is followed; Curators by name.
	w.teams = []string{w.groups["Sales"], "Curators"}
	w.writeConfig()
	ada := w.person("Ada", "Lovelace")
	bob := w.person("Bob", "Stone")
	carol := w.person("Carol", "Diaz")
	for _, p := range []string{ada, bob} {
		w.okta.AddMember(w.groups["Sales"], p)
	}
	w.okta.AddMember(w.groups["Curators"], carol)
	// Curators exists in Learn Amp already, made by hand, with a member
	// oktalms does not manage: linked, not duplicated, its member left alone.
	stranger := w.la.AddUser(lmstest.LearnAmpUser{Email: "stranger@example.com", FirstName: "Str", LastName: "Anger"})
	curators := w.la.AddTeam("curators", stranger)

	out := w.mustSync()

	sales := w.team("Sales")
	wantMembers := slices.Sorted(slices.Values([]int{w.account(ada).ID, w.account(bob).ID}))
	if got := slices.Sorted(slices.Values(sales.Members)); !reflect.DeepEqual(got, wantMembers) {
		t.Errorf("team Sales members = %v, want %v (ada, bob)\n%s", got, wantMembers, out)
	}
	c := w.team("Curators")
	if c.ID != curators {
		t.Errorf("team Curators is %d, want the existing team %d linked (and renamed to Okta's case)", c.ID, curators)
	}
	if got, want := slices.Sorted(slices.Values(c.Members)), []int{stranger, w.account(carol).ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("team Curators members = %v, want %v", got, want)
	}

	// Bob leaves Sales (staying in scope), Carol joins it.
	w.okta.RemoveMember(w.groups["Sales"], bob)
	w.okta.AddMember(w.groups["Sales"], carol)
	w.la.ResetRequests()
	out = w.mustSync()

	want := []string{
		"POST /v1/teams/" + strconv.Itoa(sales.ID) + "/users userId",
		"DELETE /v1/teams/" + strconv.Itoa(sales.ID) + "/users/" + strconv.Itoa(w.account(bob).ID),
	}
	if got := w.mutations(); !reflect.DeepEqual(got, want) {
		t.Errorf("membership requests = %q, want %q (the add first, the removal last)\n%s", got, want, out)
	}
	sales = w.team("Sales")
	wantMembers = slices.Sorted(slices.Values([]int{w.account(ada).ID, w.account(carol).ID}))
	if got := slices.Sorted(slices.Values(sales.Members)); !reflect.DeepEqual(got, wantMembers) {
		t.Errorf("team Sales members = %v, want %v (ada, carol)", got, wantMembers)
	}
	if s := w.account(bob).Status; s == "deactivated" {
		t.Error("leaving a team deactivated the person")
	}

	// A rename in Okta renames the team.
	w.okta.RenameGroup(w.groups["Sales"], "Sales EMEA")
	w.la.ResetRequests()
	w.mustSync()
	if got, want := w.mutations(), []string{"PUT /v1/teams/" + strconv.Itoa(sales.ID) + " name"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rename requests = %q, want %q", got, want)
	}
	if got := w.team("Sales EMEA"); got.ID != sales.ID {
		t.Errorf("renamed team is %d, want %d", got.ID, sales.ID)
	}
	w.la.ResetRequests()
	if again := w.mustSync(); !strings.Contains(again, "No changes.") || len(w.la.Requests()) != 0 {
		t.Errorf("the run after the rename is not quiet (%q):\n%s", w.mutations(), again)
	}
}

// steppingClock advances by step each time it is read: the fake's time
// runs ahead of oktalms's, as a token's lifetime ends during a run.
type steppingClock struct {
	mu   stdsync.Mutex
	t    time.Time
	step time.Duration
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func TestLearnAmpTokenExpiringMidRunIsRefreshed(t *testing.T) {
	w := newLAWorld(t)
	// Each request the fake answers moves its clock ten minutes on: a token
	// of an hour dies every few requests, while oktalms's own clock says it
	// has most of its hour left. Set before any request.
	w.la.Now = (&steppingClock{t: time.Now(), step: 10 * time.Minute}).Now
	w.la.TokenLifetime = time.Hour
	// One request at a time, so that each expiry is met by exactly one
	// request (concurrent ones share a refresh: lms tests cover that).
	w.env["OKTALMS_LMS_CONCURRENCY"] = "1"
	var people []string
	for i := range 8 {
		people = append(people, w.person("Person", fmt.Sprintf("N%d", i), "title", "T"+strconv.Itoa(i), "employeeNumber", float64(i+1)))
	}
	w.okta.AddMember(w.groups["Sales"], people[0])
	w.okta.AddMember(w.groups["Sales"], people[1])
	w.teams = []string{"Sales"}
	w.writeConfig()

	out, errOut, code := w.sync()

	if code != 0 || !strings.Contains(out, "Applied: 11 of 11.") {
		t.Fatalf("exit %d; want every op applied despite the expiring tokens:\n%s\n%s", code, out, errOut)
	}
	for i, p := range people {
		if a := w.account(p); a.JobTitle != "T"+strconv.Itoa(i) || a.CustomFields["Employee ID"] != strconv.Itoa(i+1) {
			t.Errorf("user %d = %+v", i, a)
		}
	}
	reqs := w.la.Requests()
	expired, expiredWrites := 0, 0
	for i, r := range reqs {
		if r.Status != http.StatusUnauthorized {
			continue
		}
		expired++
		if r.Method != http.MethodGet {
			expiredWrites++
		}
		// A 401 is followed by a new token, then the same request, accepted.
		if i+2 >= len(reqs) || reqs[i+1].Path != "/oauth/token" || reqs[i+1].Status != http.StatusOK ||
			reqs[i+2].Method != r.Method || reqs[i+2].Path != r.Path || reqs[i+2].Status >= 300 ||
			!bytes.Equal(reqs[i+2].Body, r.Body) {
			var around []string
			for _, x := range reqs[i:min(i+3, len(reqs))] {
				around = append(around, fmt.Sprintf("%s %s %d", x.Method, x.Path, x.Status))
			}
			t.Errorf("after the 401 of %s %s came %q, want a token request and the same request again", r.Method, r.Path, around)
		}
	}
	if expired == 0 || expiredWrites == 0 {
		t.Errorf("%d requests met an expired token (%d of them writes); the test wants some writes to", expired, expiredWrites)
	}
	if n := len(w.la.IssuedTokens()); n != expired+1 {
		t.Errorf("%d tokens issued, want %d: one at the start and one per expiry", n, expired+1)
	}
	if n := len(w.la.Users()); n != len(people) {
		t.Errorf("%d users, want %d: a retried create must not duplicate", n, len(people))
	}
}

func TestLearnAmpCheck(t *testing.T) {
	t.Run("all good", func(t *testing.T) {
		w := newLAWorld(t)
		w.la.AddUser(lmstest.LearnAmpUser{Email: "x@example.com", FirstName: "X", LastName: "Y",
			CustomFields: map[string]string{"Employee ID": "1"}})
		w.la.ResetRequests()
		out, errOut, code := w.command("check")
		if code != 0 {
			t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
		}
		for _, want := range []string{"✓ Learn Amp credentials accepted (" + w.la.URL + ")",
			`✓ Learn Amp custom field "Employee ID" found`, "All checks passed."} {
			if !strings.Contains(out, want) {
				t.Errorf("check output lacks %q:\n%s", want, out)
			}
		}
		if m := w.mutations(); len(m) != 0 {
			t.Errorf("check sent %q; it must be read-only", m)
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		w := newLAWorld(t)
		const wrong = "s3cr3t-WRONG-learnamp-value"
		w.env["OKTALMS_LMS_CLIENT_SECRET"] = wrong
		out, errOut, code := w.command("check")
		if code != exitFailed {
			t.Errorf("exit %d, want %d", code, exitFailed)
		}
		for _, want := range []string{"✗ Learn Amp credentials:", "invalid_client",
			"fix: check lms.client_id and OKTALMS_LMS_CLIENT_SECRET", "1 check(s) failed."} {
			if !strings.Contains(out, want) {
				t.Errorf("check output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out+errOut, wrong) {
			t.Errorf("check printed the client secret:\n%s\n%s", out, errOut)
		}
		if n := len(w.la.IssuedTokens()); n != 0 {
			t.Errorf("%d tokens issued to a wrong secret", n)
		}
	})

	t.Run("unknown custom field", func(t *testing.T) {
		w := newLAWorld(t)
		w.custom["Cost Centre"] = "costCenter"
		w.writeConfig()
		w.la.AddUser(lmstest.LearnAmpUser{Email: "x@example.com", FirstName: "X", LastName: "Y",
			CustomFields: map[string]string{"Employee ID": "1"}})
		out, errOut, code := w.command("check")
		if code != exitFailed {
			t.Errorf("exit %d, want %d:\n%s\n%s", code, exitFailed, out, errOut)
		}
		for _, want := range []string{`✓ Learn Amp custom field "Employee ID" found`,
			`✗ Learn Amp custom field "Cost Centre": no account carries it`, "(known: Employee ID)", "1 check(s) failed."} {
			if !strings.Contains(out, want) {
				t.Errorf("check output lacks %q:\n%s", want, out)
			}
		}
	})
}

// A custom field Learn Amp does not hold fails the creates naming it, in
// Learn Amp's words, and only those.
func TestLearnAmpUnknownCustomFieldFailsThatPersonOnly(t *testing.T) {
	w := newLAWorld(t)
	w.custom["Cost Centre"] = "costCenter"
	w.writeConfig()
	w.person("Ada", "Lovelace", "costCenter", "CC-1")
	bob := w.person("Bob", "Stone")

	out, _, code := w.sync()

	if code != exitPartial {
		t.Errorf("exit %d, want %d", code, exitPartial)
	}
	if !strings.Contains(out, "Custom field not found: Cost Centre") || !strings.Contains(out, "Applied: 1 of 2, 1 failed.") {
		t.Errorf("output does not quote Learn Amp and count the failure:\n%s", out)
	}
	w.account(bob)
}

func TestLearnAmpDryRunChangesNothingAndWelcomeEmailIsOptIn(t *testing.T) {
	w := newLAWorld(t)
	w.person("Ada", "Lovelace", "title", "Engineer")
	w.la.AddUser(lmstest.LearnAmpUser{Email: "ada.lovelace@example.com", FirstName: "Ada", LastName: "Lovelace"})
	w.person("Bob", "Stone")
	w.la.ResetRequests()

	dry := w.mustSync("--dry-run")

	for _, want := range []string{"= link ada.lovelace@example.com", "+ create bob.stone@example.com",
		"Plan: 1 to link, 1 to create, 0 to update, 0 to reactivate, 0 to archive."} {
		if !strings.Contains(dry, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, dry)
		}
	}
	if m := w.mutations(); len(m) != 0 {
		t.Fatalf("a dry run sent %q", m)
	}

	w.env["OKTALMS_LMS_SEND_WELCOME_EMAIL"] = "true"
	w.mustSync()
	if got, want := w.la.Invitations(), []string{"bob.stone@example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("invitations = %q, want %q: lms.send_welcome_email lets Learn Amp invite the people created", got, want)
	}
}

func TestLearnAmpConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name  string
		patch func(w *laWorld)
		want  string
	}{
		{"missing secret", func(w *laWorld) { delete(w.env, "OKTALMS_LMS_CLIENT_SECRET") }, "lms.client_secret: missing (set it in OKTALMS_LMS_CLIENT_SECRET)"},
		{"missing client id", func(w *laWorld) { w.editConfig("  client_id: "+w.la.ClientID+"\n", "") }, "lms.client_id: missing"},
		{"a Lessonly role", func(w *laWorld) { w.env["OKTALMS_MAPPING_DEFAULT_ROLE"] = "learner" }, `mapping.default_role: "learner" is not a Learn Amp role`},
		{"a field Learn Amp lacks", func(w *laWorld) { w.editConfig("    hire_date:", "    business_unit: division\n    hire_date:") },
			"mapping.fields.business_unit: Learn Amp has no such field"},
		{"team managers", func(w *laWorld) {
			w.editConfig("safety:", "groups:\n  sync: [Sales]\n  managers: \"{name} Managers\"\nsafety:")
		},
			"groups.managers: oktalms does not set Learn Amp team managers"},
		{"team archives", func(w *laWorld) {
			w.editConfig("safety:", "groups:\n  sync: [Sales]\n  archive_removed: true\nsafety:")
		},
			"groups.archive_removed: oktalms cannot archive a Learn Amp team"},
		{"Lessonly's URL", func(w *laWorld) { w.env["OKTALMS_LMS_URL"] = lessonlyURL }, "lms.url: set the base URL of Learn Amp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newLAWorld(t)
			tt.patch(w)
			_, errOut, code := w.sync()
			if code != exitFailed || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, tt.want)
			}
			if n := len(w.la.Requests()); n != 0 {
				t.Errorf("a bad config still made %d Learn Amp requests", n)
			}
		})
	}
}

// A report's managerEmail must name a Learn Amp user that exists and is
// active when it is sent, whatever else the same run changes.
func TestLearnAmpManagerChangedInTheSameRun(t *testing.T) {
	t.Run("the manager's email changes", func(t *testing.T) {
		w := newLAWorld(t)
		al := w.person("Al", "Report", "managerEmail", "mia.boss@example.com")
		mia := w.person("Mia", "Boss")
		w.mustSync()
		w.okta.SetProfile(mia, "email", "mia@new.example.com")
		w.mustSync()
		if got, want := w.account(al).ManagerID, w.account(mia).ID; got != want {
			t.Errorf("al's manager = %d, want %d", got, want)
		}
	})
	t.Run("the manager comes back", func(t *testing.T) {
		w := newLAWorld(t)
		mia := w.person("Mia", "Boss")
		w.mustSync()
		w.okta.SetStatus(mia, "SUSPENDED")
		w.mustSync()
		w.okta.SetStatus(mia, "ACTIVE")
		al := w.person("Al", "Report", "managerEmail", "mia.boss@example.com")
		w.mustSync()
		if got, want := w.account(al).ManagerID, w.account(mia).ID; got != want {
			t.Errorf("al's manager = %d, want %d", got, want)
		}
	})
}
