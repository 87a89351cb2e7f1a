package oktaclient

import (
	"math"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/reconcile"
)

// absent, as a case's value, deletes the attribute from the profile.
type absentValue struct{}

var absent absentValue

// TestMapBadInput feeds Map one bad value at a time, over an otherwise good
// Okta profile, and checks both what it reports and what it would send.
func TestMapBadInput(t *testing.T) {
	good := func() Mapping {
		return Mapping{
			Name:            "{firstName} {lastName}",
			Fields:          map[string]string{"job_title": "title", "hire_date": "hireDate"},
			Custom:          map[string]string{"Employee ID": "employeeNumber"},
			HireDateFormats: []string{"2006-01-02", "01/02/2006", "2006-01-02T15:04:05Z07:00"},
			DefaultRole:     "learner",
			MaxValueLength:  255,
		}
	}
	sanitizeOff := func(m *Mapping) { m.RejectRestrictedNames = true }
	noLimit := func(m *Mapping) { m.MaxValueLength = 0 }
	middleName := func(m *Mapping) { m.Name = "{firstName} {middleName} {lastName}" }
	displayName := func(m *Mapping) { m.Name = "{displayName}" }
	lastNameOnly := func(m *Mapping) { m.Name = "{lastName}" }
	const long = "is 256 characters long; the LMS takes at most 255"
	tests := []struct {
		name   string
		attr   string
		value  any
		change func(*Mapping) // nil: the good mapping
		// The problem expected, if msg is set: the field it names, the value
		// it shows, whether it skips the person, a part of its message.
		field, shows string
		skip         bool
		msg          string
		// key in the record ("email", "name", a field, "custom:<name>") and
		// its value there; "" means absent.
		key, want string
	}{
		// Emails: a person without a usable one is held back.
		{name: "email absent", attr: "email", value: absent,
			field: "email", shows: "", skip: true, msg: "no email in the Okta profile", key: "email", want: ""},
		{name: "email null", attr: "email", value: nil,
			field: "email", shows: "", skip: true, msg: "no email in the Okta profile", key: "email", want: ""},
		{name: "email empty", attr: "email", value: "",
			field: "email", shows: "", skip: true, msg: "no email in the Okta profile", key: "email", want: ""},
		{name: "email only spaces and invisible characters", attr: "email", value: " \u00a0\u200b\ufeff ",
			field: "email", shows: "", skip: true, msg: "no email in the Okta profile", key: "email", want: ""},
		{name: "email a number", attr: "email", value: 42.0,
			field: "email", shows: "42", skip: true, msg: "the Okta value is not text", key: "email", want: ""},
		{name: "email a boolean", attr: "email", value: true,
			field: "email", shows: "true", skip: true, msg: "the Okta value is not text", key: "email", want: ""},
		{name: "email a list", attr: "email", value: []any{"ada@example.com"},
			field: "email", shows: `["ada@example.com"]`, skip: true, msg: "the Okta value is not text", key: "email", want: ""},
		{name: "email an object", attr: "email", value: map[string]any{"primary": "ada@example.com"},
			field: "email", shows: `{"primary":"ada@example.com"}`, skip: true, msg: "the Okta value is not text", key: "email", want: ""},
		{name: "email without @", attr: "email", value: "ada.example.com",
			field: "email", shows: "ada.example.com", skip: true, msg: "not a valid email address", key: "email", want: "ada.example.com"},
		{name: "email with two @", attr: "email", value: "ada@@example.com",
			field: "email", shows: "ada@@example.com", skip: true, msg: "not a valid email address", key: "email", want: "ada@@example.com"},
		{name: "email without domain", attr: "email", value: "ada@",
			field: "email", shows: "ada@", skip: true, msg: "not a valid email address", key: "email", want: "ada@"},
		{name: "email with a display name", attr: "email", value: "Ada <ada@example.com>",
			field: "email", shows: "Ada <ada@example.com>", skip: true, msg: "not a valid email address", key: "email", want: "Ada <ada@example.com>"},
		{name: "email with a space inside", attr: "email", value: "ada lovelace@example.com",
			field: "email", shows: "ada lovelace@example.com", skip: true, msg: "contains a space", key: "email", want: "ada lovelace@example.com"},
		{name: "email with a non-breaking space inside", attr: "email", value: "ada\u00a0lovelace@example.com",
			field: "email", shows: "ada\u00a0lovelace@example.com", skip: true, msg: "contains a space", key: "email", want: "ada\u00a0lovelace@example.com"},
		{name: "email of 255 bytes", attr: "email", value: strings.Repeat("a", 243) + "@example.com",
			field: "email", shows: strings.Repeat("a", 243) + "@example.com", skip: true, msg: "255 bytes long, over the 254",
			key: "email", want: strings.Repeat("a", 243) + "@example.com"},
		{name: "email of 254 bytes is accepted", attr: "email", value: strings.Repeat("a", 242) + "@example.com",
			key: "email", want: strings.Repeat("a", 242) + "@example.com"},
		{name: "email with stray spaces is trimmed", attr: "email", value: "\t ada@example.com\u00a0",
			key: "email", want: "ada@example.com"},
		{name: "email with zero-width characters loses them", attr: "email", value: "\ufeffada\u200b@example.com\u2060",
			key: "email", want: "ada@example.com"},
		{name: "email with a homoglyph domain is accepted", attr: "email", value: "ada@ex\u0430mple.com",
			key: "email", want: "ada@ex\u0430mple.com"},

		// Names: an incomplete or empty one holds the person back; characters
		// Lessonly refuses are removed, with a warning, or refused.
		{name: "first name absent", attr: "firstName", value: absent,
			field: "name", shows: "", skip: true, msg: "the Okta profile has no usable firstName", key: "name", want: "Lovelace"},
		{name: "last name absent", attr: "lastName", value: absent,
			field: "name", shows: "", skip: true, msg: "the Okta profile has no usable lastName", key: "name", want: "Ada"},
		{name: "last name null", attr: "lastName", value: nil,
			field: "name", shows: "", skip: true, msg: "no usable lastName", key: "name", want: "Ada"},
		{name: "last name empty", attr: "lastName", value: "",
			field: "name", shows: "", skip: true, msg: "no usable lastName", key: "name", want: "Ada"},
		{name: "last name only spaces", attr: "lastName", value: " \u00a0\u200b",
			field: "name", shows: "", skip: true, msg: "no usable lastName", key: "name", want: "Ada"},
		{name: "first name an object", attr: "firstName", value: map[string]any{"given": "Ada"},
			field: "name", shows: "", skip: true, msg: "no usable firstName (is an object", key: "name", want: "Lovelace"},
		{name: "first name a list of lists", attr: "firstName", value: []any{[]any{"Ada"}},
			field: "name", shows: "", skip: true, msg: "firstName (is a list with an item that is a list", key: "name", want: "Lovelace"},
		{name: "first name not a finite number", attr: "firstName", value: math.NaN(),
			field: "name", shows: "", skip: true, msg: "firstName (is not a finite number)", key: "name", want: "Lovelace"},
		{name: "optional attribute absent is left out", attr: "middleName", value: absent, change: middleName,
			key: "name", want: "Ada Lovelace"},
		{name: "name from an absent attribute is empty", attr: "displayName", value: absent, change: displayName,
			field: "name", shows: "", skip: true, msg: "name is empty: the Okta profile has no displayName", key: "name", want: ""},
		{name: "parentheses are removed", attr: "lastName", value: "Lovelace (contractor)",
			field: "name", shows: "Ada Lovelace (contractor)", skip: false, msg: `refuses ("()"); sent as "Ada Lovelace contractor"`,
			key: "name", want: "Ada Lovelace contractor"},
		{name: "ampersand is removed and spaces collapsed", attr: "firstName", value: "Ada & Bo",
			field: "name", shows: "Ada & Bo Lovelace", skip: false, msg: `refuses ("&"); sent as "Ada Bo Lovelace"`,
			key: "name", want: "Ada Bo Lovelace"},
		{name: "every refused character is removed", attr: "lastName", value: "Love!@#$%^&*+=()|[];lace",
			field: "name", shows: "Ada Love!@#$%^&*+=()|[];lace", skip: false, msg: `refuses ("!@#$%^&*+=()|[];")`,
			key: "name", want: "Ada Lovelace"},
		{name: "semicolon is removed", attr: "lastName", value: "Lovelace; DROP TABLE",
			field: "name", shows: "Ada Lovelace; DROP TABLE", skip: false, msg: `sent as "Ada Lovelace DROP TABLE"`,
			key: "name", want: "Ada Lovelace DROP TABLE"},
		{name: "Greek question mark is a semicolon once NFC", attr: "lastName", value: "Lovelace\u037e",
			field: "name", shows: "Ada Lovelace;", skip: false, msg: `refuses (";")`, key: "name", want: "Ada Lovelace"},
		{name: "name of refused characters only", attr: "lastName", value: "(!)", change: lastNameOnly,
			field: "name", shows: "(!)", skip: true, msg: `contains only characters Lessonly refuses ("(!)")`, key: "name", want: ""},
		{name: "refused characters with sanitising off", attr: "lastName", value: "Lovelace (contractor)", change: sanitizeOff,
			field: "name", shows: "Ada Lovelace (contractor)", skip: true, msg: "mapping.sanitize_names is false",
			key: "name", want: "Ada Lovelace (contractor)"},
		{name: "name over the length limit", attr: "lastName", value: strings.Repeat("x", 252),
			field: "name", shows: "Ada " + strings.Repeat("x", 252), skip: true, msg: "name " + long,
			key: "name", want: "Ada " + strings.Repeat("x", 252)},
		{name: "name at the length limit", attr: "lastName", value: strings.Repeat("é", 251),
			key: "name", want: "Ada " + strings.Repeat("é", 251)},
		{name: "leading spaces are trimmed", attr: "firstName", value: "\u00a0 Ada",
			key: "name", want: "Ada Lovelace"},
		{name: "inner whitespace collapses", attr: "firstName", value: "Ada\u00a0\t\nMarie",
			key: "name", want: "Ada Marie Lovelace"},
		{name: "zero-width characters in a name go", attr: "firstName", value: "A\u200bda\ufeff",
			key: "name", want: "Ada Lovelace"},
		{name: "NFD name becomes NFC", attr: "firstName", value: "Zoe\u0308",
			key: "name", want: "Zo\u00eb Lovelace"},
		{name: "emoji pass untouched", attr: "firstName", value: "Ada \U0001F469\U0001F3FD\u200D\U0001F4BB\uFE0F",
			key: "name", want: "Ada \U0001F469\U0001F3FD\u200D\U0001F4BB\uFE0F Lovelace"},
		{name: "zero-width non-joiner stays", attr: "firstName", value: "\u0645\u06CC\u200C\u0631\u0627",
			key: "name", want: "\u0645\u06CC\u200C\u0631\u0627 Lovelace"},

		// Field values: a bad one skips that field only.
		{name: "number", attr: "title", value: 42.0, key: "job_title", want: "42"},
		{name: "huge number keeps its digits", attr: "title", value: 1e21, key: "job_title", want: "1000000000000000000000"},
		{name: "NaN", attr: "title", value: math.NaN(),
			field: "job_title", shows: "NaN", msg: "Okta attribute title: is not a finite number", key: "job_title", want: ""},
		{name: "+Inf", attr: "title", value: math.Inf(1),
			field: "job_title", shows: "+Inf", msg: "is not a finite number", key: "job_title", want: ""},
		{name: "-Inf", attr: "title", value: math.Inf(-1),
			field: "job_title", shows: "-Inf", msg: "is not a finite number", key: "job_title", want: ""},
		{name: "boolean", attr: "title", value: false, key: "job_title", want: "false"},
		{name: "flat list", attr: "title", value: []any{"Lead", 2.0, true, nil, " "}, key: "job_title", want: "Lead, 2, true"},
		{name: "list of lists", attr: "title", value: []any{"Lead", []any{"Engineer"}},
			field: "job_title", shows: `["Lead",["Engineer"]]`, msg: "is a list with an item that is a list", key: "job_title", want: ""},
		{name: "list of objects", attr: "title", value: []any{map[string]any{"title": "R&D"}},
			field: "job_title", shows: `[{"title":"R&D"}]`, msg: "is a list with an item that is an object", key: "job_title", want: ""},
		{name: "list with NaN", attr: "title", value: []any{math.NaN()},
			field: "job_title", shows: "[NaN]", msg: "is a list with an item that is not a finite number", key: "job_title", want: ""},
		{name: "object", attr: "title", value: map[string]any{"en": "Engineer"},
			field: "job_title", shows: `{"en":"Engineer"}`, msg: "is an object, not text", key: "job_title", want: ""},
		{name: "null is absent", attr: "title", value: nil, key: "job_title", want: ""},
		{name: "value over the length limit", attr: "title", value: strings.Repeat("x", 256),
			field: "job_title", shows: strings.Repeat("x", 256), msg: long, key: "job_title", want: ""},
		{name: "value at the length limit, in characters", attr: "title", value: strings.Repeat("é", 255),
			key: "job_title", want: strings.Repeat("é", 255)},
		{name: "no length limit", attr: "title", value: strings.Repeat("x", 256), change: noLimit,
			key: "job_title", want: strings.Repeat("x", 256)},
		{name: "stray and invisible whitespace", attr: "title", value: "\u200b Engineer \u00a0\ufeff",
			key: "job_title", want: "Engineer"},
		{name: "custom field an object", attr: "employeeNumber", value: map[string]any{"id": 42.0},
			field: "custom:Employee ID", shows: `{"id":42}`, msg: "Okta attribute employeeNumber: is an object", key: "custom:Employee ID", want: ""},
		{name: "custom field over the length limit", attr: "employeeNumber", value: strings.Repeat("9", 256),
			field: "custom:Employee ID", shows: strings.Repeat("9", 256), msg: long, key: "custom:Employee ID", want: ""},
		{name: "custom field infinite", attr: "employeeNumber", value: math.Inf(1),
			field: "custom:Employee ID", shows: "+Inf", msg: "not a finite number", key: "custom:Employee ID", want: ""},

		// Hire dates: one that cannot be read, or cannot be true, is not sent.
		{name: "February 30", attr: "hireDate", value: "2023-02-30",
			field: "hire_date", shows: "2023-02-30", msg: "not a date in any of the formats", key: "hire_date", want: ""},
		{name: "month 13", attr: "hireDate", value: "2023-13-01",
			field: "hire_date", shows: "2023-13-01", msg: "not a date in any of the formats", key: "hire_date", want: ""},
		{name: "all zeros", attr: "hireDate", value: "0000-00-00",
			field: "hire_date", shows: "0000-00-00", msg: "not a date in any of the formats", key: "hire_date", want: ""},
		{name: "a word", attr: "hireDate", value: "yesterday",
			field: "hire_date", shows: "yesterday", msg: "not a date in any of the formats", key: "hire_date", want: ""},
		{name: "US February 29 of a common year", attr: "hireDate", value: "02/29/2023",
			field: "hire_date", shows: "02/29/2023", msg: "not a date in any of the formats", key: "hire_date", want: ""},
		{name: "unpadded", attr: "hireDate", value: "2023-1-5",
			field: "hire_date", shows: "2023-1-5", msg: "not a date in any of the formats", key: "hire_date", want: ""},
		{name: "a number", attr: "hireDate", value: 20230101.0,
			field: "hire_date", shows: "20230101", msg: "not a date in any of the formats", key: "hire_date", want: ""},
		{name: "a boolean", attr: "hireDate", value: true,
			field: "hire_date", shows: "true", msg: "not a date in any of the formats", key: "hire_date", want: ""},
		{name: "an object", attr: "hireDate", value: map[string]any{"date": "2023-01-01"},
			field: "hire_date", shows: `{"date":"2023-01-01"}`, msg: "is an object", key: "hire_date", want: ""},
		{name: "before 1900", attr: "hireDate", value: "1899-12-31",
			field: "hire_date", shows: "1899-12-31", msg: "not a plausible hire date: the year 1899", key: "hire_date", want: ""},
		{name: "year 1", attr: "hireDate", value: "0001-01-01",
			field: "hire_date", shows: "0001-01-01", msg: "not a plausible hire date", key: "hire_date", want: ""},
		{name: "after 2100", attr: "hireDate", value: "2101-01-01",
			field: "hire_date", shows: "2101-01-01", msg: "not a plausible hire date: the year 2101", key: "hire_date", want: ""},
		{name: "first plausible day", attr: "hireDate", value: "1900-01-01", key: "hire_date", want: "1900-01-01"},
		{name: "last plausible day", attr: "hireDate", value: "2100-12-31", key: "hire_date", want: "2100-12-31"},
		{name: "date with stray spaces", attr: "hireDate", value: "\u00a02021-03-04 ", key: "hire_date", want: "2021-03-04"},
		{name: "timestamp keeps the date written", attr: "hireDate", value: "2021-03-04T23:30:00-08:00", key: "hire_date", want: "2021-03-04"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good()
			if tt.change != nil {
				tt.change(&m)
			}
			profile := map[string]any{"login": "ada@example.com", "email": "ada@example.com", "firstName": "Ada",
				"lastName": "Lovelace", "title": "Engineer", "hireDate": "2021-03-04", "employeeNumber": 42.0}
			if tt.value == absent {
				delete(profile, tt.attr)
			} else {
				profile[tt.attr] = tt.value
			}

			u, problems := m.Map("00u1", "ACTIVE", profile)

			if got := recordValue(u, tt.key); got != tt.want {
				t.Errorf("record %s = %q, want %q", tt.key, got, tt.want)
			}
			if tt.msg == "" {
				if len(problems) != 0 {
					t.Fatalf("problems = %+v, want none", problems)
				}
				return
			}
			if len(problems) != 1 {
				t.Fatalf("problems = %+v, want exactly one", problems)
			}
			p := problems[0]
			if p.OktaID != "00u1" || p.Login != "ada@example.com" || p.Field != tt.field || p.Value != tt.shows ||
				p.SkipUser != tt.skip || !strings.Contains(p.Message, tt.msg) {
				t.Errorf("problem = %+v\nwant field %q, value %q, skip %v, message with %q", p, tt.field, tt.shows, tt.skip, tt.msg)
			}
		})
	}
}

// recordValue is the value of key in a mapped record: "email", "name", a
// canonical field or "custom:<name>".
func recordValue(u reconcile.User, key string) string {
	switch key {
	case reconcile.ChangeEmail:
		return u.Email
	case reconcile.ChangeName:
		return u.Name
	}
	if name, ok := strings.CutPrefix(key, reconcile.CustomPrefix); ok {
		return u.Custom[name]
	}
	return u.Fields[key]
}
