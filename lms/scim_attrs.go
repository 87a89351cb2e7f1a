package lms

import (
	"strconv"
	"strings"
)

// SCIM attribute paths, as RFC 7644 §3.10 writes them: "title",
// "name.givenName", or an extension attribute prefixed with its schema URN,
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
// Attribute names are case-insensitive (RFC 7643 §2.1), so every lookup is.

// scimSplitPath splits a path into the URN of an extension schema ("" for the
// core schema, whose attributes sit at the top of a resource), the
// attribute and the sub-attribute.
func scimSplitPath(path string) (urn, attr, sub string) {
	rest := path
	if scimIsURN(path) {
		i := strings.LastIndex(path, ":")
		urn, rest = path[:i], path[i+1:]
		if strings.EqualFold(urn, scimUserSchema) {
			urn = ""
		}
	}
	attr, sub, _ = strings.Cut(rest, ".")
	return urn, attr, sub
}

func scimIsURN(s string) bool { return len(s) > 4 && strings.EqualFold(s[:4], "urn:") }

// scimIsExtensionPath reports whether s is the path of an extension attribute.
func scimIsExtensionPath(s string) bool {
	urn, attr, _ := scimSplitPath(s)
	return urn != "" && attr != ""
}

// scimKeyOf returns the key of m that names the attribute, or name when none does.
func scimKeyOf(m map[string]any, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

func scimLookup(m map[string]any, name string) any { return m[scimKeyOf(m, name)] }

// scimGetPath returns the value at path, nil when absent.
func scimGetPath(r map[string]any, path string) any {
	urn, attr, sub := scimSplitPath(path)
	if urn != "" {
		r, _ = scimLookup(r, urn).(map[string]any)
	}
	v := scimLookup(r, attr)
	if sub == "" {
		return v
	}
	obj, _ := v.(map[string]any)
	return scimLookup(obj, sub)
}

// scimSetPath sets the value at path, making the objects on the way.
func scimSetPath(r map[string]any, path string, v any) {
	urn, attr, sub := scimSplitPath(path)
	if urn != "" {
		r = scimChild(r, urn)
	}
	if sub != "" {
		r, attr = scimChild(r, attr), sub
	}
	r[scimKeyOf(r, attr)] = v
}

// scimDeletePath removes the value at path.
func scimDeletePath(r map[string]any, path string) {
	urn, attr, sub := scimSplitPath(path)
	if urn != "" {
		r, _ = scimLookup(r, urn).(map[string]any)
	}
	if sub != "" {
		r, _ = scimLookup(r, attr).(map[string]any)
		attr = sub
	}
	delete(r, scimKeyOf(r, attr))
}

func scimChild(r map[string]any, name string) map[string]any {
	k := scimKeyOf(r, name)
	c, ok := r[k].(map[string]any)
	if !ok {
		c = map[string]any{}
		r[k] = c
	}
	return c
}

// scimText renders a value as the canonical record holds it: a list as its
// values joined by ", " (as the Okta side joins a list), a complex value
// (a manager, an email) as its "value".
func scimText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case map[string]any:
		return scimText(scimLookup(x, "value"))
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s := scimText(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

// scimSplitName splits a display name at its last space: everything before
// is the given name, the last word the family name. The canonical record
// holds one name, made by the mapping's template ("{firstName} {lastName}"),
// so a compound given name stays whole; a compound family name does not
// ("Dick van Dyke" is sent as "Dick van" / "Dyke"), which is why
// scimDisplayName carries the whole name too.
func scimSplitName(name string) (given, family string) {
	i := strings.LastIndex(name, " ")
	if i < 0 {
		return name, ""
	}
	return name[:i], name[i+1:]
}

// scimSplitList reads "a, b" as the list [a b].
func scimSplitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
