package main

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms/lmstest"
	"github.com/oktalms/oktalms/oktaclient/oktatest"
)

// TestNoSecretLeaks drives every command, with failures on both sides, at
// debug level, and greps everything oktalms wrote — stdout, stderr, logs,
// reports, plan files, the database and its WAL — for the secret values.
func TestNoSecretLeaks(t *testing.T) {
	secrets := map[string]string{
		"okta token":  "SECRET-okta-token-7f3a",
		"LMS key":     "SECRET-lms-key-91bc",
		"admin token": "SECRET-admin-token-55d0",
		"webhook":     "SECRET-hook-path-0c1e",
	}
	w := newWorld(t)
	w.okta.Token = secrets["okta token"]
	w.lessonly.APIKey = secrets["LMS key"]
	w.env["OKTALMS_OKTA_TOKEN"] = secrets["okta token"]
	w.env["OKTALMS_LMS_API_KEY"] = secrets["LMS key"]
	w.env["OKTALMS_ADMIN_TOKEN"] = secrets["admin token"]
	// A webhook nobody answers: its failure is logged, the URL must not be.
	w.env["OKTALMS_NOTIFY_WEBHOOK_URL"] = "http://" + freeAddr(t) + "/services/" + secrets["webhook"]
	w.env["OKTALMS_NOTIFY_ALWAYS"] = "true"
	w.env["OKTALMS_LOG_LEVEL"] = "debug"
	ada := w.person("Ada", "Okafor", "title", "Engineer")
	w.person("Bad", "Date", "hireDate", "yesterday")
	dir := t.TempDir()

	var all bytes.Buffer
	record := func(stdout, stderr string, _ int) { all.WriteString(stdout + stderr) }
	record(w.sync("--dry-run", "--format", "json"))
	for _, f := range []string{"csv", "html"} {
		record(w.sync("--dry-run", "--format", f, "--report", filepath.Join(dir, "plan."+f)))
	}
	record(w.sync("--dry-run", "--plan-out", filepath.Join(dir, "plan.json")))
	record(w.command("apply", filepath.Join(dir, "plan.json")))
	w.okta.SetProfile(ada, "title", "Lead")
	w.lessonly.InjectFault(lmstest.Fault{Status: 401})
	record(w.sync()) // the LMS refuses the key
	w.lessonly.ClearFaults()
	w.okta.InjectFault(oktatest.Fault{Status: 401})
	record(w.sync()) // Okta refuses the token
	record(w.command("check"))
	w.okta.ClearFaults()
	record(w.command("check"))
	record(w.command("status"))
	record(w.command("history"))
	record(w.command("explain", "ada.okafor@example.com"))

	d := startDaemon(t, w, "")
	d.token = secrets["admin token"]
	d.waitFor("the catch-up run", func() bool { return finished(d.runs()) >= 1 })
	for _, path := range []string{"/v1/runs", "/v1/runs/1", "/healthz"} {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", d.base+path, nil)
		req.Header.Set("Authorization", "Bearer "+secrets["admin token"])
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var body bytes.Buffer
			body.ReadFrom(resp.Body)
			resp.Body.Close()
			all.Write(body.Bytes())
		}
	}
	all.WriteString(scrapeText(t, d.base+"/metrics", secrets["admin token"]))
	d.stop()
	all.WriteString(d.logs.String())

	// Every file oktalms wrote: reports, plans, the database, its WAL.
	stateDir := filepath.Dir(w.env["OKTALMS_STATE_PATH"])
	if stateDir == "." {
		cfg, _ := loadConfig(w.config, w.getenv)
		stateDir = filepath.Dir(cfg.State.Path)
	}
	for _, root := range []string{dir, stateDir} {
		filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				body, _ := os.ReadFile(path)
				all.Write(body)
			}
			return nil
		})
	}

	if all.Len() < 10000 {
		t.Fatalf("only %d bytes of output collected: the test exercised too little", all.Len())
	}
	for what, secret := range secrets {
		if i := bytes.Index(all.Bytes(), []byte(secret)); i >= 0 {
			lo, hi := max(0, i-120), min(all.Len(), i+60)
			t.Errorf("the %s appears in oktalms's output: …%s…", what, all.Bytes()[lo:hi])
		}
	}
}

func scrapeText(t *testing.T, url, token string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	return body.String()
}
