package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/reconcile"
	"github.com/oktalms/oktalms/reconcile/report"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var goldenOptions = reconcile.Options{
	Fields: []string{reconcile.FieldJobTitle, reconcile.FieldDepartment, reconcile.FieldBusinessUnit,
		reconcile.FieldLocation, reconcile.FieldHireDate, reconcile.FieldManagerName},
	CustomFields: []string{"Employee ID"},
}

// TestGolden plans each case of testdata/<case>/ (desired.json, recorded.json
// and, when the LMS was listed, live.json) and compares every rendering with
// its golden file. Run with -update to rewrite them, then review the diff.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases under testdata/ (err %v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var desired, recorded reconcile.State
			readJSON(t, filepath.Join(dir, "desired.json"), &desired)
			readJSON(t, filepath.Join(dir, "recorded.json"), &recorded)
			var live *reconcile.State
			if _, err := os.Stat(filepath.Join(dir, "live.json")); err == nil {
				live = &reconcile.State{}
				readJSON(t, filepath.Join(dir, "live.json"), live)
			}
			plan := reconcile.Diff(desired, recorded, live, goldenOptions)
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

func TestJSONIsVersionedAndCountsEveryAction(t *testing.T) {
	var buf bytes.Buffer
	plan := reconcile.Plan{Ops: []reconcile.Op{{Action: reconcile.ActionCreate, OktaID: "00u1", Email: "a@example.com"}}}
	if err := report.JSON(&buf, plan); err != nil {
		t.Fatal(err)
	}
	var got struct {
		FormatVersion int            `json:"format_version"`
		Summary       map[string]int `json:"summary"`
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
	if got.Summary["create"] != 1 {
		t.Errorf("summary create = %d, want 1", got.Summary["create"])
	}
}
