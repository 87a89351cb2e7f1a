package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/oktalms/oktalms/oktaclient/oktatest"
	oksync "github.com/oktalms/oktalms/sync"
	"github.com/oktalms/oktalms/sync/snapshot"
)

// TestMain lets a test run the oktalms binary as a subprocess: the test
// binary re-executes itself with OKTALMS_TEST_MAIN set and becomes main().
func TestMain(m *testing.M) {
	if os.Getenv("OKTALMS_TEST_MAIN") == "1" {
		os.Args = append([]string{"oktalms"}, strings.Fields(os.Getenv("OKTALMS_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// freeAddr returns a loopback address no one listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// daemon is `oktalms run` started in this process.
type daemon struct {
	t      *testing.T
	w      *world
	base   string
	token  string
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the daemon's goroutines to write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDaemon appends the schedule and admin sections to the world's config
// and runs the daemon until the test ends or stop is called.
func startDaemon(t *testing.T, w *world, extraConfig string) *daemon {
	t.Helper()
	addr := freeAddr(t)
	// A daily slot twelve hours from now: it never fires during a test, and
	// the one twelve hours ago was missed, so the daemon catches up once.
	slot := time.Now().UTC().Add(12 * time.Hour)
	w.writeConfig(w.configText() + `
schedule:
  times: ["` + fmt.Sprintf("%d %d * * *", slot.Minute(), slot.Hour()) + `"]
  shutdown_timeout: 5s
admin:
  listen: ` + addr + `
` + extraConfig)
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{t: t, w: w, base: "http://" + addr, cancel: cancel, done: make(chan error, 1), logs: newSyncBuffer()}
	go func() {
		d.done <- run(ctx, []string{"run", "--config", w.config}, w.getenv, io.Discard, d.logs)
	}()
	t.Cleanup(func() { d.stop() })
	d.waitFor("the admin API to answer", func() bool {
		resp, err := http.Get(d.base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return d
}

func (d *daemon) stop() error {
	d.cancel()
	select {
	case err := <-d.done:
		d.done <- err // later calls see it too
		return err
	case <-time.After(20 * time.Second):
		d.t.Fatal("the daemon did not stop within 20s")
		return nil
	}
}

func (d *daemon) waitFor(what string, ok func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		select {
		case err := <-d.done:
			d.done <- err
			d.t.Fatalf("the daemon exited (%v) while waiting for %s\nlogs:\n%s", err, what, d.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s\nlogs:\n%s", what, d.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncNow POSTs path (/v1/sync…) and answers its status. A run the test
// saw finish may still hold the run lock while its observers (metrics,
// health, webhook) hear of it: the answer is then 409, and it asks again.
func (d *daemon) syncNow(path string, out any) int {
	d.t.Helper()
	code := 0
	d.waitFor("the run lock, to sync now", func() bool {
		code = d.call("POST", path, out)
		return code != http.StatusConflict
	})
	return code
}

// call makes an admin API request and decodes a JSON answer into out.
func (d *daemon) call(method, path string, out any) int {
	d.t.Helper()
	req, err := http.NewRequest(method, d.base+path, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	if d.token != "" {
		req.Header.Set("Authorization", "Bearer "+d.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			d.t.Fatalf("%s %s answered %d, not JSON: %v\n%s", method, path, resp.StatusCode, err, body)
		}
	}
	return resp.StatusCode
}

type runsAnswer struct {
	Runs    []oksync.Run `json:"runs"`
	NextRun time.Time    `json:"next_run"`
}

func (d *daemon) runs() []oksync.Run {
	var got runsAnswer
	d.call("GET", "/v1/runs", &got)
	return got.Runs
}

func finished(runs []oksync.Run) int {
	n := 0
	for _, r := range runs {
		if r.Status != oksync.StatusRunning {
			n++
		}
	}
	return n
}

func TestDaemonCatchesUpOnceAndServesTheAdminAPI(t *testing.T) {
	w := newWorld(t)
	for _, name := range []string{"Ada", "Ben", "Cy"} {
		w.person(name, "Test")
	}
	d := startDaemon(t, w, "")

	d.waitFor("the catch-up run", func() bool { return finished(d.runs()) == 1 })
	runs := d.runs()
	if runs[0].Trigger != oksync.TriggerSchedule || runs[0].Status != oksync.StatusOK || runs[0].Applied != 3 {
		t.Fatalf("catch-up run = %+v, want a schedule run that applied 3", runs[0])
	}

	var plan struct {
		FormatVersion int `json:"format_version"`
		Operations    []struct {
			Action string `json:"action"`
		} `json:"operations"`
	}
	w.person("Dee", "Test")
	if code := d.syncNow("/v1/sync?dry_run=true", &plan); code != 200 || plan.FormatVersion != 1 || len(plan.Operations) != 1 {
		t.Errorf("dry run: %d %+v, want 200 and one create", code, plan)
	}
	var applied oksync.Run
	if code := d.syncNow("/v1/sync", &applied); code != 200 || applied.Applied != 1 || applied.Trigger != oksync.TriggerHTTP {
		t.Errorf("sync now: %d %+v, want 200 and one op applied", code, applied)
	}
	var one struct {
		Run        oksync.Run            `json:"run"`
		Operations []oksync.JournalEntry `json:"operations"`
	}
	if code := d.call("GET", fmt.Sprintf("/v1/runs/%d", applied.ID), &one); code != 200 || len(one.Operations) != 1 ||
		one.Operations[0].Email != "dee.test@example.com" {
		t.Errorf("GET /v1/runs/%d: %d %+v", applied.ID, code, one)
	}
	if code := d.call("GET", "/v1/runs/999", nil); code != 404 {
		t.Errorf("an unknown run answered %d, want 404", code)
	}
	var health oksync.Health
	if code := d.call("GET", "/healthz", &health); code != 200 || !health.Healthy {
		t.Errorf("healthz = %d %+v, want 200 healthy", code, health)
	}

	metrics := scrape(t, d.base+"/metrics")
	for name, want := range map[string]float64{
		`oktalms_runs_total{mode="apply",result="ok",trigger="schedule"}`: 1,
		`oktalms_runs_total{mode="apply",result="ok",trigger="http"}`:     1,
		`oktalms_runs_total{mode="dry_run",result="ok",trigger="http"}`:   1,
		`oktalms_operations_total{action="create",result="applied"}`:      4,
		`oktalms_snapshot_users`: 4,
	} {
		if got := metrics[name]; got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if metrics[`oktalms_api_requests_total{code="200",side="okta"}`] == 0 || metrics[`oktalms_api_requests_total{code="201",side="lms"}`] != 4 {
		t.Errorf("API requests not counted per side: %v", metrics)
	}

	if err := d.stop(); err != nil {
		t.Fatalf("a shutdown must exit cleanly, got %v", err)
	}
	schedule := 0
	for _, r := range d.runsFromStore(w) {
		if r.Trigger == oksync.TriggerSchedule {
			schedule++
		}
	}
	if schedule != 1 {
		t.Errorf("scheduled runs = %d, want exactly one catch-up", schedule)
	}
}

func (d *daemon) runsFromStore(w *world) []oksync.Run {
	d.t.Helper()
	cfg, err := loadConfig(w.config, w.getenv)
	if err != nil {
		d.t.Fatal(err)
	}
	store, err := snapshot.Open(context.Background(), cfg.State.Path, time.Now)
	if err != nil {
		d.t.Fatal(err)
	}
	defer store.Close()
	runs, err := store.Runs(context.Background(), 100)
	if err != nil {
		d.t.Fatal(err)
	}
	return runs
}

// scrape parses /metrics with the Prometheus text parser: a value per
// `name{label="v",…}` with labels sorted, as the exposition writes them.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var parser expfmt.TextParser
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

func TestHealthTurnsUnhealthyAfterFailedRunsAndTheWebhookHears(t *testing.T) {
	w := newWorld(t)
	w.person("Ada", "Test")
	var posts atomic.Int32
	var lastText atomic.Value
	hook := http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var msg oksync.WebhookMessage
		json.NewDecoder(r.Body).Decode(&msg)
		lastText.Store(msg.Text)
		posts.Add(1)
	})}
	hookAddr := freeAddr(t)
	l, err := net.Listen("tcp", hookAddr)
	if err != nil {
		t.Fatal(err)
	}
	go hook.Serve(l)
	defer hook.Close()
	hookURL := "http://" + hookAddr + "/services/T000/B000/secret-part"
	w.env["OKTALMS_NOTIFY_WEBHOOK_URL"] = hookURL
	w.env["OKTALMS_LOG_LEVEL"] = "debug"
	w.okta.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/groups", Status: 500})
	d := startDaemon(t, w, "")

	d.waitFor("the failed catch-up run", func() bool { return finished(d.runs()) == 1 })
	var health oksync.Health
	if code := d.call("GET", "/healthz", &health); code != 200 {
		t.Errorf("one failed run: healthz %d, want 200 (admin.unhealthy_after is 2)", code)
	}
	d.syncNow("/v1/sync", nil)
	if code := d.call("GET", "/healthz", &health); code != 503 || !strings.Contains(health.Reason, "the last 2 runs failed") {
		t.Errorf("two failed runs: healthz %d %+v, want 503 with the reason", code, health)
	}
	if posts.Load() != 2 {
		t.Errorf("webhook posts = %d, want one per failed run", posts.Load())
	}
	if text, _ := lastText.Load().(string); !strings.Contains(text, "failed") || !strings.Contains(text, "pull Okta") {
		t.Errorf("webhook text = %q, want the failure and its cause", text)
	}

	w.okta.ClearFaults()
	d.syncNow("/v1/sync", nil)
	if code := d.call("GET", "/healthz", &health); code != 200 {
		t.Errorf("after a good run healthz = %d, want 200", code)
	}
	d.stop()
	if strings.Contains(d.logs.String(), "secret-part") {
		t.Error("the webhook URL, a secret, appears in the logs")
	}
}

func TestAdminTokenIsRequiredOffLoopback(t *testing.T) {
	w := newWorld(t)
	w.writeConfig(w.configText() + "admin:\n  listen: 0.0.0.0:0\n")
	_, errOut, code := w.command("run")
	if code != exitFailed || !strings.Contains(errOut, "admin.token: required") {
		t.Fatalf("exit %d, stderr %q; want a refusal naming admin.token", code, errOut)
	}

	w = newWorld(t)
	w.env["OKTALMS_ADMIN_TOKEN"] = "s3cret-admin-token"
	d := startDaemon(t, w, "")
	if code := d.call("GET", "/v1/runs", nil); code != 401 {
		t.Errorf("no bearer token: %d, want 401", code)
	}
	d.token = "wrong"
	if code := d.call("GET", "/metrics", nil); code != 401 {
		t.Errorf("a wrong token: %d, want 401", code)
	}
	d.token = "s3cret-admin-token"
	if code := d.call("GET", "/v1/runs", nil); code != 200 {
		t.Errorf("the right token: %d, want 200", code)
	}
	d.token = ""
	if code := d.call("GET", "/healthz", nil); code != 200 {
		t.Errorf("healthz must stay open for probes: %d", code)
	}
}

func TestShutdownLetsTheOpInFlightFinish(t *testing.T) {
	w := newWorld(t)
	for i := 0; i < 8; i++ {
		w.person(fmt.Sprintf("P%d", i), "Slow")
	}
	w.lessonly.SetLatency(150 * time.Millisecond)
	w.env["OKTALMS_LMS_CONCURRENCY"] = "1" // one op in flight, so the shutdown lands between two
	d := startDaemon(t, w, "")
	d.waitFor("the first create", func() bool { return len(w.lessonly.Mutations()) >= 2 })

	if err := d.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	created := len(w.lessonly.Users())
	if created == 0 || created == 8 {
		t.Fatalf("%d of 8 created: the shutdown should land mid-run", created)
	}
	runs := d.runsFromStore(w)
	if runs[0].Status != oksync.StatusFailed || runs[0].Applied != created || !strings.Contains(runs[0].Error, "shutting down") {
		t.Errorf("interrupted run = %+v, want failed by the shutdown with %d applied", runs[0], created)
	}
	// Every op sent was answered and journaled: the next run finishes the rest, duplicating no one.
	w.lessonly.SetLatency(0)
	w.mustSync()
	if n := len(w.lessonly.Users()); n != 8 {
		t.Errorf("after the next run: %d accounts, want 8", n)
	}
}

// subprocess starts `oktalms ARGS` as a separate process.
func (w *world) subprocess(args ...string) *exec.Cmd {
	w.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "OKTALMS_TEST_MAIN=1",
		"OKTALMS_TEST_ARGS="+strings.Join(append(args, "--config", w.config), " "))
	for k, v := range w.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func TestTwoProcessesRacingOnOneDatabase(t *testing.T) {
	w := newWorld(t)
	for i := 0; i < 5; i++ {
		w.person(fmt.Sprintf("R%d", i), "Race")
	}
	w.lessonly.SetLatency(100 * time.Millisecond)
	w.env["OKTALMS_LMS_CONCURRENCY"] = "1" // a run long enough for the second process to meet it

	var outs [2]bytes.Buffer
	cmds := [2]*exec.Cmd{w.subprocess("sync"), w.subprocess("sync")}
	for i, c := range cmds {
		c.Stdout, c.Stderr = &outs[i], &outs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	codes := [2]int{}
	for i, c := range cmds {
		c.Wait()
		codes[i] = c.ProcessState.ExitCode()
	}
	winners, losers := 0, 0
	for i, code := range codes {
		switch {
		case code == 0:
			winners++
		case code == 1 && strings.Contains(outs[i].String(), "a sync is already running: run 1, started"):
			losers++
		default:
			t.Errorf("process %d: exit %d\n%s", i, code, outs[i].String())
		}
	}
	if winners != 1 || losers != 1 {
		t.Errorf("winners %d, losers %d; want exactly one of each", winners, losers)
	}
	if n := len(w.lessonly.Users()); n != 5 {
		t.Errorf("%d accounts, want 5 created once", n)
	}
}

func TestWaitForTheRunningSync(t *testing.T) {
	w := newWorld(t)
	w.person("Wai", "Ting")
	w.lessonly.SetLatency(300 * time.Millisecond)
	first := w.subprocess("sync")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Wait()
	waitUntil(t, "the first sync to take the lock", func() bool { return len(w.lessonly.Requests()) > 0 })

	out, errOut, code := w.sync("--wait", "30s")
	if code != 0 {
		t.Fatalf("sync --wait: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "No changes.") {
		t.Errorf("the waiting sync ran before the first finished:\n%s", out)
	}
}

func TestAKilledRunNeverBlocksTheNext(t *testing.T) {
	w := newWorld(t)
	for i := 0; i < 6; i++ {
		w.person(fmt.Sprintf("K%d", i), "Ill")
	}
	w.lessonly.SetLatency(200 * time.Millisecond)
	victim := w.subprocess("sync")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a create in flight", func() bool { return len(w.lessonly.Mutations()) >= 2 })
	victim.Process.Signal(syscall.SIGKILL)
	victim.Wait()
	time.Sleep(250 * time.Millisecond) // let the create in flight land in the fake

	w.lessonly.SetLatency(0)
	out := w.mustSync()
	accounts := w.lessonly.Users()
	if len(accounts) != 6 {
		t.Errorf("%d accounts, want 6: a create cut by the kill must be adopted, not duplicated\n%s", len(accounts), out)
	}
	seen := map[string]bool{}
	for _, a := range accounts {
		if seen[a.Email] {
			t.Errorf("duplicate account for %s", a.Email)
		}
		seen[a.Email] = true
	}
	runs := (&daemon{t: t}).runsFromStore(w)
	if last := runs[len(runs)-1]; last.Status != oksync.StatusInterrupted {
		t.Errorf("the killed run is %q, want interrupted", last.Status)
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOAuthServiceAppEndToEnd(t *testing.T) {
	w := newWorld(t)
	w.person("Oa", "Uth")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "okta.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	w.okta.ClientID = "0oa-oktalms"
	w.okta.ClientKey = &key.PublicKey
	delete(w.env, "OKTALMS_OKTA_TOKEN")
	w.env["OKTALMS_OKTA_AUTH"] = "oauth"
	w.env["OKTALMS_OKTA_CLIENT_ID"] = "0oa-oktalms"
	w.env["OKTALMS_OKTA_PRIVATE_KEY_FILE"] = keyFile

	w.mustSync()
	if n := len(w.lessonly.Users()); n != 1 {
		t.Errorf("OAuth sync created %d accounts, want 1", n)
	}
	if grants := w.okta.Grants(); len(grants) != 1 || grants[0].Error != "" {
		t.Errorf("token grants = %+v, want one successful", grants)
	}
}

func TestSyncNowAnswers409WhileARunIsInProgress(t *testing.T) {
	w := newWorld(t)
	d := startDaemon(t, w, "")
	d.waitFor("the catch-up run", func() bool { return finished(d.runs()) == 1 })
	for i := 0; i < 3; i++ {
		w.person(fmt.Sprintf("Q%d", i), "Busy")
	}
	w.lessonly.SetLatency(300 * time.Millisecond)
	w.env["OKTALMS_LMS_CONCURRENCY"] = "1" // keeps the CLI sync busy long enough
	busy := w.subprocess("sync")
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	defer busy.Wait()
	waitUntil(t, "the CLI sync to reach the LMS", func() bool { return len(w.lessonly.Mutations()) > 0 })

	var answer map[string]string
	if code := d.call("POST", "/v1/sync", &answer); code != 409 || !strings.Contains(answer["error"], "by cli") {
		t.Errorf("POST /v1/sync during a CLI sync: %d %v, want 409 naming the run", code, answer)
	}
}
