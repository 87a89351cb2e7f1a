//go:build linux

// Linux only: the peak RSS of a child is read from /proc.

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms/lmstest"
)

// The thresholds of the "Scale to 100,000 people" issue, checked by TestBench.
const (
	// maxInitialRatio bounds an initial sync's wall time over its lower bound.
	maxInitialRatio = 1.2
	// maxPeakRSS bounds the peak resident memory of `oktalms sync`, in
	// bytes. The issue asks it at 100,000 people; it is checked at every size.
	maxPeakRSS = 300_000_000
	// oktaPageSize is the members oktalms asks per Okta page.
	oktaPageSize = 200
	// benchGroups are the Okta groups in scope, each named by id in okta.groups.
	benchGroups = 2000
)

// TestBench is `make bench`: for each size in OKTALMS_BENCH ("10000" or
// "10000,100000"), an Okta org of that many people spread over benchGroups
// groups and an empty Lessonly, then four runs of `oktalms sync` as a
// subprocess, whose peak RSS the kernel reports: the initial sync, a run
// with nothing changed, one with 1% of the titles changed, one with 5% of
// the people deactivated. Each prints one row; see benchRow.
//
// Both fakes answer every request after OKTALMS_BENCH_LATENCY (20ms). The
// Lessonly fake refuses requests past OKTALMS_BENCH_RPM a minute (30,000):
// Lessonly's real 500 would make 100,000 creates take 200 minutes, so the
// limit is scaled up, and oktalms paces itself at 90% of it with
// OKTALMS_BENCH_CONCURRENCY requests in flight (16: at 4, 20ms round trips
// cap the pace at 200/s, under the 450/s allowed, and the bound would be
// latency's, not the limit's). The safety brakes are off (max_archives 0,
// max_archive_percent and max_shrink_percent 100) so the 5% leavers are
// archived rather than held. Okta's own rate limit is not what is measured:
// okta.max_rate_share is 1, else oktalms would keep to half of the 600 a
// minute the fake reports, and a run's 2,000-odd requests would take 7 minutes.
//
// Each run resolves okta.groups from a listing of every Okta group, 200 a
// page (10 requests: the "okta req" column less the "pages"), then lists
// each group's members, 200 a page.
func TestBench(t *testing.T) {
	sizes := os.Getenv("OKTALMS_BENCH")
	if sizes == "" {
		t.Skip(`set OKTALMS_BENCH to the sizes to measure, e.g. "10000,100000" (make bench)`)
	}
	p := benchParams{
		latency:     envDuration(t, "OKTALMS_BENCH_LATENCY", 20*time.Millisecond),
		rpm:         envInt(t, "OKTALMS_BENCH_RPM", 30000),
		concurrency: envInt(t, "OKTALMS_BENCH_CONCURRENCY", 16),
	}
	fmt.Printf("latency %v per request on both fakes; Lessonly limit %d/min, oktalms paced at %d/min with %d in flight; %d Okta groups\n",
		p.latency, p.rpm, p.clientRPM(), p.concurrency, benchGroups)
	fmt.Printf("%-12s %7s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %6s\n", "scenario", "N", "okta req", "pages",
		"lms req", "writes", "resolved", "pulled", "wall", "cpu", "peak RSS", "bound", "ratio")
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 100 {
			t.Fatalf("OKTALMS_BENCH: %q is not a size of 100 people or more", s)
		}
		t.Run(strconv.Itoa(n), func(t *testing.T) { benchSize(t, n, p) })
	}
}

type benchParams struct {
	latency          time.Duration
	rpm, concurrency int
}

// clientRPM is oktalms's lms.requests_per_minute: 90% of the LMS's limit.
func (p benchParams) clientRPM() int { return p.rpm * 9 / 10 }

// bench is a world of n people and what a run of it must stay within.
type bench struct {
	*world
	p      benchParams
	n      int
	people []string // Okta ids, in creation order
	// maxOkta is the most Okta requests a run may make: the member pages,
	// at most ⌈memberships/200⌉ + one partial page per group, plus the
	// ⌈groups/200⌉ pages of GET /api/v1/groups that resolve okta.groups.
	maxOkta int
}

