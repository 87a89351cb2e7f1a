package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms/lmstest"
	"github.com/oktalms/oktalms/oktaclient/oktatest"
)

// TestFaultsEndAppliedOrListedAndTheNextRunConverges injects each fault the
// APIs are known for into a run that creates, updates and archives. The run
// must end applied (exit 0) or list who failed (exit 4) — never half-apply
// in silence — and the run after must leave the LMS exactly as Okta wants.
func TestFaultsEndAppliedOrListedAndTheNextRunConverges(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		inject func(w *world)
		codes  []int // acceptable exit codes of the faulty run
	}{
		{"Lessonly 403 Rate Limit Exceeded", nil, func(w *world) {
			w.lessonly.InjectFault(lmstest.Fault{Method: "POST", Times: 2, Status: 403, Body: `{"type":"error","error":"Rate Limit Exceeded"}`})
		}, []int{exitOK}},
		{"Lessonly rate limit enforced", nil, func(w *world) { w.lessonly.SetRateLimit(5, false) }, []int{exitOK, exitPartial}},
		{"Lessonly 429 with Retry-After", nil, func(w *world) { w.lessonly.SetRateLimit(5, true) }, []int{exitOK, exitPartial}},
		{"Lessonly 5xx", nil, func(w *world) {
			w.lessonly.InjectFault(lmstest.Fault{Method: "PUT", Times: 2, Status: 502})
		}, []int{exitOK, exitPartial}},
		{"Lessonly drops the connection", nil, func(w *world) {
			w.lessonly.InjectFault(lmstest.Fault{Method: "POST", Times: 1, DropConnection: true})
		}, []int{exitOK}},
		{"Lessonly answers too late (the create lands anyway)", map[string]string{"OKTALMS_LMS_REQUEST_TIMEOUT": "150ms", "OKTALMS_LMS_MAX_RETRIES": "1"}, func(w *world) {
			w.lessonly.SetLatency(400 * time.Millisecond)
		}, []int{exitOK, exitPartial}},
		{"Lessonly refuses one person (4xx)", nil, func(w *world) {
			w.lessonly.InjectFault(lmstest.Fault{Method: "POST", Times: 1, Status: 422, Body: `{"type":"error","error":"Manager name is too long"}`})
		}, []int{exitPartial}},
		{"Okta 429", nil, func(w *world) {
			w.okta.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/groups/", Times: 1, Status: 429})
		}, []int{exitOK}},
		{"Okta 5xx", nil, func(w *world) {
			w.okta.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/groups/", Times: 1, Status: 503})
		}, []int{exitOK}},
		{"Okta drops the connection", nil, func(w *world) {
			w.okta.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/groups/", Times: 1, DropConnection: true})
		}, []int{exitOK}},
		{"Okta down for the whole run", nil, func(w *world) {
			w.okta.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/groups/", Status: 500})
		}, []int{exitFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.env["OKTALMS_LMS_MAX_RETRIES"] = "3"
			for k, v := range tt.env {
				w.env[k] = v
			}
			ids := make([]string, 9)
			for i := range ids {
				ids[i] = w.person(fmt.Sprintf("F%d", i), "Ault", "title", "Clerk")
			}
			w.mustSync()
			for i, id := range ids {
				switch i % 3 {
				case 0:
					w.okta.SetProfile(id, "title", "Lead")
				case 1:
					w.okta.SetStatus(id, "SUSPENDED")
				}
			}
			w.person("New", "Comer")
			tt.inject(w)

			out, errOut, code := w.sync()
			if !slices.Contains(tt.codes, code) {
				t.Fatalf("faulty run: exit %d, want one of %v\n%s%s", code, tt.codes, out, errOut)
			}
			if code == exitPartial && !strings.Contains(out, "✗") {
				t.Errorf("exit 4 without the failed people listed:\n%s", out)
			}
			if code == exitFailed {
				for _, u := range w.lessonly.Users() {
					if u.ArchivedAt != nil {
						t.Errorf("a failed Okta read archived %s", u.Email)
					}
				}
			}

			w.lessonly.ClearFaults()
			w.lessonly.SetRateLimit(0, false)
			w.lessonly.SetLatency(0)
			w.okta.ClearFaults()
			w.mustSync()
			converged(t, w, ids)
		})
	}
}

// converged checks the LMS is what Okta wants: every person once, the
// leads promoted, the suspended archived, the newcomer there.
func converged(t *testing.T, w *world, ids []string) {
	t.Helper()
	if n := len(w.lessonly.Users()); n != len(ids)+1 {
		t.Errorf("%d accounts, want %d", n, len(ids)+1)
	}
	seen := map[string]bool{}
	for _, u := range w.lessonly.Users() {
		if seen[strings.ToLower(u.Email)] {
			t.Errorf("two accounts for %s", u.Email)
		}
		seen[strings.ToLower(u.Email)] = true
	}
	for i, id := range ids {
		a := w.account(id)
		wantTitle, wantArchived := "Clerk", false
		switch i % 3 {
		case 0:
			wantTitle = "Lead"
		case 1:
			wantArchived = true
		}
		if a.JobTitle != wantTitle || (a.ArchivedAt != nil) != wantArchived {
			t.Errorf("%s: title %q archived %v, want %q %v", a.Email, a.JobTitle, a.ArchivedAt != nil, wantTitle, wantArchived)
		}
	}
}
