package oktaclient

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/oktalms/oktalms/reconcile"
)

// fuzzLayouts are the default hire date formats and a few more a config may
// hold: two-digit years, month names, a dotted European date.
var fuzzLayouts = []string{"2006-01-02", "01/02/2006", "2006-01-02T15:04:05Z07:00", "Jan 2, 2006", "02.01.06"}

func FuzzParseDate(f *testing.F) {
	for _, v := range []string{"2021-03-04", "03/04/2021", "2021-03-04T23:30:00-08:00", "Mar 4, 2021", "04.03.21",
		"2023-02-30", "2023-13-01", "0000-00-00", "yesterday", "1899-12-31", "2100-12-31", "20230101", ""} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, err := parseDate(v, fuzzLayouts)
		if err != nil {
			if got != "" {
				t.Fatalf("parseDate(%q) = %q with error %v", v, got, err)
			}
			return
		}
		back, err := time.Parse(time.DateOnly, got)
		if err != nil || back.Format(time.DateOnly) != got {
			t.Fatalf("parseDate(%q) = %q, which is not a YYYY-MM-DD date", v, got)
		}
		if y := back.Year(); y < firstHireYear || y > lastHireYear {
			t.Fatalf("parseDate(%q) = %q, an implausible hire date", v, got)
		}
	})
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"Ada Lovelace", "Ada Lovelace (contractor)", " ;Ada\u00a0 & Bo ", "Lovelace\u037e",
		"e;\u0301", "Ada\u200b\ufeff", "Zoe\u0308", "\U0001F469\U0001F3FD\u200D\U0001F4BB", "\xff\xfe", "!@#$%^&*+=()|[];"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := sanitizeName(s)
		switch {
		case sanitizeName(got) != got:
			t.Fatalf("sanitizeName(%q) = %q, but sanitizing that gives %q", s, got, sanitizeName(got))
		case strings.ContainsAny(got, lessonlyRefused):
			t.Fatalf("sanitizeName(%q) = %q, with characters Lessonly refuses", s, got)
		case got != strings.TrimSpace(got):
			t.Fatalf("sanitizeName(%q) = %q, with space at an end", s, got)
		case !utf8.ValidString(got):
			t.Fatalf("sanitizeName(%q) = %q, not valid UTF-8", s, got)
		}
	})
}

// FuzzNameTemplate renders any template over any first and last name, and
// checks that a name Map lets through is one Lessonly takes.
func FuzzNameTemplate(f *testing.F) {
	f.Add("{firstName} {lastName}", "Ada", "Lovelace", 42.0, false)
	f.Add("{lastName}, {firstName} ({employeeNumber})", " Ada\u00a0", "Love;lace", 1e21, false)
	f.Add("{honorificPrefix} {firstName}", "", "Lovelace", 0.0, true)
	f.Add("{{firstName}}{lastName", "\u200b", "(x)", -1.5, true)
	f.Fuzz(func(t *testing.T, template, first, last string, number float64, reject bool) {
		m := Mapping{Name: template, RejectRestrictedNames: reject, MaxValueLength: 255}
		profile := map[string]any{"email": "ada@example.com", "firstName": first, "lastName": last, "employeeNumber": number}
		if name, _ := m.renderName(profile); name != strings.TrimSpace(name) {
			t.Fatalf("renderName = %q, with space at an end", name)
		}
		u, problems := m.Map("00u1", "ACTIVE", profile)
		if reconcile.SkipsUser(problems) {
			return
		}
		if u.Name == "" || u.Name != strings.TrimSpace(u.Name) || strings.ContainsAny(u.Name, lessonlyRefused) ||
			utf8.RuneCountInString(u.Name) > m.MaxValueLength {
			t.Fatalf("Map sends the name %q, which Lessonly refuses; problems %+v", u.Name, problems)
		}
	})
}
