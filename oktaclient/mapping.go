package oktaclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/oktalms/oktalms/reconcile"
)

// Mapping says how an Okta user becomes a reconcile.User. Its zero value maps
// nothing but is safe: every limit is off and refused names are sanitised.
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
	// RejectRestrictedNames holds back a person whose name has characters
	// Lessonly refuses, instead of sending the name without them. It is the
	// negation of the config key mapping.sanitize_names (default true), so
	// that the zero Mapping sanitises.
	RejectRestrictedNames bool
	// Transforms name, by change key, a function applied to the mapped
	// value: "content_region" folds a country code into Learnerbly's
	// content region, so what is compared is what the LMS stores.
	Transforms map[string]string
	// MaxValueLength is the longest value, in characters, the LMS stores
	// (config mapping.max_value_length; Lessonly: 255); 0 means no limit.
	MaxValueLength int
}

// lessonlyRefused are the characters Lessonly refuses in a name.
const lessonlyRefused = "!@#$%^&*+=()|[];"

// maxEmailLength is the longest address SMTP carries (RFC 5321), in bytes.
const maxEmailLength = 254

// Hire dates outside these years are typing errors (0202, 2202), not history.
const (
	firstHireYear = 1900
	lastHireYear  = 2100
)

// requiredNameAttributes are in every Okta profile: a name template using
// one of them is incomplete without it. Other attributes (middleName,
// honorificPrefix) are optional and simply left out when absent.
var requiredNameAttributes = map[string]bool{"firstName": true, "lastName": true}

