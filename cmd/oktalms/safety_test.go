package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms/lmstest"
	"github.com/oktalms/oktalms/oktaclient/oktatest"
)

// withDefaultSafety restores the shipped safety defaults, which newWorld relaxes.
func withDefaultSafety(w *world) {
	w.writeConfig(strings.Replace(w.configText(), "  max_archive_percent: 100\n  max_shrink_percent: 100\n", "", 1))
}

func orgOf(w *world, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = w.person(fmt.Sprintf("P%03d", i), "Staff")
	}
	return ids
}

func TestBrakesHoldArchivesOnABadOktaRead(t *testing.T) {
	tests := []struct {
		name     string
		people   int // 440 fill three pages of 200
		damage   func(w *world, ids []string)
		wantCode int
		wantSay  string
	}{
		{"the scope group comes back empty", 40, func(w *world, ids []string) {
			for _, id := range ids {
				w.okta.RemoveMember(w.groups["LMS Learners"], id)
			}
		}, exitBlocked, "0 active people in scope, 100% fewer than the 40"},
		{"a tenth of the users come back", 40, func(w *world, ids []string) {
			for _, id := range ids[4:] {
				w.okta.RemoveMember(w.groups["LMS Learners"], id)
			}
		}, exitBlocked, "4 active people in scope, 90% fewer"},
		{"more leavers than the percentage cap", 40, func(w *world, ids []string) {
			for _, id := range ids[:5] {
				w.okta.SetStatus(id, "DEPROVISIONED")
			}
		}, exitBlocked, "5 archives are 12% of the 40"},
		{"Okta fails on page 3", 440, func(w *world, ids []string) {
			w.okta.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/groups/" + w.groups["LMS Learners"] + "/users", Skip: 2, Status: 500})
		}, exitFailed, "page 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			withDefaultSafety(w)
			w.env["OKTALMS_OKTA_MAX_RETRIES"] = "0"
			ids := orgOf(w, tt.people)
			w.mustSync()
			w.lessonly.ResetRequests()
			tt.damage(w, ids)

			out, errOut, code := w.sync()

			if code != tt.wantCode || !strings.Contains(out+errOut, tt.wantSay) {
				t.Errorf("exit %d, want %d, and the report saying %q:\n%s%s", code, tt.wantCode, tt.wantSay, out, errOut)
			}
			for _, m := range w.mutations() {
				if strings.HasSuffix(strings.Fields(m)[1], "/archive") {
					t.Errorf("an archive was sent: %s", m)
				}
			}
			if tt.wantCode != exitBlocked {
				return
			}
			w.okta.ClearFaults()
			forced := w.mustSync("--force")
			if !strings.Contains(forced, "--force: the safety brakes are released") || len(w.mutations()) == 0 {
				t.Errorf("--force did not apply the held archives:\n%s", forced)
			}
		})
	}
}

func TestLeaversWaitTheConfiguredMisses(t *testing.T) {
	w := newWorld(t)
	w.env["OKTALMS_SAFETY_ARCHIVE_AFTER_MISSES"] = "2"
	leaver := w.person("Lea", "Ver")
	w.person("Sta", "Ys")
	w.mustSync()
	w.okta.SetStatus(leaver, "SUSPENDED")

	first := w.mustSync()
	if w.account(leaver).ArchivedAt != nil || !strings.Contains(first, "held by safety.archive_after_misses") {
		t.Errorf("first miss: archived %v; want pending\n%s", w.account(leaver).ArchivedAt != nil, first)
	}
	w.mustSync()
	if w.account(leaver).ArchivedAt == nil {
		t.Error("second miss in a row: not archived")
	}
}

func TestProtectedPeopleAreNeverChanged(t *testing.T) {
	w := newWorld(t)
	w.env["OKTALMS_SAFETY_PROTECTED"] = "*@board.example.com"
	chair := w.okta.AddUser(oktatest.User{Profile: map[string]any{"email": "chair@board.example.com", "firstName": "Cha", "lastName": "Ir", "title": "Chair"}})
	w.okta.AddMember(w.groups["LMS Learners"], chair)
	out := w.mustSync()
	if len(w.lessonly.Users()) != 0 || !strings.Contains(out, "held by safety.protected") {
		t.Errorf("a protected person was created, or not shown as held:\n%s", out)
	}
}

func TestDetailedExitCodeAndReportFile(t *testing.T) {
	w := newWorld(t)
	w.person("Ada", "Okafor")
	reportFile := filepath.Join(t.TempDir(), "plan.html")

	out, _, code := w.sync("--dry-run", "--detailed-exitcode", "--format", "html", "--report", reportFile)
	if code != exitPending {
		t.Errorf("pending changes: exit %d, want %d", code, exitPending)
	}
	page, err := os.ReadFile(reportFile)
	if err != nil || !strings.Contains(string(page), "ada.okafor@example.com") || !strings.Contains(out, "Report written to") {
		t.Errorf("the HTML report was not written (%v); stdout:\n%s", err, out)
	}
	if info, err := os.Stat(reportFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("report file mode: %v %v, want 0600", info.Mode().Perm(), err)
	}
	w.mustSync()
	if _, _, code := w.sync("--dry-run", "--detailed-exitcode"); code != exitOK {
		t.Errorf("nothing pending: exit %d, want 0", code)
	}
}

