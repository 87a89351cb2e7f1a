package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/lms"
	"github.com/oktalms/oktalms/lms/lmstest"
	"github.com/oktalms/oktalms/oktaclient/oktatest"
)

// scimWorld is one Okta org and one SCIM 2.0 service, both simulated over
// real HTTP, and a real SQLite file: the world of lms.kind scim.
type scimWorld struct {
	harness
	scim *lmstest.SCIM
}

// scimSetup says how a scimWorld's service and config look.
type scimSetup struct {
	fake    lmstest.SCIMOptions
	lms     string // lines of the lms section besides kind, url and the timeouts
	mapping string // the lines of the mapping section
	extra   string // more top-level sections (groups)
	env     map[string]string
}

// The Learnerbly extension as Learnerbly serves it: approvers is a list.
var scimLearnerblyExt = map[string][]string{
	lms.LearnerblySchema: {"approvers[]", "contentRegion", "customField1", "customField2", "customField3"},
}

const scimLearnerblyMapping = `  fields:
    locale: locale
  custom_fields:
    approvers: approvers
    contentRegion: countryCode
    customField1: department
  transforms:
    "custom:contentRegion": content_region
  second_pass: ["manager_email", "custom:approvers"]
`

// scimLearnerblySetup is a Learnerbly tenant: the preset, its Static token
// from the environment, and the mapping the issue describes. The preset
// maps no enterprise manager: the manager is scimPlainSetup's.
func scimLearnerblySetup() scimSetup {
	fake := lmstest.DefaultSCIMOptions()
	fake.Auth, fake.Token, fake.ExtensionSchemas = "static", "learnerbly-api-key", scimLearnerblyExt
	return scimSetup{fake: fake, lms: "  preset: learnerbly\n", mapping: scimLearnerblyMapping,
		env: map[string]string{"OKTALMS_LMS_TOKEN": fake.Token}}
}

// scimPlainSetup is a plain SCIM service (no preset) with a bearer token: the
// title, the enterprise department and the enterprise manager, by email.
func scimPlainSetup() scimSetup {
	fake := lmstest.DefaultSCIMOptions()
	return scimSetup{fake: fake, lms: "  auth: bearer\n", mapping: `  fields:
    job_title: title
    department: department
    manager_email: managerEmail
  manager:
    email_attribute: managerEmail
  second_pass: ["manager_email"]
`, env: map[string]string{"OKTALMS_LMS_TOKEN": fake.Token}}
}

func newSCIMWorld(t *testing.T, s scimSetup) *scimWorld {
	t.Helper()
	w := &scimWorld{harness: newHarness(t, "LMS Learners", "Sales"), scim: lmstest.NewSCIM(s.fake)}
	t.Cleanup(w.scim.Close)
	w.writeConfig(w.oktaYAML() + `lms:
  kind: scim
  url: ` + w.scim.URL + `
  request_timeout: 5s
  max_retries: 1
` + s.lms + `mapping:
` + s.mapping + s.extra + w.tailYAML())
	maps.Copy(w.env, s.env)
	return w
}

// user returns the SCIM user whose externalId is the Okta id.
func (w *scimWorld) user(oktaID string) lmstest.SCIMResource {
	w.t.Helper()
	for _, u := range w.scim.Users() {
		if u.Get("externalId") == oktaID {
			return u
		}
	}
	w.t.Fatalf("no SCIM user has externalId %s", oktaID)
	return nil
}

// scimCall is one request to the service: its path relative to the
// service's base, and its JSON body.
type scimCall struct {
	Method, Path string
	Body         map[string]any
}

func (c scimCall) String() string { return c.Method + " " + c.Path }

// mutations are the mutating requests since the last reset, in order.
func (w *scimWorld) mutations() []scimCall {
	w.t.Helper()
	var out []scimCall
	base := strings.TrimPrefix(w.scim.URL, "http://")
	base = base[strings.Index(base, "/"):]
	for _, r := range w.scim.Mutations() {
		c := scimCall{Method: r.Method, Path: strings.TrimPrefix(r.Path, base)}
		if len(r.Body) > 0 {
			if err := json.Unmarshal(r.Body, &c.Body); err != nil {
				w.t.Fatalf("body of %s: %v", c, err)
			}
		}
		out = append(out, c)
	}
	return out
}

