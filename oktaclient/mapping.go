package oktaclient

import (
	"fmt"
	"net/mail"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/oktalms/oktalms/reconcile"
)

// Mapping says how an Okta user becomes a reconcile.User.
type Mapping struct {
	// Name is a template over Okta profile attributes: "{firstName} {lastName}".
	Name string
	// Fields maps a canonical LMS field (reconcile.Field*) to an Okta profile attribute.
	Fields map[string]string
	// Custom maps an LMS custom field name to an Okta profile attribute.
	Custom map[string]string
	// HireDateFormats are Go time layouts tried in order on the hire date.
	HireDateFormats []string
	// DefaultRole is the LMS role of every account oktalms creates.
	DefaultRole string
	// IncludeStaged treats STAGED Okta users as active.
	IncludeStaged bool
}

var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_.]+)\}`)

// Validate reports the first mapping error, naming the config key.
func (m Mapping) Validate() error {
	if !placeholder.MatchString(m.Name) {
		return fmt.Errorf("mapping.name: %q uses no {attribute} placeholder", m.Name)
	}
	if open, close := strings.Count(m.Name, "{"), strings.Count(m.Name, "}"); open != close {
		return fmt.Errorf("mapping.name: %q has unbalanced braces", m.Name)
	}
	known := make(map[string]bool, len(reconcile.KnownFields))
	for _, f := range reconcile.KnownFields {
		known[f] = true
	}
	for _, field := range sortedKeys(m.Fields) {
		if !known[field] {
			return fmt.Errorf("mapping.fields.%s: unknown LMS field (want one of %s)", field, strings.Join(reconcile.KnownFields, ", "))
		}
		if strings.TrimSpace(m.Fields[field]) == "" {
			return fmt.Errorf("mapping.fields.%s: no Okta attribute given", field)
		}
	}
	for _, name := range sortedKeys(m.Custom) {
		if strings.TrimSpace(name) == "" || strings.TrimSpace(m.Custom[name]) == "" {
			return fmt.Errorf("mapping.custom_fields: %q: both the LMS field name and the Okta attribute are needed", name)
		}
	}
	if _, ok := m.Fields[reconcile.FieldHireDate]; ok && len(m.HireDateFormats) == 0 {
		return fmt.Errorf("mapping.hire_date_formats: empty, but mapping.fields.hire_date is set")
	}
	return nil
}

// FieldNames returns the canonical fields the mapping manages, in display
// order, and its custom field names, sorted: the fields reconcile compares.
func (m Mapping) FieldNames() (fields, custom []string) {
	for _, f := range reconcile.KnownFields {
		if _, ok := m.Fields[f]; ok {
			fields = append(fields, f)
		}
	}
	return fields, sortedKeys(m.Custom)
}

// activeStatuses are the Okta statuses of people who may sign in.
var activeStatuses = map[string]bool{
	"ACTIVE": true, "PROVISIONED": true, "RECOVERY": true, "PASSWORD_EXPIRED": true, "LOCKED_OUT": true,
}

// Map turns one Okta user into the canonical record. A bad email or an empty
// name skips the person; a bad field value skips only that field. Either way
// the problem is returned, never an error: one person must not stop a run.
func (m Mapping) Map(id, status string, profile map[string]any) (reconcile.User, []reconcile.Problem) {
	u := reconcile.User{
		OktaID: id,
		Role:   m.DefaultRole,
		Active: activeStatuses[status] || (status == "STAGED" && m.IncludeStaged),
		Fields: map[string]string{},
		Custom: map[string]string{},
	}
	login, _ := text(profile["login"])
	var problems []reconcile.Problem
	problem := func(field, value, msg string, skip bool) {
		problems = append(problems, reconcile.Problem{OktaID: id, Login: login, Field: field, Value: value,
			Message: msg, SkipUser: skip})
	}

	email, err := text(profile["email"])
	switch {
	case err != nil:
		problem(reconcile.ChangeEmail, fmt.Sprint(profile["email"]), "email "+err.Error(), true)
	case email == "":
		problem(reconcile.ChangeEmail, "", "no email in the Okta profile", true)
	default:
		if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || addr.Name != "" {
			problem(reconcile.ChangeEmail, email, "not a valid email address", true)
		}
	}
	u.Email = email

	name, missing := m.renderName(profile)
	switch {
	case name == "" && len(missing) > 0:
		problem(reconcile.ChangeName, "", "name is empty: the Okta profile has no "+strings.Join(missing, ", "), true)
	case name == "":
		problem(reconcile.ChangeName, "", "name is empty", true)
	}
	u.Name = name

	for _, field := range sortedKeys(m.Fields) {
		raw := profile[m.Fields[field]]
		v, err := text(raw)
		if err == nil && field == reconcile.FieldHireDate && v != "" {
			v, err = parseDate(v, m.HireDateFormats)
		}
		if err != nil {
			problem(field, fmt.Sprint(raw), fmt.Sprintf("Okta attribute %s: %v", m.Fields[field], err), false)
			continue
		}
		if v != "" {
			u.Fields[field] = v
		}
	}
	for _, name := range sortedKeys(m.Custom) {
		raw := profile[m.Custom[name]]
		v, err := text(raw)
		if err != nil {
			problem(reconcile.CustomPrefix+name, fmt.Sprint(raw), fmt.Sprintf("Okta attribute %s: %v", m.Custom[name], err), false)
			continue
		}
		if v != "" {
			u.Custom[name] = v
		}
	}
	return u, problems
}

// renderName fills the name template; missing lists the attributes it needed
// and did not find.
func (m Mapping) renderName(profile map[string]any) (name string, missing []string) {
	out := placeholder.ReplaceAllStringFunc(m.Name, func(ph string) string {
		attr := ph[1 : len(ph)-1]
		v, err := text(profile[attr])
		if err != nil || v == "" {
			missing = append(missing, attr)
			return ""
		}
		return v
	})
	return strings.Join(strings.Fields(out), " "), missing
}

// text turns an Okta profile value into the string the LMS stores. Okta's
// JSON gives numbers as float64: 42 must arrive as "42", not "42.000000".
func text(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return norm.NFC.String(strings.TrimSpace(x)), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, err := text(e)
			if err != nil {
				return "", err
			}
			if s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", "), nil
	default:
		return "", fmt.Errorf("is a %T, not a text, number, boolean or list", v)
	}
}

// parseDate reads a hire date in the first layout that fits and returns it
// as YYYY-MM-DD. Layouts with a time keep the calendar date written in the
// value, whatever its zone.
func parseDate(v string, layouts []string) (string, error) {
	for _, layout := range layouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format("2006-01-02"), nil
		}
	}
	return "", fmt.Errorf("not a date in any of the formats %s", strings.Join(layouts, ", "))
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
