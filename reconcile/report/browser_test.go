package report_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHTMLRendersInChromium opens every golden plan.html in headless Chromium
// and checks what a person would see: the script ran to its end without a
// console message (an uncaught error or a Content-Security-Policy refusal
// would log one), and every op and problem is a row of its table. It needs a
// browser, so it runs only when OKTALMS_CHROMIUM names one:
//
//	OKTALMS_CHROMIUM=/usr/bin/chromium go test ./reconcile/report -run Chromium
func TestHTMLRendersInChromium(t *testing.T) {
	chromium := os.Getenv("OKTALMS_CHROMIUM")
	if chromium == "" {
		t.Skip("set OKTALMS_CHROMIUM to a Chromium binary to open the HTML reports in a browser")
	}
	for _, dir := range caseDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			plan := loadPlan(t, dir)
			page, err := os.ReadFile(filepath.Join(dir, "plan.html"))
			if err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			path := filepath.Join(tmp, "plan.html")
			if err := os.WriteFile(path, page, 0o644); err != nil {
				t.Fatal(err)
			}
			dom, logs := dumpDOM(t, chromium, tmp, path)
			for _, line := range strings.Split(logs, "\n") {
				if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") {
					t.Errorf("browser console: %s", line)
				}
			}
			checks := []struct {
				what      string
				substring string
				want      int
			}{
				{"script finished", `data-js="ready"`, 1},
				{"operation rows", `<tr class="op `, len(plan.Ops) + len(plan.Held)},
				{"held rows", `data-status="held">`, len(plan.Held)},
				{"problem rows", `<tr class="problem"`, len(plan.Problems)},
				{"script elements", "<script", 1},
			}
			for _, c := range checks {
				if got := strings.Count(dom, c.substring); got != c.want {
					t.Errorf("%s: got %d %q in the DOM, want %d", c.what, got, c.substring, c.want)
				}
			}
			if t.Failed() {
				t.Logf("DOM:\n%s", dom)
			}
		})
	}
}

// dumpDOM loads the page in a fresh headless profile and returns the DOM
// after its scripts ran, and the browser's log.
func dumpDOM(t *testing.T, chromium, tmp, path string) (dom, logs string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(tmp, "profile"), "--enable-logging=stderr", "--v=0",
		"--dump-dom", (&url.URL{Scheme: "file", Path: path}).String())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", chromium, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}