// sent lists the mutating requests since the last reset as "METHOD path
// body", sorted, each SCIM id in them replaced by the userName it is the
// id of: two worlds given the same input compare equal, whatever order
// concurrent requests took, and so whatever ids the service gave.
func (w *scimWorld) sent() []string {
	w.t.Helper()
	names := map[string]string{}
	for _, u := range w.scim.Users() {
		names[u.ID()] = "<" + fmt.Sprint(u.Get("userName")) + ">"
	}
	var out []string
	for _, c := range w.mutations() {
		body, _ := json.Marshal(c.Body)
		line := c.String() + " " + string(body)
		for id, name := range names {
			line = strings.ReplaceAll(line, id, name)
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

// scimOps are the Operations of a PATCH body.
func scimOps(t *testing.T, c scimCall) []any {
	t.Helper()
	if c.Method != "PATCH" {
		t.Fatalf("%s is not a PATCH", c)
	}
	ops, _ := c.Body["Operations"].([]any)
	return ops
}

// scimReplaceOp is the one PATCH operation that replaces values.
func scimReplaceOp(value map[string]any) []any {
	return []any{map[string]any{"op": "replace", "value": value}}
}

// scimLB nests attributes under Learnerbly's extension, as a resource holds them.
func scimLB(attrs map[string]any) map[string]any { return map[string]any{lms.LearnerblySchema: attrs} }

func TestSCIMLearnerblyFirstRunCreatesEveryoneThenSetsApproversInASecondPass(t *testing.T) {
	w := newSCIMWorld(t, scimLearnerblySetup())
	ada := w.person("Ada", "Okafor", "countryCode", "CH", "department", "R&D", "locale", "de_CH",
		"approvers", []any{personEmail("Ben", "Stone"), personEmail("Cat", "Diaz")})
	ben := w.person("Ben", "Stone", "countryCode", "BR", "department", "Sales", "approvers", []any{})
	cat := w.person("Cat", "Diaz", "countryCode", "GB", "approvers", []any{personEmail("Ada", "Okafor")})
	gone := w.person("Gone", "Away", "countryCode", "DE")
	w.okta.SetStatus(gone, "DEPROVISIONED")
	outsider := w.okta.AddUser(oktatest.User{Profile: map[string]any{"login": "out@example.com", "email": "out@example.com",
		"firstName": "Out", "lastName": "Sider"}})
	w.okta.AddMember(w.groups["Sales"], outsider)

	out := w.mustSync()

	if n := len(w.scim.Users()); n != 3 {
		t.Fatalf("the service has %d users, want 3 (ada, ben, cat)\n%s", n, out)
	}
	got := w.user(ada)
	for path, want := range map[string]any{
		"userName":                              "ada.okafor@example.com",
		"displayName":                           "Ada Okafor",
		"name.givenName":                        "Ada",
		"name.familyName":                       "Okafor",
		"active":                                true,
		"locale":                                "de_CH",
		"emails":                                []any{map[string]any{"value": "ada.okafor@example.com", "type": "work", "primary": true}},
		"schemas":                               []any{"urn:ietf:params:scim:schemas:core:2.0:User", lms.LearnerblySchema},
		lms.LearnerblySchema + ":contentRegion": "DE", // CH folds into DE
		lms.LearnerblySchema + ":customField1":  "R&D",
		lms.LearnerblySchema + ":approvers":     []any{"ben.stone@example.com", "cat.diaz@example.com"},
	} {
		if v := got.Get(path); !reflect.DeepEqual(v, want) {
			t.Errorf("ada's %s = %#v, want %#v", path, v, want)
		}
	}
	if v := w.user(ben).Get(lms.LearnerblySchema + ":contentRegion"); v != "QQ" {
		t.Errorf("ben's contentRegion = %v, want QQ (BR is in no region)", v)
	}
	if v := w.user(ben).Get(lms.LearnerblySchema + ":approvers"); v != nil {
		t.Errorf("ben has no approvers in Okta, but the service holds %v", v)
	}
	if v := w.user(cat).Get(lms.LearnerblySchema + ":approvers"); !reflect.DeepEqual(v, []any{"ada.okafor@example.com"}) {
		t.Errorf("cat's approvers = %#v, want the list [ada]", v)
	}

	// Every POST comes before the PATCHes carrying the approvers, and only
	// the approvers wait for the second pass.
	// Requests of one phase may be sent at once: their order within it
	// is free.
	calls := w.mutations()
	var methods []string
	for _, c := range calls {
		methods = append(methods, c.String())
	}
	if len(methods) == 5 {
		slices.Sort(methods[3:])
	}
	adaPath, catPath := "/Users/"+w.user(ada).ID(), "/Users/"+w.user(cat).ID()
	want := []string{"POST /Users", "POST /Users", "POST /Users", "PATCH " + min(adaPath, catPath), "PATCH " + max(adaPath, catPath)}
	if !slices.Equal(methods, want) {
		t.Fatalf("requests = %q, want %q", methods, want)
	}
	for _, c := range calls[:3] {
		if ext, _ := c.Body[lms.LearnerblySchema].(map[string]any); ext == nil || ext["contentRegion"] == nil || ext["approvers"] != nil {
			t.Errorf("a create must carry the extension without approvers: %v", c.Body)
		}
		if c.Body["externalId"] == nil || c.Body["active"] != true {
			t.Errorf("a create must carry externalId and active: %v", c.Body)
		}
	}
	secondPass := map[string][]any{
		adaPath: scimReplaceOp(scimLB(map[string]any{"approvers": []any{"ben.stone@example.com", "cat.diaz@example.com"}})),
		catPath: scimReplaceOp(scimLB(map[string]any{"approvers": []any{"ada.okafor@example.com"}})),
	}
	for _, c := range calls[3:] {
		if ops := scimOps(t, c); !reflect.DeepEqual(ops, secondPass[c.Path]) {
			t.Errorf("second pass %s = %v, want the approvers alone: %v", c, ops, secondPass[c.Path])
		}
	}
}

func TestSCIMManagerIsSetInASecondPassAfterTheManagerExists(t *testing.T) {
	manager := lms.EnterpriseUserSchema + ":manager"
	tests := []struct {
		name  string
		setup func() scimSetup
	}{
		// The Learnerbly preset maps no enterprise manager: a plain SCIM service …
		{"plain SCIM", scimPlainSetup},
		// … or Learnerbly with the manager mapped by the admin.
		{"Learnerbly with lms.attributes", func() scimSetup {
			s := scimLearnerblySetup()
			s.lms += "  attributes:\n    manager_email: " + manager + "\n"
			s.mapping = strings.Replace(s.mapping, "    locale: locale\n", "    locale: locale\n    manager_email: managerEmail\n", 1) +
				"  manager:\n    email_attribute: managerEmail\n"
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSCIMWorld(t, tt.setup())
			// Zoe sorts last: without the second pass, the creates of her
			// reports would name a manager not created yet.
			zoe := w.person("Zoe", "Zimmer", "title", "Head of Sales")
			ada := w.person("Ada", "Okafor", "title", "Rep", "managerEmail", "Zoe.Zimmer@example.com")
			ben := w.person("Ben", "Stone", "managerEmail", personEmail("Zoe", "Zimmer"))

			w.mustSync()

			zoeID := w.user(zoe).ID()
			for _, id := range []string{ada, ben} {
				if v := w.user(id).Get(manager + ".value"); v != zoeID {
					t.Errorf("manager of %s = %v, want zoe's SCIM id %s", id, v, zoeID)
				}
			}
			calls := w.mutations()
			lastPost, firstPatch := -1, len(calls)
			for i, c := range calls {
				switch c.Method {
				case "POST":
					lastPost = i
					if ext, _ := c.Body[lms.EnterpriseUserSchema].(map[string]any); ext["manager"] != nil {
						t.Errorf("a create carries the manager before the manager surely exists: %v", c.Body)
					}
				case "PATCH":
					firstPatch = min(firstPatch, i)
					want := scimReplaceOp(map[string]any{lms.EnterpriseUserSchema: map[string]any{"manager": map[string]any{"value": zoeID}}})
					if ops := scimOps(t, c); !reflect.DeepEqual(ops, want) {
						t.Errorf("second pass %s = %v, want the manager alone", c, ops)
					}
				}
			}
			if lastPost != 2 || firstPatch != 3 || len(calls) != 5 {
				t.Errorf("requests %v: want 3 POSTs, then 2 PATCHes setting the managers", calls)
			}

			// Read back from a listing, the manager is the same email: no change.
			w.scim.ResetRequests()
			if out := w.mustSync("--full"); !strings.Contains(out, "No changes.") || len(w.mutations()) != 0 {
				t.Errorf("a full run after the first is not quiet (%v):\n%s", w.mutations(), out)
			}

			// A later run, in a new process, finds the new manager by userName;
			// a manager removed in Okta is removed.
			w.okta.SetProfile(ada, "managerEmail", personEmail("Ben", "Stone"))
			w.okta.SetProfile(ben, "managerEmail", nil)
			w.scim.ResetRequests()
			w.mustSync()
			if v := w.user(ada).Get(manager + ".value"); v != w.user(ben).ID() {
				t.Errorf("ada's new manager = %v, want ben's id %s", v, w.user(ben).ID())
			}
			if v := w.user(ben).Get(manager); v != nil {
				t.Errorf("ben's manager = %v, want none", v)
			}
			for _, c := range w.mutations() {
				if c.Path == "/Users/"+w.user(ben).ID() {
					if want := []any{map[string]any{"op": "remove", "path": manager}}; !reflect.DeepEqual(scimOps(t, c), want) {
						t.Errorf("removing ben's manager sent %v, want %v", scimOps(t, c), want)
					}
				}
			}
			w.scim.ResetRequests()
			if out := w.mustSync("--full"); !strings.Contains(out, "No changes.") || len(w.mutations()) != 0 {
				t.Errorf("the manager changes did not land as applied (%v):\n%s", w.mutations(), out)
			}
		})
	}
}

func TestSCIMLearnerblyUnchangedDirectorySendsNothing(t *testing.T) {
	w := newSCIMWorld(t, scimLearnerblySetup())
	w.person("Ada", "Okafor", "countryCode", "CH", "department", "R&D", "locale", "de_CH",
		"approvers", []any{personEmail("Ben", "Stone")})
	w.person("Ben", "Stone", "countryCode", "br", "department", "  Sales  ")
	w.mustSync()

	for _, args := range [][]string{nil, {"--full"}} {
		w.scim.ResetRequests()
		out := w.mustSync(args...)
		if !strings.Contains(out, "No changes.") {
			t.Errorf("sync %v: output lacks \"No changes.\":\n%s", args, out)
		}
		if m := w.mutations(); len(m) != 0 {
			t.Errorf("sync %v: an unchanged directory sent %v", args, m)
		}
		if n := len(w.scim.Requests()); args == nil && n != 0 {
			t.Errorf("an unchanged directory made %d requests; the snapshot is the record", n)
		}
	}
}

func TestSCIMLearnerblyUpdateSendsOnlyWhatChanged(t *testing.T) {
	w := newSCIMWorld(t, scimLearnerblySetup())
	ada := w.person("Ada", "Okafor", "countryCode", "CH", "department", "R&D")
	ben := w.person("Ben", "Stone", "countryCode", "BR", "department", "Sales")
	cat := w.person("Cat", "Diaz", "countryCode", "GB", "approvers", []any{personEmail("Ada", "Okafor")})
	dan := w.person("Dan", "Ho", "locale", "en_GB")
	eve := w.person("Eve", "Lin", "countryCode", "US")
	fay := w.person("Fay", "Wu")
	w.mustSync()
	w.scim.ResetRequests()

	w.okta.SetProfile(ada, "department", "Research")
	w.okta.SetProfile(ben, "countryCode", "AR") // BR and AR are both QQ: nothing to send
	w.okta.SetProfile(cat, "countryCode", "IT")
	w.okta.SetProfile(cat, "approvers", []any{personEmail("Ada", "Okafor"), personEmail("Ben", "Stone")})
	w.okta.SetProfile(dan, "lastName", "Hoang")
	w.okta.SetProfile(eve, "countryCode", nil)
	w.okta.SetProfile(fay, "email", "fay.wu@new.example.com")
	out := w.mustSync()

	tests := []struct {
		who  string
		id   string
		want [][]any // the PATCHes to the user, in order
	}{
		{"ada", ada, [][]any{scimReplaceOp(scimLB(map[string]any{"customField1": "Research"}))}},
		// The approvers name other people: they go in the second pass.
		{"cat", cat, [][]any{scimReplaceOp(scimLB(map[string]any{"contentRegion": "ES"})),
			scimReplaceOp(scimLB(map[string]any{"approvers": []any{"ada.okafor@example.com", "ben.stone@example.com"}}))}},
		{"dan", dan, [][]any{scimReplaceOp(map[string]any{"displayName": "Dan Hoang",
			"name": map[string]any{"givenName": "Dan", "familyName": "Hoang"}})}},
		// No country is the global region, QQ, not an empty value.
		{"eve", eve, [][]any{scimReplaceOp(scimLB(map[string]any{"contentRegion": "QQ"}))}},
		{"fay", fay, [][]any{scimReplaceOp(map[string]any{"userName": "fay.wu@new.example.com",
			"emails": []any{map[string]any{"value": "fay.wu@new.example.com", "type": "work", "primary": true}}})}},
	}
	patches := map[string][][]any{}
	for _, c := range w.mutations() {
		if c.Method != "PATCH" {
			t.Errorf("unexpected request %s %v", c, c.Body)
			continue
		}
		patches[c.Path] = append(patches[c.Path], scimOps(t, c))
	}
	if len(patches) != len(tests) {
		t.Errorf("%d users were changed, want %d (not ben):\n%s", len(patches), len(tests), out)
	}
	for _, tt := range tests {
		if got := patches["/Users/"+w.user(tt.id).ID()]; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: PATCH operations\n got %v\nwant %v", tt.who, got, tt.want)
		}
	}
	if v := w.user(ada).Get(lms.LearnerblySchema + ":contentRegion"); v != "DE" {
		t.Errorf("ada's contentRegion = %v: a PATCH of one attribute must leave the others", v)
	}

	// An emptied attribute is removed, and what the service holds reads
	// back as what oktalms applied.
	w.okta.SetProfile(ben, "department", nil)
	w.scim.ResetRequests()
	w.mustSync()
	m := w.mutations()
	wantRemove := []any{map[string]any{"op": "remove", "path": lms.LearnerblySchema + ":customField1"}}
	if len(m) != 1 || !reflect.DeepEqual(scimOps(t, m[0]), wantRemove) {
		t.Errorf("emptying ben's department sent %v, want one PATCH %v", m, wantRemove)
	}
	if v := w.user(ben).Get(lms.LearnerblySchema + ":customField1"); v != nil {
		t.Errorf("ben's customField1 = %v after the remove", v)
	}
	w.scim.ResetRequests()
	if out := w.mustSync("--full"); !strings.Contains(out, "No changes.") || len(w.mutations()) != 0 {
		t.Errorf("the service does not hold what oktalms applied:\n%s", out)
	}
}

func TestSCIMLeaverIsDeactivatedAndReturnerReactivated(t *testing.T) {
	w := newSCIMWorld(t, scimLearnerblySetup())
	removed := w.person("Rem", "Oved", "countryCode", "DE")
	suspended := w.person("Sus", "Pended", "department", "Ops")
	stays := w.person("Sta", "Ys")
	handMade := w.scim.AddUser(lmstest.SCIMResource{"userName": "hand.made@example.com", "displayName": "Hand Made"})
	w.mustSync()

	w.okta.RemoveMember(w.groups["LMS Learners"], removed)
	w.okta.SetStatus(suspended, "SUSPENDED")
	w.scim.ResetRequests()
	out := w.mustSync()

	deactivate := scimReplaceOp(map[string]any{"active": false})
	archived := map[string]bool{}
	for _, c := range w.mutations() {
		if ops := scimOps(t, c); !reflect.DeepEqual(ops, deactivate) {
			t.Errorf("%s: %v, want active=false alone", c, ops)
		}
		archived[c.Path] = true
	}
	for _, id := range []string{removed, suspended} {
		u := w.user(id)
		if u.Get("active") != false || !archived["/Users/"+u.ID()] {
			t.Errorf("%s is not deactivated (active=%v)\n%s", u.Get("userName"), u.Get("active"), out)
		}
	}
	if len(archived) != 2 || w.user(stays).Get("active") != true {
		t.Errorf("deactivated %v, want the two leavers only", archived)
	}
	if u, _ := w.scim.User(handMade); u.Get("active") != true {
		t.Error("an account oktalms never created or linked was deactivated")
	}

	w.okta.AddMember(w.groups["LMS Learners"], removed)
	w.okta.SetStatus(suspended, "ACTIVE")
	w.okta.SetProfile(suspended, "department", "Finance")
	w.scim.ResetRequests()
	w.mustSync()

	wantOps := map[string][]any{
		removed:   scimReplaceOp(map[string]any{"active": true}),
		suspended: scimReplaceOp(map[string]any{"active": true, lms.LearnerblySchema: map[string]any{"customField1": "Finance"}}),
	}
	m := w.mutations()
	if len(m) != 2 {
		t.Errorf("returning two people took %v, want one PATCH each", m)
	}
	for id, want := range wantOps {
		u := w.user(id)
		if u.Get("active") != true {
			t.Errorf("%s was not reactivated", u.Get("userName"))
		}
		for _, c := range m {
			if c.Path == "/Users/"+u.ID() && !reflect.DeepEqual(scimOps(t, c), want) {
				t.Errorf("reactivation of %s: %v, want %v", u.Get("userName"), scimOps(t, c), want)
			}
		}
	}
	if v := w.user(suspended).Get(lms.LearnerblySchema + ":customField1"); v != "Finance" {
		t.Errorf("the change made while away did not arrive: %v", v)
	}
}

func TestSCIMExistingUserIsLinkedNotDuplicated(t *testing.T) {
	tests := []struct {
		name   string
		active bool
		want   map[string]any // the PATCH's replace value
	}{
		{"active account", true, map[string]any{"locale": "en_GB"}},
		{"deactivated account is restored", false, map[string]any{"locale": "en_GB", "active": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSCIMWorld(t, scimLearnerblySetup())
			ada := w.person("Ada", "Okafor", "locale", "en_GB", "countryCode", "CH")
			existing := w.scim.AddUser(lmstest.SCIMResource{
				"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User", lms.LearnerblySchema},
				"userName": "ADA.OKAFOR@Example.com", "displayName": "Ada Okafor", "active": tt.active,
				"name":               map[string]any{"givenName": "Ada", "familyName": "Okafor"},
				lms.LearnerblySchema: map[string]any{"contentRegion": "DE"},
			})

			out := w.mustSync()

			if n := len(w.scim.Users()); n != 1 {
				t.Fatalf("the service has %d users, want the one existing\n%s", n, out)
			}
			u := w.user(ada)
			if u.ID() != existing || u.Get("active") != true || u.Get("locale") != "en_GB" {
				t.Errorf("linked user = %v, want %s, active, locale set", u, existing)
			}
			if !strings.Contains(out, "= link ada.okafor@example.com") {
				t.Errorf("the report does not show the link:\n%s", out)
			}
			m := w.mutations()
			want := tt.want
			want["externalId"] = ada
			if len(m) != 1 || m[0].Path != "/Users/"+existing || !reflect.DeepEqual(scimOps(t, m[0]), scimReplaceOp(want)) {
				t.Errorf("the link sent %v, want one PATCH of %v", m, want)
			}
			w.scim.ResetRequests()
			if out := w.mustSync("--full"); !strings.Contains(out, "No changes.") || len(w.mutations()) != 0 {
				t.Errorf("the run after the link is not quiet:\n%s", out)
			}
		})
	}
}

func TestSCIMGroupIsCreatedFilledAndMembersLeave(t *testing.T) {
	for _, patch := range []bool{true, false} {
		t.Run(fmt.Sprintf("PATCH supported %v", patch), func(t *testing.T) {
			s := scimLearnerblySetup()
			s.fake.PatchSupported = patch
			w := newSCIMWorld(t, s)
			// By id, so that a rename in Okta keeps it in sync.
			w.writeConfig(strings.Replace(w.configText(), "safety:", "groups:\n  sync: [\""+w.groups["Sales"]+"\"]\nsafety:", 1))
			ada := w.person("Ada", "Okafor")
			ben := w.person("Ben", "Stone")
			cat := w.person("Cat", "Diaz")
			w.okta.AddMember(w.groups["Sales"], ada)
			w.okta.AddMember(w.groups["Sales"], ben)

			out := w.mustSync()

			groups := w.scim.Groups()
			if len(groups) != 1 || groups[0].Get("displayName") != "Sales" {
				t.Fatalf("groups = %v, want one SCIM Group Sales\n%s", groups, out)
			}
			gid := groups[0].ID()
			members := func() []string {
				g, _ := w.scim.Group(gid)
				list, _ := g.Get("members").([]any)
				var out []string
				for _, m := range list {
					out = append(out, m.(map[string]any)["value"].(string))
				}
				slices.Sort(out)
				return out
			}
			sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
			if got, want := members(), sorted(w.user(ada).ID(), w.user(ben).ID()); !slices.Equal(got, want) {
				t.Errorf("members = %v, want ada and ben %v", got, want)
			}
			var groupCalls []string
			for _, c := range w.mutations() {
				if strings.HasPrefix(c.Path, "/Groups") {
					groupCalls = append(groupCalls, c.String())
				}
			}
			update := "PATCH /Groups/" + gid
			if !patch {
				update = "PUT /Groups/" + gid
			}
			if want := []string{"POST /Groups", update, update}; !slices.Equal(groupCalls, want) {
				t.Errorf("group requests = %q, want %q", groupCalls, want)
			}

			w.okta.RemoveMember(w.groups["Sales"], ben)
			w.okta.AddMember(w.groups["Sales"], cat)
			w.scim.ResetRequests()
			out = w.mustSync()

			if got, want := members(), sorted(w.user(ada).ID(), w.user(cat).ID()); !slices.Equal(got, want) {
				t.Errorf("members = %v, want ada and cat %v\n%s", got, want, out)
			}
			m := w.mutations()
			if len(m) != 2 {
				t.Fatalf("the membership change sent %v, want an add and a remove", m)
			}
			if patch {
				wantAdd := []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": w.user(cat).ID()}}}}
				wantRemove := []any{map[string]any{"op": "remove", "path": `members[value eq "` + w.user(ben).ID() + `"]`}}
				if !reflect.DeepEqual(scimOps(t, m[0]), wantAdd) || !reflect.DeepEqual(scimOps(t, m[1]), wantRemove) {
					t.Errorf("membership PATCHes:\n got %v, %v\nwant %v, %v", scimOps(t, m[0]), scimOps(t, m[1]), wantAdd, wantRemove)
				}
			}
			if w.user(ben).Get("active") != true {
				t.Error("leaving a mirrored group deactivated the account; only the membership goes")
			}

			// A rename in Okta renames the SCIM Group, members untouched.
			w.okta.RenameGroup(w.groups["Sales"], "Sales EMEA")
			w.scim.ResetRequests()
			w.mustSync()
			if g, _ := w.scim.Group(gid); g.Get("displayName") != "Sales EMEA" || len(w.scim.Groups()) != 1 {
				t.Errorf("after the rename: %v", w.scim.Groups())
			}
			if got, want := members(), sorted(w.user(ada).ID(), w.user(cat).ID()); !slices.Equal(got, want) {
				t.Errorf("the rename changed the members: %v, want %v", got, want)
			}
			if m := w.mutations(); len(m) != 1 || m[0].Path != "/Groups/"+gid {
				t.Errorf("the rename sent %v, want one request to the group", m)
			}
		})
	}
}

func TestSCIMEachAuthScheme(t *testing.T) {
	tests := []struct {
		name  string
		setup func() scimSetup
		wrong map[string]string // the environment with a wrong credential
	}{
		{"bearer", scimPlainSetup, map[string]string{"OKTALMS_LMS_TOKEN": "revoked"}},
		{"static", scimLearnerblySetup, map[string]string{"OKTALMS_LMS_TOKEN": "revoked"}},
		{"basic", func() scimSetup {
			s := scimPlainSetup()
			s.fake.Auth = "basic"
			s.lms = "  auth: basic\n  username: " + s.fake.Username + "\n"
			s.env = map[string]string{"OKTALMS_LMS_PASSWORD": s.fake.Password}
			return s
		}, map[string]string{"OKTALMS_LMS_PASSWORD": "wrong"}},
		// The right token in the wrong scheme is refused too.
		{"static token sent as bearer", func() scimSetup {
			s := scimLearnerblySetup()
			s.lms += "  auth: bearer\n"
			return s
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSCIMWorld(t, tt.setup())
			ada := w.person("Ada", "Okafor")
			if tt.wrong != nil {
				w.mustSync()
				if got := w.user(ada).Get("userName"); got != "ada.okafor@example.com" {
					t.Fatalf("the sync did not create ada: %v", got)
				}
				out, _, code := w.command("check")
				if code != exitOK || !strings.Contains(out, "✓ The SCIM service credentials accepted") {
					t.Errorf("check with the right credentials: exit %d\n%s", code, out)
				}
				maps.Copy(w.env, tt.wrong)
			}
			w.scim.ResetRequests()
			out, _, code := w.command("check")
			for _, want := range []string{"✗ The SCIM service credentials", "401", "fix: check lms.auth and OKTALMS_LMS_TOKEN"} {
				if !strings.Contains(out, want) {
					t.Errorf("check lacks %q:\n%s", want, out)
				}
			}
			if code != exitFailed {
				t.Errorf("check exit %d, want %d", code, exitFailed)
			}
			if m := w.mutations(); len(m) != 0 {
				t.Errorf("check changed the service: %v", m)
			}
			// A sync with something to send is refused too, and says so.
			w.okta.SetProfile(ada, "lastName", "Okafor-Stone")
			if out, errOut, code := w.sync(); code == exitOK || !strings.Contains(out+errOut, "401") {
				t.Errorf("a sync with refused credentials: exit %d\n%s\n%s", code, out, errOut)
			}
		})
	}
}

func TestSCIMCheckFindsLearnerblyExtensionAttributes(t *testing.T) {
	w := newSCIMWorld(t, scimLearnerblySetup())
	out, _, code := w.command("check")
	if code != exitOK {
		t.Errorf("check exit %d\n%s", code, out)
	}
	for _, name := range []string{"approvers", "contentRegion", "customField1"} {
		if want := fmt.Sprintf("✓ The SCIM service custom field %q found", name); !strings.Contains(out, want) {
			t.Errorf("check lacks %q:\n%s", want, out)
		}
	}
}

func TestSCIMDryRunReportAndSavedPlan(t *testing.T) {
	people := func(w *scimWorld) {
		w.person("Ada", "Okafor", "countryCode", "CH", "approvers", []any{personEmail("Ben", "Stone")})
		w.person("Ben", "Stone", "countryCode", "BR", "department", "Sales")
	}
	w := newSCIMWorld(t, scimLearnerblySetup())
	people(w)

	out := w.mustSync("--dry-run", "--format", "json")
	var report struct {
		FormatVersion int            `json:"format_version"`
		Summary       map[string]int `json:"summary"`
		Operations    []struct {
			Action  string `json:"action"`
			Email   string `json:"email"`
			Changes []struct {
				Field, Before, After string
			} `json:"changes"`
		} `json:"operations"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("--format json is not JSON: %v\n%s", err, out)
	}
	var ops []string
	changes := map[string]string{}
	for _, op := range report.Operations {
		ops = append(ops, op.Action+" "+op.Email)
		for _, c := range op.Changes {
			changes[op.Action+" "+op.Email+" "+c.Field] = c.After
		}
	}
	wantOps := []string{"create ada.okafor@example.com", "create ben.stone@example.com", "update ada.okafor@example.com"}
	if report.FormatVersion != 1 || !slices.Equal(ops, wantOps) || report.Summary["create"] != 2 || report.Summary["update"] != 1 {
		t.Errorf("report: version %d, summary %v, ops %q; want %q", report.FormatVersion, report.Summary, ops, wantOps)
	}
	for key, want := range map[string]string{
		"create ada.okafor@example.com custom:contentRegion": "DE",
		"create ben.stone@example.com custom:contentRegion":  "QQ",
		"create ben.stone@example.com custom:customField1":   "Sales",
		"update ada.okafor@example.com custom:approvers":     "ben.stone@example.com",
	} {
		if changes[key] != want {
			t.Errorf("report change %s = %q, want %q", key, changes[key], want)
		}
	}
	if _, ok := changes["create ada.okafor@example.com custom:approvers"]; ok {
		t.Error("the create lists the approvers, which wait for the second pass")
	}
	if m := w.mutations(); len(m) != 0 {
		t.Fatalf("a dry run sent %v", m)
	}

	// A saved plan applied with apply sends exactly what a direct sync
	// sends to a twin of the same world.
	planFile := filepath.Join(t.TempDir(), "plan.json")
	w.mustSync("--dry-run", "--plan-out", planFile)
	if m := w.mutations(); len(m) != 0 {
		t.Fatalf("saving a plan sent %v", m)
	}
	out, errOut, code := w.command("apply", planFile)
	if code != exitOK || !strings.Contains(out, "Applied: 3 of 3.") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	twin := newSCIMWorld(t, scimLearnerblySetup())
	people(twin)
	twin.mustSync()
	if got, want := w.sent(), twin.sent(); !slices.Equal(got, want) {
		t.Errorf("apply sent\n%s\na direct sync sent\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(w.scim.Users()); n != 2 {
		t.Errorf("after apply the service has %d users, want 2", n)
	}
	w.scim.ResetRequests()
	if out := w.mustSync("--full"); !strings.Contains(out, "No changes.") || len(w.mutations()) != 0 {
		t.Errorf("the run after apply is not quiet:\n%s", out)
	}
	// The plan was applied once: applying it again is refused.
	if _, errOut, code := w.command("apply", planFile); code != exitFailed || !strings.Contains(errOut, "the snapshot changed") {
		t.Errorf("applying a spent plan: exit %d, %q", code, errOut)
	}
}

func TestSCIMServiceWithoutPatchIsUpdatedByPut(t *testing.T) {
	s := scimLearnerblySetup()
	s.fake.PatchSupported = false
	w := newSCIMWorld(t, s)
	ada := w.person("Ada", "Okafor", "countryCode", "CH", "department", "R&D", "locale", "de_CH")
	ben := w.person("Ben", "Stone", "countryCode", "GB", "department", "Sales")
	w.mustSync()
	w.scim.ResetRequests()

	w.okta.SetProfile(ada, "department", "Research")
	w.okta.SetProfile(ben, "department", nil)
	w.mustSync()

	var calls []string
	for _, c := range w.mutations() {
		calls = append(calls, c.String())
	}
	slices.Sort(calls)
	want := []string{"PUT /Users/" + w.user(ada).ID(), "PUT /Users/" + w.user(ben).ID()}
	if slices.Sort(want); !slices.Equal(calls, want) {
		t.Errorf("requests = %q, want %q", calls, want)
	}
	for path, want := range map[string]any{
		lms.LearnerblySchema + ":customField1":  "Research",
		lms.LearnerblySchema + ":contentRegion": "DE", // what the PUT did not change stays
		"locale":                                "de_CH",
		"userName":                              "ada.okafor@example.com",
		"externalId":                            ada,
	} {
		if v := w.user(ada).Get(path); v != want {
			t.Errorf("ada's %s = %v after the PUT, want %v", path, v, want)
		}
	}
	if v := w.user(ben).Get(lms.LearnerblySchema + ":customField1"); v != nil {
		t.Errorf("ben's emptied customField1 = %v after the PUT", v)
	}

	w.okta.RemoveMember(w.groups["LMS Learners"], ben)
	w.mustSync()
	if v := w.user(ben).Get("active"); v != false {
		t.Errorf("the leaver's active = %v, want false through a PUT", v)
	}
	w.scim.ResetRequests()
	if out := w.mustSync("--full"); !strings.Contains(out, "No changes.") || len(w.mutations()) != 0 {
		t.Errorf("the service does not hold what oktalms PUT:\n%s", out)
	}
}

func TestSCIMCreateRefusedAsTakenAdoptsTheUser(t *testing.T) {
	w := newSCIMWorld(t, scimLearnerblySetup())
	w.person("Ada", "Okafor")
	w.mustSync()
	// Made by hand after the first run: no listing happens, so the create
	// is refused as a duplicate (409 uniqueness).
	handMade := w.scim.AddUser(lmstest.SCIMResource{"userName": "Ben.Stone@example.com", "displayName": "Ben Stone"})
	ben := w.person("Ben", "Stone", "countryCode", "SE")

	out := w.mustSync()

	if n := len(w.scim.Users()); n != 2 {
		t.Fatalf("%d users, want 2: the taken userName must be adopted, not duplicated\n%s", n, out)
	}
	u := w.user(ben)
	if u.ID() != handMade || u.Get(lms.LearnerblySchema+":contentRegion") != "SE" {
		t.Errorf("adopted user = %v, want the hand-made one linked and its region set", u)
	}
	w.scim.ResetRequests()
	if again := w.mustSync(); !strings.Contains(again, "No changes.") || len(w.mutations()) != 0 {
		t.Errorf("the run after the adoption is not quiet:\n%s", again)
	}
}

func TestSCIMEasyLlamaPreset(t *testing.T) {
	fake := lmstest.DefaultSCIMOptions()
	fake.BasePath = "/scim/v2/org-42"
	s := scimSetup{fake: fake, lms: "  preset: easyllama\n  company_id: org-42\n",
		mapping: "  fields: {}\n", env: map[string]string{"OKTALMS_LMS_TOKEN": fake.Token}}
	w := newSCIMWorld(t, s)
	host := strings.TrimSuffix(w.scim.URL, fake.BasePath)
	// lms.url is EasyLlama's host: the preset adds /scim/v2/<company_id>.
	w.writeConfig(strings.Replace(w.configText(), "url: "+w.scim.URL, "url: "+host, 1))
	ada := w.person("Ada", "Okafor", "title", "Engineer")

	w.mustSync()
	if u := w.user(ada); u.Get("userName") != "ada.okafor@example.com" || u.Get("displayName") != "Ada Okafor" || u.Get("title") != nil {
		t.Errorf("EasyLlama user = %v, want the name and email only", u)
	}

	// Left to its default, lms.url is Lessonly's: the token must not go there.
	w.writeConfig(strings.Replace(w.configText(), "  url: "+host+"\n", "", 1))
	_, errOut, code := w.sync()
	if code != exitFailed || !strings.Contains(errOut, "lms.url") {
		t.Errorf("EasyLlama with the default lms.url: exit %d, %q; want 1 naming lms.url", code, errOut)
	}
}

func TestSCIMConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name  string
		patch func(s *scimSetup)
		want  string
	}{
		{"missing token", func(s *scimSetup) { s.env = nil }, "lms.token: missing"},
		{"unknown preset", func(s *scimSetup) { s.lms = "  preset: learnerbIy\n" }, "lms.preset"},
		{"unknown auth", func(s *scimSetup) { s.lms += "  auth: oauth\n" }, "lms.auth"},
		{"basic without a password", func(s *scimSetup) { s.lms += "  auth: basic\n  username: scim\n" }, "lms.username and lms.password"},
		{"a field the preset does not map", func(s *scimSetup) {
			s.mapping = strings.Replace(s.mapping, "    locale: locale\n", "    locale: locale\n    job_title: title\n", 1)
		}, `lms.attributes: no SCIM attribute for the mapped field "job_title"`},
		{"the manager, which Learnerbly has not", func(s *scimSetup) {
			s.mapping = strings.Replace(s.mapping, "    locale: locale\n", "    manager_email: managerEmail\n", 1) +
				"  manager:\n    email_attribute: managerEmail\n"
		}, `"manager_email"`},
		{"roles", func(s *scimSetup) { s.mapping += "  roles: [{group: Sales, role: admin}]\n" }, "mapping.roles"},
		{"group managers", func(s *scimSetup) { s.extra = "groups:\n  sync: [Sales]\n  managers: \"{name} Managers\"\n" }, "groups.managers"},
		{"group archive", func(s *scimSetup) { s.extra = "groups:\n  sync: [Sales]\n  archive_removed: true\n" }, "groups.archive_removed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scimLearnerblySetup()
			tt.patch(&s)
			w := newSCIMWorld(t, s)
			w.person("Ada", "Okafor")
			_, errOut, code := w.sync()
			if code != exitFailed || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, tt.want)
			}
			if n := len(w.scim.Requests()); n != 0 {
				t.Errorf("a bad config still made %d requests", n)
			}
		})
	}
}

func TestSCIMServiceWithoutGroupsFailsTheRunNamingIt(t *testing.T) {
	s := scimPlainSetup()
	s.fake.NoGroups = true
	s.extra = "groups:\n  sync: [Sales]\n"
	w := newSCIMWorld(t, s)
	ada := w.person("Ada", "Okafor")
	w.okta.AddMember(w.groups["Sales"], ada)

	_, errOut, code := w.sync()

	if code != exitFailed || !strings.Contains(errOut, "does not serve groups") {
		t.Errorf("exit %d, %q; want 1 saying the service has no groups", code, errOut)
	}
	if m := w.mutations(); len(m) != 0 {
		t.Errorf("a run that cannot list the groups sent %v", m)
	}
}

func TestSCIMManagerOutsideTheScopeIsHeldBackNotSent(t *testing.T) {
	w := newSCIMWorld(t, scimPlainSetup())
	email := personEmail("Zoe", "Zimmer") // in Okta, not in scope: no SCIM account to point to
	w.okta.AddUser(oktatest.User{Profile: map[string]any{"login": email, "email": email, "firstName": "Zoe", "lastName": "Zimmer"}})
	ada := w.person("Ada", "Okafor", "title", "Rep", "managerEmail", email)
	leaver := w.person("Lea", "Ver")

	for run := 1; run <= 2; run++ {
		w.scim.ResetRequests()
		out, _, code := w.sync()
		if code != exitPartial || !strings.Contains(out, `manager_email "zoe.zimmer@example.com"`) {
			t.Errorf("run %d: exit %d, want %d listing the manager as a problem:\n%s", run, code, exitPartial, out)
		}
		for _, c := range w.mutations() {
			if c.Method == "PATCH" && strings.Contains(fmt.Sprint(c.Body), "manager") {
				t.Errorf("run %d sent a manager with no account: %v", run, c.Body)
			}
		}
		w.okta.SetStatus(leaver, "SUSPENDED")
	}
	if u := w.user(ada); u.Get("title") != "Rep" || u.Get(lms.EnterpriseUserSchema+":manager") != nil {
		t.Errorf("ada = %v, want her title and no manager", u)
	}
	// A problem is not a failure: the leaver's archive is not held back.
	if v := w.user(leaver).Get("active"); v != false {
		t.Errorf("the leaver's active = %v: a held-back manager blocked the archives", v)
	}
}
