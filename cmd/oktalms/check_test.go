package main

import (
	"strings"
	"testing"

	"github.com/oktalms/oktalms/lms/lmstest"
)

func TestCheckReportsEachFailureDistinctly(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(w *world)
		want   []string // substrings of the checklist, failure and fix
	}{
		{"all good", func(w *world) {}, []string{`✓ Okta group "LMS Learners"`, "1 members readable", "✓ Lessonly credentials accepted",
			`✓ Lessonly custom field "Employee ID" found`, "All checks passed."}},
		{"bad Okta token", func(w *world) { w.env["OKTALMS_OKTA_TOKEN"] = "revoked" },
			[]string{"✗ Okta credentials", "Invalid token", "fix: create a new API token"}},
		{"unknown group", func(w *world) { w.env["OKTALMS_OKTA_GROUPS"] = "LMS Learners,LMS Lerners" },
			[]string{`✓ Okta group "LMS Learners"`, `✗ Okta group "LMS Lerners"`, "fix: check the name in Okta"}},
		{"bad LMS key", func(w *world) { w.env["OKTALMS_LMS_API_KEY"] = "wrong" },
			[]string{"✗ Lessonly credentials", "401", "fix: check lms.subdomain and OKTALMS_LMS_API_KEY"}},
		{"unknown custom field", func(w *world) {
			raw := strings.Replace(w.configText(), "Employee ID: employeeNumber", "Employe ID: employeeNumber", 1)
			w.writeConfig(raw)
		}, []string{`✗ Lessonly custom field "Employe ID"`, "known: Employee ID"}},
		{"unknown role group", func(w *world) {
			w.writeConfig(strings.Replace(w.configText(), "mapping:\n", "mapping:\n  roles: [{group: \"LMS Admns\", role: admin}]\n", 1))
		}, []string{`✗ mapping.roles[0].group "LMS Admns"`, "no Okta group"}},
		{"unreachable Okta", func(w *world) { w.env["OKTALMS_OKTA_ORG_URL"] = "http://127.0.0.1:1" },
			[]string{"✗ Okta at http://127.0.0.1:1", "connection refused", "fix: check okta.org_url"}},
		{"unreachable LMS", func(w *world) { w.env["OKTALMS_LMS_URL"] = "http://127.0.0.1:1" },
			[]string{"✗ Lessonly at http://127.0.0.1:1", "fix: check lms.url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.person("Ada", "Okafor", "employeeNumber", 7.0)
			// Lessonly learns field names only from accounts that carry data.
			w.lessonly.AddUser(lmstest.LessonlyUser{Name: "Seed", Email: "seed@example.com", Custom: map[string]string{"Employee ID": "1"}})
			tt.break_(w)
			out, _, code := w.command("check")
			wantCode := exitFailed
			if tt.name == "all good" {
				wantCode = exitOK
			}
			if code != wantCode {
				t.Errorf("exit %d, want %d\n%s", code, wantCode, out)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("checklist lacks %q:\n%s", want, out)
				}
			}
			if n := len(w.lessonly.Mutations()); n != 0 {
				t.Errorf("check changed the LMS: %d mutations", n)
			}
		})
	}
}

func TestStatusAndHistory(t *testing.T) {
	w := newWorld(t)
	ada := w.person("Ada", "Okafor", "title", "Engineer")
	w.person("Ben", "Larsen")
	w.mustSync()
	w.okta.SetProfile(ada, "title", "Staff Engineer")
	w.mustSync("--dry-run")
	w.mustSync()

	status, _, code := w.command("status")
	if code != 0 {
		t.Fatalf("status exit %d", code)
	}
	for _, want := range []string{"Health:        healthy", "Snapshot:      2 people", "Next run:", "dry run", "cli"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}

	last, _, _ := w.command("history")
	if !strings.Contains(last, "Operations of run 3") || !strings.Contains(last, `job_title: "Engineer" → "Staff Engineer"`) {
		t.Errorf("history of the last applying run:\n%s", last)
	}
	user, _, _ := w.command("history", "--user", "ADA.OKAFOR@example.com")
	if strings.Count(user, "applied ") != 2 || strings.Contains(user, "ben.larsen") {
		t.Errorf("history of one person should list her create and update only:\n%s", user)
	}
	first, _, _ := w.command("history", "1", "--json")
	if !strings.Contains(first, `"action": "create"`) || strings.Count(first, `"status": "applied"`) != 2 {
		t.Errorf("history 1 --json:\n%s", first)
	}
	_, errOut, code := w.command("history", "99")
	if code != exitFailed || !strings.Contains(errOut, "run 99") {
		t.Errorf("an unknown run: exit %d, %q", code, errOut)
	}
}
