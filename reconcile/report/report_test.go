package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/reconcile"
	"github.com/oktalms/oktalms/reconcile/report"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var goldenOptions = reconcile.Options{
	Fields: []string{reconcile.FieldJobTitle, reconcile.FieldDepartment, reconcile.FieldBusinessUnit,
		reconcile.FieldLocation, reconcile.FieldHireDate, reconcile.FieldManagerName},
	CustomFields: []string{"Employee ID", "Cost Center", "Team", "Mentor"},
}

// TestGolden plans each case of testdata/<case>/ and compares every rendering
// with its golden file plan.<txt|json|csv|html>. Run with -update to rewrite
// them, then review the diff.
func TestGolden(t *testing.T) {
	for _, dir := range caseDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			plan := loadPlan(t, dir)
			for _, format := range report.Formats {
				var buf bytes.Buffer
				if err := report.Write(&buf, format, plan); err != nil {
					t.Fatalf("render %s: %v", format, err)
				}
				compareGolden(t, filepath.Join(dir, "plan."+extension(format)), buf.Bytes())
			}
		})
	}
}

func caseDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases under testdata/ (err %v)", err)
	}
	return dirs
}

// loadPlan plans one case: desired.json and recorded.json, live.json when the
// LMS was listed, and held.json when the case has held ops.
//
// held.json ({"held": [ops], "guards": [sentences]}) stands in for the safety
// guards, which reconcile.Diff does not compute yet: as a guard would, each
// held op is taken out of the planned ops (matched by action and Okta id) and
// put in Plan.Held, and the sentences become Plan.Guards.
func loadPlan(t *testing.T, dir string) reconcile.Plan {
	t.Helper()
	var desired, recorded reconcile.State
	readJSON(t, filepath.Join(dir, "desired.json"), &desired)
	readJSON(t, filepath.Join(dir, "recorded.json"), &recorded)
	var live *reconcile.State
	if exists(t, filepath.Join(dir, "live.json")) {
		live = &reconcile.State{}
		readJSON(t, filepath.Join(dir, "live.json"), live)
	}
	plan := reconcile.Diff(desired, recorded, live, goldenOptions)
	if exists(t, filepath.Join(dir, "held.json")) {
		var held struct {
			Held   []reconcile.Op `json:"held"`
			Guards []string       `json:"guards"`
		}
		readJSON(t, filepath.Join(dir, "held.json"), &held)
		plan.Ops = slices.DeleteFunc(plan.Ops, func(op reconcile.Op) bool {
			return slices.ContainsFunc(held.Held, func(h reconcile.Op) bool {
				return h.Action == op.Action && h.OktaID == op.OktaID
			})
		})
		plan.Held, plan.Guards = held.Held, held.Guards
	}
	return plan
}

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

func extension(format string) string {
	if format == "text" {
		return "txt"
	}
	return format
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reconcile/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestWriteRejectsUnknownFormat(t *testing.T) {
	err := report.Write(&bytes.Buffer{}, "xml", reconcile.Plan{})
	if err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Fatalf("got %v, want an error naming the format", err)
	}
}

var (
	createOp  = reconcile.Op{Action: reconcile.ActionCreate, OktaID: "00u1", Email: "a@example.com", Reason: "new"}
	heldOp    = reconcile.Op{Action: reconcile.ActionArchive, OktaID: "00u2", LMSID: "7", Email: "b@example.com", Reason: "gone", HeldBy: "safety.max_archives"}
	heldGuard = "2 archives exceed safety.max_archives (1)."
)

