package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/oktalms/oktalms"

// importRules are the one-way arrows of the design: each says which
// packages must not depend, even indirectly, on which others.
var importRules = []struct {
	why       string
	packages  func(pkg string) bool
	forbidden func(dep string) bool
}{
	{"reconcile is pure: the standard library and itself only",
		under("reconcile"), func(dep string) bool { return !isStd(dep) && !strings.HasPrefix(dep, module+"/reconcile") }},
	{"sync knows only the interfaces it declares",
		exactly("sync"), anyOf(under("oktaclient"), under("lms"), under("sync/snapshot"))},
	{"the Okta side and the LMS side do not know each other",
		under("oktaclient"), under("lms")},
	{"the Okta side and the LMS side do not know each other",
		under("lms"), under("oktaclient")},
	{"viper stays in cmd",
		not(under("cmd")), prefix("github.com/spf13/viper")},
	{"SQL stays in sync/snapshot",
		not(anyOf(under("sync/snapshot"), under("cmd"))), anyOf(prefix("github.com/jmoiron/sqlx"), prefix("github.com/mattn/go-sqlite3"))},
	{"the Okta SDK stays in oktaclient",
		not(anyOf(exactly("oktaclient"), under("cmd"))), prefix("github.com/okta/okta-sdk-golang")},
	{"a fake is an independent reading of the API: standard library only",
		anyOf(under("oktaclient/oktatest"), under("lms/lmstest")), func(dep string) bool { return !isStd(dep) }},
}

// TestImportRules is `make depcheck`: it reads every package's transitive
// dependencies with go list and checks them against importRules.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 8 {
		t.Fatalf("go list found %d packages; the rules would check nothing", len(lines))
	}
	for _, line := range lines {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		for _, rule := range importRules {
			if !rule.packages(pkg) {
				continue
			}
			for _, dep := range deps {
				if rule.forbidden(dep) {
					t.Errorf("%s depends on %s: %s", pkg, dep, rule.why)
				}
			}
		}
	}
}

func TestImportRulesCatchAViolation(t *testing.T) {
	// The rules themselves must bite: a pure reconcile importing the SDK is caught.
	rule := importRules[0]
	if !rule.packages(module+"/reconcile") || !rule.forbidden("github.com/okta/okta-sdk-golang/v2/okta") {
		t.Fatal("the reconcile rule does not forbid the Okta SDK")
	}
	if rule.forbidden("encoding/json") || rule.forbidden(module+"/reconcile") {
		t.Fatal("the reconcile rule forbids the standard library or reconcile itself")
	}
}

func isStd(pkg string) bool { return !strings.Contains(strings.Split(pkg, "/")[0], ".") }

func under(rel string) func(string) bool {
	return func(pkg string) bool { return pkg == module+"/"+rel || strings.HasPrefix(pkg, module+"/"+rel+"/") }
}

func exactly(rel string) func(string) bool {
	return func(pkg string) bool { return pkg == module+"/"+rel }
}

func prefix(p string) func(string) bool {
	return func(pkg string) bool { return strings.HasPrefix(pkg, p) }
}

func not(f func(string) bool) func(string) bool { return func(pkg string) bool { return !f(pkg) } }

func anyOf(fs ...func(string) bool) func(string) bool {
	return func(pkg string) bool {
		for _, f := range fs {
			if f(pkg) {
				return true
			}
		}
		return false
	}
}