var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_.]+)\}`)

// Validate reports the first mapping error, naming the config key.
func (m Mapping) Validate() error {
	if !placeholder.MatchString(m.Name) {
		return fmt.Errorf("mapping.name: %q uses no {attribute} placeholder", m.Name)
	}
	if open, close := strings.Count(m.Name, "{"), strings.Count(m.Name, "}"); open != close {
		return fmt.Errorf("mapping.name: %q has unbalanced braces", m.Name)
	}
	if refused := refusedIn(m.Name); refused != "" {
		return fmt.Errorf("mapping.name: %q has characters Lessonly refuses in a name (%q)", m.Name, refused)
	}
	if m.MaxValueLength < 0 {
		return fmt.Errorf("mapping.max_value_length: %d: must be 0 (no limit) or more", m.MaxValueLength)
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

// Map turns one Okta user into the canonical record. A bad email or name
// skips the person; a bad field value skips only that field; a name with
// characters Lessonly refuses is sent without them, with a problem that skips
// nothing. Either way the problem is returned, never an error: one person
// must not stop a run.
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

	// The email is trimmed, of non-breaking spaces too, and loses its
	// zero-width characters: paste debris, never part of an address.
	rawEmail := profile["email"]
	email, isText := rawEmail.(string)
	email = cleanText(email)
	switch {
	case rawEmail != nil && !isText:
		problem(reconcile.ChangeEmail, shown(rawEmail), "not a valid email address: the Okta value is not text", true)
	case email == "":
		problem(reconcile.ChangeEmail, "", "no email in the Okta profile", true)
	case strings.ContainsFunc(email, unicode.IsSpace): // net/mail lets a non-ASCII space through
		problem(reconcile.ChangeEmail, email, "not a valid email address: it contains a space", true)
	case len(email) > maxEmailLength:
		problem(reconcile.ChangeEmail, email, fmt.Sprintf("not a valid email address: %d bytes long, over the %d an address may have",
			len(email), maxEmailLength), true)
	default:
		if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || addr.Name != "" {
			problem(reconcile.ChangeEmail, email, "not a valid email address", true)
		}
	}
	u.Email = email

	name, gaps := m.renderName(profile)
	refused, clean := refusedIn(name), name
	if !m.RejectRestrictedNames {
		clean = sanitizeName(name) // name itself when nothing is refused: it is tidy already
	}
	tooLong := m.checkLength(clean)
	switch {
	case len(gaps) > 0:
		problem(reconcile.ChangeName, "", "name is incomplete: the Okta profile has no usable "+strings.Join(gaps, ", "), true)
	case name == "":
		problem(reconcile.ChangeName, "", "name is empty: the Okta profile has no "+strings.Join(m.nameAttributes(), ", "), true)
	case refused != "" && m.RejectRestrictedNames:
		problem(reconcile.ChangeName, name,
			fmt.Sprintf("contains characters Lessonly refuses (%q); mapping.sanitize_names is false", refused), true)
	case clean == "":
		problem(reconcile.ChangeName, name, fmt.Sprintf("contains only characters Lessonly refuses (%q)", refused), true)
	case tooLong != nil:
		problem(reconcile.ChangeName, name, "name "+tooLong.Error(), true)
	case refused != "":
		problem(reconcile.ChangeName, name, fmt.Sprintf("contains characters Lessonly refuses (%q); sent as %q", refused, clean), false)
		problems[len(problems)-1].Warning = true // corrected, not held back
	}
	u.Name = clean

	value := func(key, attr string) string {
		raw := profile[attr]
		v, err := m.value(raw, key == reconcile.FieldHireDate)
		if err != nil {
			problem(key, shown(raw), fmt.Sprintf("Okta attribute %s: %v", attr, err), false)
		}
		if m.Transforms[key] == "content_region" {
			v = ContentRegion(v)
		}
		return v
	}
	for _, field := range sortedKeys(m.Fields) {
		if v := value(field, m.Fields[field]); v != "" {
			u.Fields[field] = v
		}
	}
	for _, name := range sortedKeys(m.Custom) {
		if v := value(reconcile.CustomPrefix+name, m.Custom[name]); v != "" {
			u.Custom[name] = v
		}
	}
	return u, problems
}

// value is the text the LMS stores for one field's profile value, or why
// there is none.
func (m Mapping) value(raw any, hireDate bool) (string, error) {
	v, err := text(raw)
	if err == nil && hireDate && v != "" {
		v, err = parseDate(v, m.HireDateFormats)
	}
	if err == nil {
		err = m.checkLength(v)
	}
	if err != nil {
		return "", err
	}
	return v, nil
}

// checkLength refuses a value longer than the LMS stores: cut, it would be
// a different value, and Lessonly answers the whole request with an error.
func (m Mapping) checkLength(v string) error {
	if n := utf8.RuneCountInString(v); m.MaxValueLength > 0 && n > m.MaxValueLength {
		return fmt.Errorf("is %d characters long; the LMS takes at most %d", n, m.MaxValueLength)
	}
	return nil
}

// renderName fills the name template and tidies the result. gaps lists, for
// the report, the attributes it could not fill: a required one with no
// value, and any whose value is not text.
func (m Mapping) renderName(profile map[string]any) (name string, gaps []string) {
	out := placeholder.ReplaceAllStringFunc(m.Name, func(ph string) string {
		attr := ph[1 : len(ph)-1]
		v, err := text(profile[attr])
		switch {
		case err != nil:
			gaps = append(gaps, attr+" ("+err.Error()+")")
		case v == "" && requiredNameAttributes[attr]:
			gaps = append(gaps, attr)
		}
		return v
	})
	return tidyName(out), gaps
}

// nameAttributes lists the attributes of the name template, in order.
func (m Mapping) nameAttributes() []string {
	var attrs []string
	for _, ph := range placeholder.FindAllStringSubmatch(m.Name, -1) {
		attrs = append(attrs, ph[1])
	}
	return attrs
}

// tidyName normalises a name: invalid UTF-8 becomes U+FFFD, as JSON decoding
// would make it; zero-width characters go; NFC; and every run of whitespace,
// non-breaking spaces included, becomes one space, none at either end
// (Lessonly refuses a leading space, and a template with an empty optional
// attribute leaves doubled ones).
func tidyName(s string) string {
	s = norm.NFC.String(strings.Map(dropInvisible, strings.ToValidUTF8(s, "\uFFFD")))
	return strings.Join(strings.Fields(s), " ")
}

// sanitizeName is the name without the characters Lessonly refuses. It
// tidies before dropping them, since NFC turns U+037E (Greek question mark)
// into ';', and after, since dropping one can leave two spaces side by side
// or a combining mark next to the letter it composes with.
func sanitizeName(s string) string {
	return tidyName(strings.Map(func(r rune) rune {
		if strings.ContainsRune(lessonlyRefused, r) {
			return -1
		}
		return r
	}, tidyName(s)))
}

// refusedIn lists, once each and in order of appearance, the characters of s
// Lessonly refuses in a name; "" when there are none.
func refusedIn(s string) string {
	var found []rune
	for _, r := range s {
		if strings.ContainsRune(lessonlyRefused, r) && !slices.Contains(found, r) {
			found = append(found, r)
		}
	}
	return string(found)
}

// dropInvisible is a strings.Map function removing the zero-width characters
// that copying from documents and web pages leaves behind: zero-width space,
// word joiner and byte-order mark. Zero-width (non-)joiners stay: emoji
// sequences and Persian or Indic names need them.
func dropInvisible(r rune) rune {
	switch r {
	case '\u200B', '\u2060', '\uFEFF':
		return -1
	}
	return r
}

// cleanText is a text value as it is compared and sent: without zero-width
// characters, NFC, trimmed of every kind of space.
func cleanText(s string) string {
	return strings.TrimSpace(norm.NFC.String(strings.Map(dropInvisible, s)))
}

// text turns an Okta profile value into the string the LMS stores. Okta's
// JSON gives numbers as float64: 42 must arrive as "42", not "42.000000".
// A list is sent as its items joined; a list in a list, or an object, has no
// one obvious text, so it is refused rather than guessed at.
func text(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return cleanText(x), nil
	case float64:
		// JSON cannot carry NaN or ±Inf, but a profile built in code can.
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", errors.New("is not a finite number")
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if _, nested := e.([]any); nested {
				return "", errors.New("is a list with an item that is a list; only text, numbers and booleans are sent")
			}
			s, err := text(e)
			if err != nil {
				return "", fmt.Errorf("is a list with an item that %w", err)
			}
			if s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", "), nil
	default: // JSON's only other kind
		return "", errors.New("is an object, not text, a number, a boolean or a list")
	}
}

// shown is a profile value as Okta's JSON wrote it, for a problem report.
func shown(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // a report shows "R&D", not "R\u0026D"
	if enc.Encode(v) != nil {
		return fmt.Sprint(v) // NaN and ±Inf, which JSON cannot write
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// parseDate reads a hire date in the first layout that fits and returns it
// as YYYY-MM-DD. Layouts with a time keep the calendar date written in the
// value, whatever its zone.
func parseDate(v string, layouts []string) (string, error) {
	for _, layout := range layouts {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		if y := t.Year(); y < firstHireYear || y > lastHireYear {
			return "", fmt.Errorf("not a plausible hire date: the year %d is outside %d–%d", y, firstHireYear, lastHireYear)
		}
		return t.Format(time.DateOnly), nil
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
