package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadConfigIsRefusedNamingTheKey loads a valid config with one thing
// wrong at a time, by YAML or by environment, and expects the error to name
// the key and say what is wrong.
func TestBadConfigIsRefusedNamingTheKey(t *testing.T) {
	valid := `
okta:
  org_url: https://acme.okta.com
  groups: ["LMS Learners"]
lms:
  subdomain: acme
mapping:
  custom_fields:
    Employee ID: employeeNumber
state:
  path: STATE
`
	secrets := map[string]string{"OKTALMS_OKTA_TOKEN": "t0k", "OKTALMS_LMS_API_KEY": "k3y"}
	tests := []struct {
		name string
		yaml func(string) string // edits the valid YAML
		env  map[string]string   // overrides
		want string
	}{
		{"missing Okta token", nil, map[string]string{"OKTALMS_OKTA_TOKEN": ""}, "okta.token: missing"},
		{"missing LMS key", nil, map[string]string{"OKTALMS_LMS_API_KEY": ""}, "lms.api_key: missing"},
		{"missing org URL", nil, map[string]string{"OKTALMS_OKTA_ORG_URL": " "}, "okta.org_url"},
		{"http for a remote Okta", nil, map[string]string{"OKTALMS_OKTA_ORG_URL": "http://acme.okta.com"}, "okta.org_url: \"http://acme.okta.com\" must use https"},
		{"http for a remote LMS", nil, map[string]string{"OKTALMS_LMS_URL": "http://api.lessonly.com"}, "lms.url: \"http://api.lessonly.com\" must use https"},
		{"not a URL", nil, map[string]string{"OKTALMS_OKTA_ORG_URL": "acme"}, "okta.org_url: \"acme\" is not a URL"},
		{"no scope group", nil, map[string]string{"OKTALMS_OKTA_GROUPS": ","}, "okta.groups"},
		{"unknown auth", nil, map[string]string{"OKTALMS_OKTA_AUTH": "saml"}, "okta.auth"},
		{"oauth without client id", nil, map[string]string{"OKTALMS_OKTA_AUTH": "oauth"}, "okta.client_id: missing"},
		{"oauth key file missing", nil, map[string]string{"OKTALMS_OKTA_AUTH": "oauth", "OKTALMS_OKTA_CLIENT_ID": "0oa1",
			"OKTALMS_OKTA_PRIVATE_KEY_FILE": "/nonexistent/key.pem"}, "okta.private_key_file"},
		{"unknown top-level key", func(y string) string { return y + "sched:\n  times: []\n" }, nil, "unknown key sched"},
		{"unknown nested key (a typo)", func(y string) string { return strings.Replace(y, "  groups:", "  group:", 1) }, nil, "unknown key okta.group"},
		{"unknown LMS field", func(y string) string {
			return strings.Replace(y, "mapping:\n", "mapping:\n  fields:\n    jobtitle: title\n", 1)
		}, nil, "mapping.fields.jobtitle: unknown LMS field"},
		{"unsupported LMS kind", nil, map[string]string{"OKTALMS_LMS_KIND": "moodle"}, "lms.kind: \"moodle\" is not supported"},
		{"bad role", nil, map[string]string{"OKTALMS_MAPPING_DEFAULT_ROLE": "owner"}, "mapping.default_role"},
		{"name template without placeholder", nil, map[string]string{"OKTALMS_MAPPING_NAME": "Employee"}, "mapping.name"},
		{"malformed cron spec", nil, map[string]string{"OKTALMS_SCHEDULE_TIMES": "0 25 * * *"}, "schedule.times[0]"},
		{"unknown timezone", nil, map[string]string{"OKTALMS_SCHEDULE_TIMEZONE": "Mars/Olympus"}, "schedule.timezone"},
		{"bad duration", nil, map[string]string{"OKTALMS_OKTA_REQUEST_TIMEOUT": "fast"}, "okta.request_timeout"},
		{"negative duration", nil, map[string]string{"OKTALMS_LMS_REQUEST_TIMEOUT": "-5s"}, "lms.request_timeout: must be a positive duration"},
		{"admin off loopback without token", nil, map[string]string{"OKTALMS_ADMIN_LISTEN": "0.0.0.0:8787"}, "admin.token: required"},
		{"admin listen not host:port", nil, map[string]string{"OKTALMS_ADMIN_LISTEN": "8787"}, "admin.listen"},
		{"webhook over http", nil, map[string]string{"OKTALMS_NOTIFY_WEBHOOK_URL": "http://hooks.example.com/x"}, "notify.webhook_url"},
		{"archive percentage over 100", nil, map[string]string{"OKTALMS_SAFETY_MAX_ARCHIVE_PERCENT": "150"}, "safety.max_archive_percent"},
		{"misses below one", nil, map[string]string{"OKTALMS_SAFETY_ARCHIVE_AFTER_MISSES": "0"}, "safety.archive_after_misses"},
		{"bad protected pattern", nil, map[string]string{"OKTALMS_SAFETY_PROTECTED": "[ceo@example.com"}, "safety.protected[0]"},
		{"create_only of an unmapped field", nil, map[string]string{"OKTALMS_MAPPING_CREATE_ONLY": "locale"}, "mapping.create_only[0]"},
		{"non-numeric custom field id", func(y string) string { return y + "lms:\n  custom_field_ids:\n    Employee ID: twelve\n" }, nil, "custom_field_id"},
		{"bad log level", nil, map[string]string{"OKTALMS_LOG_LEVEL": "loud"}, "log.level"},
		{"bad log format", nil, map[string]string{"OKTALMS_LOG_FORMAT": "xml"}, "log.format"},
		{"empty state path", nil, map[string]string{"OKTALMS_STATE_PATH": " "}, "state.path: missing"},
		{"invalid YAML", func(y string) string { return y + "okta: [\n" }, nil, "not valid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			body := strings.Replace(valid, "STATE", filepath.Join(dir, "oktalms.db"), 1)
			if tt.yaml != nil {
				body = tt.yaml(body)
			}
			path := filepath.Join(dir, "oktalms.yaml")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{}
			for k, v := range secrets {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			_, err := loadConfig(path, func(k string) string { return env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			for _, secret := range secrets {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error %q shows a secret", err)
				}
			}
		})
	}
}

func TestUnwritableStatePathIsRefusedNamingTheKey(t *testing.T) {
	w := newWorld(t)
	// A file where the state directory should be: not writable even by root.
	blocker := filepath.Join(t.TempDir(), "blocker")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w.env["OKTALMS_STATE_PATH"] = filepath.Join(blocker, "sub", "oktalms.db")
	_, errOut, code := w.sync()
	if code != exitFailed || !strings.Contains(errOut, "state.path") {
		t.Errorf("exit %d, %q; want 1 naming state.path", code, errOut)
	}
}