func benchSize(t *testing.T, n int, p benchParams) {
	b := newBench(t, n, p)

	row := b.measure("initial", n)
	if got := len(b.lessonly.Users()); got != n {
		t.Errorf("initial: Lessonly has %d accounts, want %d", got, n)
	}
	if row.ratio() > maxInitialRatio {
		t.Errorf("initial: wall %v is %.2f× its bound %v, over %.1f×", row.wall.Round(time.Millisecond),
			row.ratio(), row.bound().Round(time.Millisecond), maxInitialRatio)
	}

	b.measure("no change", 0)

	titles := 0
	for i, id := range b.people {
		if i%100 == 0 {
			b.okta.SetProfile(id, "title", "Bench Title "+strconv.Itoa(i))
			titles++
		}
	}
	b.measure("1% titles", titles)

	leavers := 0
	for i, id := range b.people {
		if i%20 == 1 { // none of the retitled
			b.okta.SetStatus(id, "DEPROVISIONED")
			leavers++
		}
	}
	b.measure("5% leavers", leavers)
}

func newBench(t *testing.T, n int, p benchParams) *bench {
	w := &world{harness: newHarness(t), lessonly: lmstest.NewLessonly()}
	t.Cleanup(w.lessonly.Close)
	groups := make([]string, benchGroups)
	for i := range groups {
		groups[i] = w.okta.AddGroup(fmt.Sprintf("Bench %04d", i))
	}
	people := w.okta.GenerateUsers(n, nil)
	memberships := 0
	for i, id := range people {
		for _, g := range benchGroupsOf(i) {
			w.okta.AddMember(groups[g], id)
			memberships++
		}
	}
	w.okta.SetLatency(p.latency)
	w.lessonly.SetLatency(p.latency)
	w.lessonly.SetRateLimit(p.rpm, false)

	w.env["OKTALMS_LMS_API_KEY"] = w.lessonly.APIKey
	w.writeConfig(fmt.Sprintf(`
okta:
  org_url: %s
  groups: ["%s"]
  max_rate_share: 1
lms:
  url: %s
  subdomain: %s
  requests_per_minute: %d
  concurrency: %d
mapping:
  fields:
    job_title: title
    department: department
    hire_date: hireDate
safety:
  max_archives: 0
  max_archive_percent: 100
  max_shrink_percent: 100
state:
  path: %s
log:
  level: warn
`, w.okta.URL, strings.Join(groups, `", "`), w.lessonly.URL, w.lessonly.Subdomain, p.clientRPM(), p.concurrency,
		filepath.Join(w.dir, "state", "oktalms.db")))
	maxOkta := ceilDiv(memberships, oktaPageSize) + benchGroups + ceilDiv(benchGroups, oktaPageSize)
	return &bench{world: w, p: p, n: n, people: people, maxOkta: maxOkta}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// benchGroupsOf puts person i in 1–3 of the groups (two on average), with
// the spread of sizes an org has: everyone in one of 1,780 small groups,
// a third also in one of 200 middling ones, two thirds in one of 20 large
// ones, which at 100,000 people take 17 pages each.
func benchGroupsOf(i int) []int {
	gs := []int{220 + i%1780}
	if i%3 >= 1 {
		gs = append(gs, i%20)
	}
	if i%3 == 2 {
		gs = append(gs, 20+i%200)
	}
	return gs
}

// benchRow is one run of `oktalms sync`, measured.
type benchRow struct {
	p                   benchParams
	oktaRequests, pages int // pages: GET /api/v1/groups/{id}/users
	lmsRequests, writes int
	// resolved and pulled are when, after the start, the first member page
	// was asked (okta.groups resolved) and the Okta pull ended.
	resolved, pulled, wall, cpu time.Duration
	peakRSS                     int64 // bytes
}

// bound is the yardstick of the least time a run could take: its
// member pages read one after another (a group's pages are chained by their
// Link cursors; oktalms reads several groups at once, so a run bound by
// Okta may beat it), or its writes at the LMS's rate limit, whichever is
// longer.
func (r benchRow) bound() time.Duration {
	return max(time.Duration(r.pages)*r.p.latency, time.Duration(r.writes)*time.Minute/time.Duration(r.p.rpm))
}

func (r benchRow) ratio() float64 {
	if r.bound() == 0 {
		return 0
	}
	return r.wall.Seconds() / r.bound().Seconds()
}

// measure runs `oktalms sync`, prints its row and checks it: it must have
// made wantWrites LMS writes, listed the LMS only on the initial run, kept
// to maxOkta Okta requests and maxPeakRSS.
func (b *bench) measure(scenario string, wantWrites int) benchRow {
	b.t.Helper()
	b.okta.ResetRequests()
	b.lessonly.ResetRequests()
	cmd := b.subprocess("sync")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // stdout, the report, is discarded
	row := benchRow{p: b.p}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	done := make(chan struct{})
	watched := b.watchOkta(&row, start, done)
	peak := watchPeakRSS(cmd.Process.Pid, done)
	err := cmd.Wait()
	row.wall = time.Since(start)
	close(done)
	<-watched
	row.peakRSS = <-peak
	if err != nil {
		b.t.Fatalf("%s: oktalms sync: %v\n%s", scenario, err, stderr.String())
	}
	row.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	row.lmsRequests, row.writes = len(b.lessonly.Requests()), len(b.lessonly.Mutations())
	fmt.Printf("%-12s %7d %8d %8d %8d %8d %8s %8s %8s %8s %6dMB %8s %5.2f×\n", scenario, b.n, row.oktaRequests, row.pages,
		row.lmsRequests, row.writes, seconds(row.resolved), seconds(row.pulled), seconds(row.wall), seconds(row.cpu),
		row.peakRSS/1_000_000, seconds(row.bound()), row.ratio())

	if row.writes != wantWrites {
		b.t.Errorf("%s: %d LMS writes, want %d", scenario, row.writes, wantWrites)
	}
	if scenario != "initial" && row.lmsRequests != row.writes {
		b.t.Errorf("%s: %d LMS requests besides the writes; only a first run lists the LMS", scenario, row.lmsRequests-row.writes)
	}
	if row.oktaRequests > b.maxOkta {
		b.t.Errorf("%s: %d Okta requests, want at most %d", scenario, row.oktaRequests, b.maxOkta)
	}
	if row.peakRSS >= maxPeakRSS {
		b.t.Errorf("%s: peak RSS %d MB, want under %d MB", scenario, row.peakRSS/1_000_000, maxPeakRSS/1_000_000)
	}
	return row
}

// watchOkta follows the Okta fake's request log every 10ms until done is
// closed, then fills row's Okta counts, resolved and pulled (the arrival of
// the last request, plus its latency), and closes the channel it returns.
func (b *bench) watchOkta(row *benchRow, start time.Time, done <-chan struct{}) <-chan struct{} {
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		last := start
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for stop := false; !stop; {
			var now time.Time
			select {
			case <-done:
				stop, now = true, time.Now()
			case now = <-tick.C:
			}
			reqs := b.okta.Requests()
			for _, r := range reqs[row.oktaRequests:] {
				if strings.HasPrefix(r.Path, "/api/v1/groups/") && strings.HasSuffix(r.Path, "/users") {
					if row.pages == 0 {
						row.resolved = now.Sub(start)
					}
					row.pages++
				}
			}
			if len(reqs) > row.oktaRequests {
				row.oktaRequests, last = len(reqs), now
			}
		}
		row.pulled = last.Sub(start) + b.p.latency
	}()
	return watched
}

// watchPeakRSS reads the high-water mark of pid's resident memory (VmHWM)
// every 5ms until done is closed, and sends the last one read, in bytes.
// Not the kernel's Rusage.Maxrss: Go starts a child with CLONE_VM, and at
// exec the kernel folds the high-water mark of the memory it shared — the
// parent's, which holds both fakes — into the child's Maxrss. VmHWM is the
// child's own memory since exec; a rise in its last 5ms is what it may miss.
func watchPeakRSS(pid int, done <-chan struct{}) <-chan int64 {
	peak := make(chan int64, 1)
	status := fmt.Sprintf("/proc/%d/status", pid)
	go func() {
		var hwm int64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if b, err := os.ReadFile(status); err == nil {
				if i := bytes.Index(b, []byte("VmHWM:")); i >= 0 {
					if f := bytes.Fields(b[i+len("VmHWM:"):]); len(f) > 0 {
						if kb, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
							hwm = max(hwm, kb*1024)
						}
					}
				}
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-tick.C:
			}
		}
	}()
	return peak
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s: %q is not a positive integer", name, s)
	}
	return n
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		t.Fatalf("%s: %q is not a duration like 20ms", name, s)
	}
	return d
}
