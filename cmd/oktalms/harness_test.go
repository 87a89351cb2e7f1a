package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms/lmstest"
	"github.com/oktalms/oktalms/oktaclient/oktatest"
)

// harness is what every end-to-end world shares: one Okta org simulated
// over real HTTP and its groups, the config file and the environment
// oktalms runs with, in a directory of its own that also holds the state.
// world, laWorld and scimWorld embed it and add their LMS fake.
type harness struct {
	t      *testing.T
	okta   *oktatest.Server
	groups map[string]string // Okta group name → id
	dir    string            // holds the config file and the state
	config string
	env    map[string]string
	// timeout bounds each command run in this process; zero is 30s.
	timeout time.Duration
}

// newHarness starts an Okta fake with the groups named, added in order,
// and readies the config path and an environment holding the Okta token:
// the secrets come from the environment, as the README recommends.
func newHarness(t *testing.T, groups ...string) harness {
	t.Helper()
	h := harness{t: t, okta: oktatest.NewServer(), groups: map[string]string{}, dir: t.TempDir()}
	t.Cleanup(h.okta.Close)
	for _, g := range groups {
		h.groups[g] = h.okta.AddGroup(g)
	}
	h.config = filepath.Join(h.dir, "oktalms.yaml")
	h.env = map[string]string{"OKTALMS_OKTA_TOKEN": h.okta.Token}
	return h
}

// oktaYAML is the okta section each world's config starts with: the scope
// is the group LMS Learners.
func (h *harness) oktaYAML() string {
	return `okta:
  org_url: ` + h.okta.URL + `
  groups: ["LMS Learners"]
  request_timeout: 5s
  max_retries: 1
`
}

// tailYAML ends each world's config: the brakes released, the state in the
// world's directory, the logs quiet.
func (h *harness) tailYAML() string {
	return `# These tests archive a few people out of a few: the brakes get their own tests.
safety:
  max_archive_percent: 100
  max_shrink_percent: 100
state:
  path: ` + filepath.Join(h.dir, "state", "oktalms.db") + `
log:
  level: error
`
}

func (h *harness) configText() string {
	h.t.Helper()
	raw, err := os.ReadFile(h.config)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(raw)
}

func (h *harness) writeConfig(body string) {
	h.t.Helper()
	if err := os.WriteFile(h.config, []byte(body), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// editConfig replaces old, which must be there, with new in the config file.
func (h *harness) editConfig(old, new string) {
	h.t.Helper()
	text := h.configText()
	if !strings.Contains(text, old) {
		h.t.Fatalf("the config lacks %q", old)
	}
	h.writeConfig(strings.Replace(text, old, new, 1))
}

// personEmail is the email, and login, person gives first last.
func personEmail(first, last string) string { return strings.ToLower(first+"."+last) + "@example.com" }

// person adds an Okta user in the scope group and returns its id. extra
// holds profile attributes as key, value pairs; "status" sets the status,
// ACTIVE unless said.
func (h *harness) person(first, last string, extra ...any) string {
	h.t.Helper()
	email := personEmail(first, last)
	p := map[string]any{"login": email, "email": email, "firstName": first, "lastName": last}
	status := "ACTIVE"
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i] == "status" {
			status = extra[i+1].(string)
			continue
		}
		p[extra[i].(string)] = extra[i+1]
	}
	id := h.okta.AddUser(oktatest.User{Status: status, Profile: p})
	h.okta.AddMember(h.groups["LMS Learners"], id)
	return id
}

// getenv reads the world's environment, as run does.
func (h *harness) getenv(k string) string { return h.env[k] }

// command runs `oktalms ARGS` in this process, with --config after the
// command's name, and returns stdout, stderr (and the error run returned)
// and the exit code.
func (h *harness) command(args ...string) (stdout, stderr string, code int) {
	h.t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{args[0], "--config", h.config}, args[1:]...)
	ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(h.timeout, 30*time.Second))
	defer cancel()
	err := run(ctx, args, h.getenv, &out, &errOut)
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), exitCode(err)
}

// mustCommand is command, failing the test unless the exit code is 0; it
// returns stdout.
func (h *harness) mustCommand(args ...string) string {
	h.t.Helper()
	out, errOut, code := h.command(args...)
	if code != 0 {
		h.t.Fatalf("oktalms %s %v: exit %d\nstdout:\n%s\nstderr:\n%s", args[0], args[1:], code, out, errOut)
	}
	return out
}

// sync runs `oktalms sync` with args and returns stdout, stderr and the exit code.
func (h *harness) sync(args ...string) (stdout, stderr string, code int) {
	h.t.Helper()
	return h.command(append([]string{"sync"}, args...)...)
}

func (h *harness) mustSync(args ...string) string {
	h.t.Helper()
	return h.mustCommand(append([]string{"sync"}, args...)...)
}

// describe shows an LMS request as "METHOD path key,key", with the sorted
// keys of its JSON body (an OAuth token request's form is left out).
func (h *harness) describe(r lmstest.Request) string {
	h.t.Helper()
	line := r.Method + " " + r.Path
	if len(r.Body) > 0 && r.Path != "/oauth/token" {
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			h.t.Fatalf("body of %s: %v", line, err)
		}
		line += " " + strings.Join(slices.Sorted(maps.Keys(body)), ",")
	}
	return line
}

// describeAll is describe of each request, in order.
func (h *harness) describeAll(reqs []lmstest.Request) []string {
	h.t.Helper()
	var out []string
	for _, r := range reqs {
		out = append(out, h.describe(r))
	}
	return out
}
