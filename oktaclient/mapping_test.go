package oktaclient

import (
	"strings"
	"testing"
)

func TestMapValues(t *testing.T) {
	m := Mapping{
		Name:            "{firstName} {lastName}",
		Fields:          map[string]string{"job_title": "title", "hire_date": "hireDate"},
		Custom:          map[string]string{"Employee ID": "employeeNumber"},
		HireDateFormats: []string{"2006-01-02", "01/02/2006", "2006-01-02T15:04:05Z07:00"},
		DefaultRole:     "learner",
	}
	tests := []struct {
		name      string
		attr      string
		value     any
		field     string // key looked up in Fields, or "custom" for the custom field
		want      string
		wantProbl string // substring of the problem message; "" = no problem
	}{
		{"integer number", "employeeNumber", 42.0, "custom", "42", ""},
		{"large number keeps every digit", "employeeNumber", 1234567890123.0, "custom", "1234567890123", ""},
		{"fraction", "employeeNumber", 1.5, "custom", "1.5", ""},
		{"boolean", "employeeNumber", true, "custom", "true", ""},
		{"list", "employeeNumber", []any{"a", 2.0, nil}, "custom", "a, 2", ""},
		{"null is absent", "employeeNumber", nil, "custom", "", ""},
		{"object is refused", "employeeNumber", map[string]any{"x": 1.0}, "custom", "", "is an object"},
		{"stray whitespace", "title", "  Engineer \t", "job_title", "Engineer", ""},
		{"NFD becomes NFC", "title", "Inge\u0301nieure", "job_title", "Ingénieure", ""},
		{"ISO date", "hireDate", "2021-03-04", "hire_date", "2021-03-04", ""},
		{"US date", "hireDate", "03/04/2021", "hire_date", "2021-03-04", ""},
		{"timestamp keeps its calendar date", "hireDate", "2021-03-04T23:30:00-08:00", "hire_date", "2021-03-04", ""},
		{"impossible date", "hireDate", "2023-02-30", "hire_date", "", "not a date"},
		{"words", "hireDate", "yesterday", "hire_date", "", "not a date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			profile := map[string]any{"email": "a@example.com", "firstName": "A", "lastName": "B", tt.attr: tt.value}
			u, problems := m.Map("00u1", "ACTIVE", profile)
			got := u.Fields[tt.field]
			if tt.field == "custom" {
				got = u.Custom["Employee ID"]
			}
			if got != tt.want {
				t.Errorf("value = %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantProbl == "" && len(problems) > 0:
				t.Errorf("unexpected problems %+v", problems)
			case tt.wantProbl != "" && (len(problems) != 1 || !strings.Contains(problems[0].Message, tt.wantProbl)):
				t.Errorf("problems = %+v, want one saying %q", problems, tt.wantProbl)
			case tt.wantProbl != "" && problems[0].SkipUser:
				t.Errorf("a bad field value must skip only the field, not the person")
			}
		})
	}
}

func TestMapPersonProblems(t *testing.T) {
	m := Mapping{Name: "{firstName} {lastName}", DefaultRole: "learner"}
	tests := []struct {
		name    string
		profile map[string]any
		field   string
		message string
	}{
		{"no email", map[string]any{"firstName": "A", "lastName": "B"}, "email", "no email"},
		{"malformed email", map[string]any{"email": "a@@example.com", "firstName": "A", "lastName": "B"}, "email", "not a valid email"},
		{"display-name email", map[string]any{"email": "A <a@example.com>", "firstName": "A", "lastName": "B"}, "email", "not a valid email"},
		{"number as email", map[string]any{"email": 42.0, "firstName": "A", "lastName": "B"}, "email", "not a valid email"},
		{"no name at all", map[string]any{"email": "a@example.com"}, "name", "firstName, lastName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := m.Map("00u1", "ACTIVE", tt.profile)
			if len(problems) != 1 {
				t.Fatalf("problems = %+v, want exactly one", problems)
			}
			p := problems[0]
			if p.Field != tt.field || !p.SkipUser || !strings.Contains(p.Message, tt.message) {
				t.Errorf("problem = %+v, want field %s, skip, message with %q", p, tt.field, tt.message)
			}
		})
	}
}

func TestMappingValidate(t *testing.T) {
	valid := Mapping{Name: "{firstName} {lastName}", Fields: map[string]string{"hire_date": "hireDate"},
		HireDateFormats: []string{"2006-01-02"}}
	tests := []struct {
		name   string
		change func(*Mapping)
		want   string
	}{
		{"valid", func(*Mapping) {}, ""},
		{"name without placeholder", func(m *Mapping) { m.Name = "Everyone" }, "mapping.name"},
		{"unknown LMS field", func(m *Mapping) { m.Fields = map[string]string{"jobtitle": "title"} }, "mapping.fields.jobtitle: unknown LMS field"},
		{"hire date without formats", func(m *Mapping) { m.HireDateFormats = nil }, "mapping.hire_date_formats"},
		{"custom field without attribute", func(m *Mapping) { m.Custom = map[string]string{"Employee ID": " "} }, "mapping.custom_fields"},
		{"name template with refused characters", func(m *Mapping) { m.Name = "{lastName}; {firstName}" }, `refuses in a name (";")`},
		{"negative length limit", func(m *Mapping) { m.MaxValueLength = -1 }, "mapping.max_value_length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid
			tt.change(&m)
			err := m.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}