// plannedWorld is a world with people to create, update and archive.
func plannedWorld(t *testing.T) (*world, string) {
	w := newWorld(t)
	w.env["OKTALMS_LMS_CONCURRENCY"] = "1" // the two worlds must number their accounts alike
	ada := w.person("Ada", "Okafor", "title", "Engineer")
	leaver := w.person("Lea", "Ver")
	w.mustSync()
	w.okta.SetProfile(ada, "title", "Staff Engineer")
	w.okta.SetStatus(leaver, "DEPROVISIONED")
	w.person("New", "Hire")
	return w, filepath.Join(t.TempDir(), "plan.json")
}

func TestSavedPlanMakesExactlyTheRequestsOfADirectSync(t *testing.T) {
	direct, _ := plannedWorld(t)
	direct.lessonly.ResetRequests()
	direct.mustSync()

	saved, planFile := plannedWorld(t)
	saved.lessonly.ResetRequests()
	out := saved.mustSync("--dry-run", "--plan-out", planFile)
	if n := len(saved.mutations()); n != 0 || !strings.Contains(out, "Plan saved to") {
		t.Fatalf("the dry run sent %d requests or saved no plan:\n%s", n, out)
	}
	if info, err := os.Stat(planFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("plan file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	body, _ := os.ReadFile(planFile)
	for _, secret := range []string{saved.okta.Token, saved.lessonly.APIKey} {
		if strings.Contains(string(body), secret) {
			t.Error("the plan file holds a secret")
		}
	}
	applied, _, code := saved.command("apply", planFile)
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, applied)
	}
	if got, want := saved.mutations(), direct.mutations(); !reflect.DeepEqual(got, want) {
		t.Errorf("apply sent %q\na direct sync sent %q", got, want)
	}
	if !strings.Contains(applied, "Applied: 3 of 3.") {
		t.Errorf("apply output:\n%s", applied)
	}
}

func TestStalePlansAreRefused(t *testing.T) {
	tests := []struct {
		name   string
		change func(w *world, planFile string)
		want   string
	}{
		{"another run applied since", func(w *world, _ string) { w.mustSync() }, "the snapshot changed"},
		{"the config changed", func(w *world, _ string) {
			w.writeConfig(strings.Replace(w.configText(), "job_title: title", "job_title: jobTitle", 1))
		}, "the config changed"},
		{"the plan is too old", func(w *world, planFile string) {
			var p map[string]any
			body, _ := os.ReadFile(planFile)
			json.Unmarshal(body, &p)
			p["created_at"] = time.Now().Add(-25 * time.Hour)
			body, _ = json.Marshal(p)
			os.WriteFile(planFile, body, 0o600)
		}, "more than plan.max_age (24h0m0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, planFile := plannedWorld(t)
			w.mustSync("--dry-run", "--plan-out", planFile)
			tt.change(w, planFile)
			w.lessonly.ResetRequests()

			out, errOut, code := w.command("apply", planFile)

			if code != exitFailed || !strings.Contains(errOut, "the plan is refused, nothing was applied") || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q\n%s", code, errOut, tt.want, out)
			}
			if m := w.mutations(); len(m) != 0 {
				t.Errorf("a refused plan sent %q", m)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	w := newWorld(t)
	ada := w.person("Ada", "Okafor", "title", "Engineer", "hireDate", "03/04/2021", "employeeNumber", 42.0)
	w.mustSync()
	w.okta.SetProfile(ada, "title", "Staff Engineer")
	outsider := w.okta.AddUser(oktatest.User{Profile: map[string]any{"login": "out@example.com", "email": "out@example.com", "firstName": "Out", "lastName": "Sider"}})
	w.okta.AddMember(w.groups["Facilities"], outsider)
	w.person("Priya", "Patel")
	w.lessonly.AddUser(lmstest.LessonlyUser{Name: "Priya Patel", Email: "PRIYA.PATEL@example.com"})
	w.lessonly.ResetRequests()

	tests := []struct {
		who  string
		want []string
	}{
		{"ada.okafor@example.com", []string{"status ACTIVE: counts as active", `In scope: yes, through "LMS Learners"`,
			`job_title            title = "Staff Engineer" → "Staff Engineer"`, `hire_date            hireDate = "03/04/2021" → "2021-03-04"`,
			`custom:Employee ID   employeeNumber = "42" → "42"`, "created or linked by oktalms",
			`~ update ada.okafor@example.com`, `job_title : "Engineer" → "Staff Engineer"`}},
		{"out@example.com", []string{`In scope: no`, `"Facilities"`, "No changes."}},
		{"priya.patel@example.com", []string{"not yet linked; it matches by email", "= link priya.patel@example.com"}},
		{"nobody@example.com", []string{"neither in Okta nor in the snapshot"}},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			out, errOut, code := w.command("explain", tt.who)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("explain lacks %q:\n%s", want, out)
				}
			}
		})
	}
	if m := w.mutations(); len(m) != 0 {
		t.Errorf("explain changed the LMS: %q", m)
	}
}