func TestJSONIsVersionedAndCountsEveryAction(t *testing.T) {
	var buf bytes.Buffer
	plan := reconcile.Plan{Ops: []reconcile.Op{createOp}, Held: []reconcile.Op{heldOp, heldOp}, Guards: []string{heldGuard}}
	if err := report.JSON(&buf, plan); err != nil {
		t.Fatal(err)
	}
	var got struct {
		FormatVersion int            `json:"format_version"`
		Summary       map[string]int `json:"summary"`
		Held          []struct {
			HeldBy string `json:"held_by"`
		} `json:"held"`
		Guards []string `json:"guards"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.FormatVersion != report.FormatVersion {
		t.Errorf("format_version = %d, want %d", got.FormatVersion, report.FormatVersion)
	}
	for _, a := range reconcile.Actions {
		if _, ok := got.Summary[string(a)]; !ok {
			t.Errorf("summary lacks %q", a)
		}
	}
	if got.Summary["create"] != 1 || got.Summary["archive"] != 0 || got.Summary["held"] != 2 {
		t.Errorf("summary = %v, want create 1, archive 0, held 2", got.Summary)
	}
	if len(got.Held) != 2 || got.Held[0].HeldBy != heldOp.HeldBy {
		t.Errorf("held = %+v, want 2 ops held by %s", got.Held, heldOp.HeldBy)
	}
	if !slices.Equal(got.Guards, []string{heldGuard}) {
		t.Errorf("guards = %q, want %q", got.Guards, []string{heldGuard})
	}
}

func TestJSONArraysAreNeverNull(t *testing.T) {
	var buf bytes.Buffer
	if err := report.JSON(&buf, reconcile.Plan{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"operations", "held", "guards", "problems"} {
		if want := `"` + name + `": []`; !strings.Contains(buf.String(), want) {
			t.Errorf("empty plan's JSON lacks %s:\n%s", want, buf.String())
		}
	}
}

func TestTextSaysNoChangesOnlyWhenNothingIsHeld(t *testing.T) {
	tests := []struct {
		name      string
		plan      reconcile.Plan
		noChanges bool
		held      bool
		summary   string
	}{
		{"nothing", reconcile.Plan{}, true, false,
			"Plan: 0 to link, 0 to create, 0 to update, 0 to reactivate, 0 to archive.\n"},
		{"ops only", reconcile.Plan{Ops: []reconcile.Op{createOp}}, false, false,
			"Plan: 0 to link, 1 to create, 0 to update, 0 to reactivate, 0 to archive.\n"},
		{"held only", reconcile.Plan{Held: []reconcile.Op{heldOp}, Guards: []string{heldGuard}}, false, true,
			"Plan: 0 to link, 0 to create, 0 to update, 0 to reactivate, 0 to archive. 1 held.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Text(&buf, tt.plan); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			if strings.Contains(got, "No changes.") != tt.noChanges {
				t.Errorf("says No changes: got %v, want %v:\n%s", !tt.noChanges, tt.noChanges, got)
			}
			if strings.Contains(got, "Safety guards (held ops are not applied):") != tt.held {
				t.Errorf("has the held section: got %v, want %v:\n%s", !tt.held, tt.held, got)
			}
			if !strings.HasSuffix(got, tt.summary) {
				t.Errorf("got\n%s\nwant it to end with %q", got, tt.summary)
			}
		})
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	tests := []struct{ value, want string }{
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'x"}, // encoding/csv drops a lone CR when it writes CRLF line ends
		{"a=b", "a=b"},
		{"Ann, \"Jr\"\nline 2", "Ann, \"Jr\"\nline 2"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			plan := reconcile.Plan{Ops: []reconcile.Op{{Action: reconcile.ActionUpdate, OktaID: "00u1",
				Changes: []reconcile.Change{{Field: "job_title", After: tt.value}}}}}
			var buf bytes.Buffer
			if err := report.CSV(&buf, plan); err != nil {
				t.Fatal(err)
			}
			body, ok := strings.CutPrefix(buf.String(), "\ufeff")
			if !ok {
				t.Fatalf("no byte order mark: %q", buf.String())
			}
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatalf("%v in %q", err, body)
			}
			// encoding/csv reads a quoted CRLF back as LF, as a spreadsheet does.
			want := strings.ReplaceAll(tt.want, "\r\n", "\n")
			if len(rows) != 2 || rows[1][8] != want {
				t.Errorf("after cell: got %q, want %q (rows %q)", rows[1][8], want, rows)
			}
		})
	}
}

func TestHTMLEscapesEveryValue(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	ops := []reconcile.Op{{Action: reconcile.ActionUpdate, OktaID: evil, LMSID: evil, Email: evil, Name: evil,
		Reason: evil, Changes: []reconcile.Change{{Field: evil, Before: evil, After: evil}}}}
	plan := reconcile.Plan{Ops: ops, Held: []reconcile.Op{{Action: reconcile.ActionArchive, Email: evil, HeldBy: evil}},
		Guards: []string{evil}, Problems: []reconcile.Problem{{OktaID: evil, Login: evil, Field: evil, Value: evil, Message: evil}}}
	var buf bytes.Buffer
	if err := report.HTML(&buf, plan); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "<script"); got != 1 {
		t.Errorf("got %d <script elements, want only the page's own", got)
	}
	if got, want := strings.Count(buf.String(), "&lt;script&gt;"), 16; got != want {
		t.Errorf("got %d escaped values, want %d", got, want)
	}
}
