package lmstest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// scimPath is an attribute path of RFC 7644 §3.5.2:
// [urn ":"] attr ["[" filter "]"] ["." sub].
type scimPath struct {
	urn, attr, sub string // urn is "" for the core schema
	filter         *scimFilter
}

// scimFilter is the one filter the fake understands: attr eq "value".
type scimFilter struct{ attr, value string }

func parseSCIMPath(s string) (scimPath, bool) {
	var p scimPath
	rest := s
	// The URN ends at the last colon before any filter, which may hold colons.
	head, _, _ := strings.Cut(s, "[")
	if scimIsURN(head) {
		i := strings.LastIndex(head, ":")
		p.urn, rest = s[:i], s[i+1:]
		if scimIs(scimUserSchema)(p.urn) || scimIs(scimGroupSchema)(p.urn) {
			p.urn = ""
		}
	}
	if i := strings.Index(rest, "["); i >= 0 {
		j := strings.LastIndex(rest, "]")
		if j < i {
			return p, false
		}
		flt, ok := parseSCIMFilter(rest[i+1 : j])
		if !ok {
			return p, false
		}
		p.attr, p.filter = rest[:i], &flt
		if after := rest[j+1:]; after != "" {
			sub, ok := strings.CutPrefix(after, ".")
			if !ok {
				return p, false
			}
			p.sub = sub
		}
	} else {
		p.attr, p.sub, _ = strings.Cut(rest, ".")
	}
	return p, p.attr != "" && !strings.ContainsAny(p.attr+p.sub, ` "[]:`)
}

// parseSCIMFilter reads `attr eq "value"`: the value is a JSON string.
func parseSCIMFilter(s string) (scimFilter, bool) {
	attr, rest, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return scimFilter{}, false
	}
	op, operand, ok := strings.Cut(strings.TrimSpace(rest), " ")
	var value string
	if !ok || !strings.EqualFold(op, "eq") || json.Unmarshal([]byte(strings.TrimSpace(operand)), &value) != nil {
		return scimFilter{}, false
	}
	return scimFilter{attr: attr, value: value}, true
}

func (flt scimFilter) match(r map[string]any, caseExact bool) bool {
	v, ok := SCIMResource(r).Get(flt.attr).(string)
	return ok && (v == flt.value || !caseExact && strings.EqualFold(v, flt.value))
}

// scimApplyOp applies one PATCH operation to r.
func scimApplyOp(r SCIMResource, op, path string, value any) *scimError {
	op = strings.ToLower(op) // some IdPs send "Replace"
	if op != "add" && op != "replace" && op != "remove" {
		return scimFail(http.StatusBadRequest, "invalidSyntax", "op %q is not add, replace or remove", op)
	}
	if path == "" {
		// The target is the resource: value holds attributes, an
		// extension's nested under its URN.
		attrs, ok := value.(map[string]any)
		switch {
		case op == "remove":
			return scimFail(http.StatusBadRequest, "noTarget", "remove needs a path")
		case !ok:
			return scimFail(http.StatusBadRequest, "invalidValue", "%s without a path needs an object value", op)
		}
		for name, v := range attrs {
			if ext, ok := v.(map[string]any); ok && scimIsURN(name) {
				into := scimChild(r, name)
				for sub, sv := range ext {
					scimMerge(into, sub, sv, op)
				}
				continue
			}
			scimMerge(r, name, v, op)
		}
		return nil
	}
	p, ok := parseSCIMPath(path)
	if !ok {
		return scimFail(http.StatusBadRequest, "invalidPath", "%q is not an attribute path", path)
	}
	container := map[string]any(r)
	if p.urn != "" {
		if op == "remove" {
			if container, _ = r[scimKey(r, p.urn)].(map[string]any); container == nil {
				return nil
			}
		} else {
			container = scimChild(r, p.urn)
		}
	}
	if p.filter != nil {
		return scimApplyFiltered(container, p, op, value)
	}
	switch {
	case op == "remove" && p.sub != "":
		if obj, ok := container[scimKey(container, p.attr)].(map[string]any); ok {
			delete(obj, scimKey(obj, p.sub))
		}
	case op == "remove":
		delete(container, scimKey(container, p.attr))
	case p.sub != "":
		scimMerge(scimChild(container, p.attr), p.sub, value, op)
	default:
		scimMerge(container, p.attr, value, op)
	}
	return nil
}

// scimApplyFiltered applies an operation to the values of a multi-valued
// attribute its filter selects: members[value eq "2819c223…"].
func scimApplyFiltered(container map[string]any, p scimPath, op string, value any) *scimError {
	key := scimKey(container, p.attr)
	values, _ := container[key].([]any)
	var kept []any
	matched := false
	for _, v := range values {
		obj, _ := v.(map[string]any)
		if obj == nil || !p.filter.match(obj, true) {
			kept = append(kept, v)
			continue
		}
		matched = true
		switch {
		case op == "remove" && p.sub == "":
			continue
		case op == "remove":
			delete(obj, scimKey(obj, p.sub))
		case p.sub != "":
			obj[scimKey(obj, p.sub)] = value
		default:
			sub, ok := value.(map[string]any)
			if !ok {
				return scimFail(http.StatusBadRequest, "invalidValue", "%s of %s[…] needs an object value", op, p.attr)
			}
			for name, v := range sub {
				obj[scimKey(obj, name)] = v
			}
		}
		kept = append(kept, v)
	}
	switch {
	case !matched && op != "remove": // removing what is gone already is done
		return scimFail(http.StatusBadRequest, "noTarget", "No value of %s matches %s eq %q", p.attr, p.filter.attr, p.filter.value)
	case len(kept) == 0:
		delete(container, key) // no values left: the attribute is unassigned
	default:
		container[key] = kept
	}
	return nil
}

// scimMerge sets an attribute as add or replace does (RFC 7644 §3.5.2.1,
// §3.5.2.3): a complex value sets only the sub-attributes it names, and
// add appends to a multi-valued attribute the values it does not hold yet.
func scimMerge(m map[string]any, name string, v any, op string) {
	key := scimKey(m, name)
	switch old := m[key].(type) {
	case map[string]any:
		if sub, ok := v.(map[string]any); ok {
			for n, sv := range sub {
				old[scimKey(old, n)] = sv
			}
			return
		}
	case []any:
		if op == "add" {
			added, ok := v.([]any)
			if !ok {
				added = []any{v}
			}
			for _, a := range added {
				if !slices.ContainsFunc(old, func(o any) bool { return scimSame(o, a) }) {
					old = append(old, a)
				}
			}
			m[key] = old
			return
		}
	}
	m[key] = v
}

// scimSame reports whether two values of a multi-valued attribute are the
// same one: equal, or complex values with the same "value".
func scimSame(a, b any) bool {
	ma, okA := a.(map[string]any)
	mb, okB := b.(map[string]any)
	if okA && okB {
		va, vb := ma[scimKey(ma, "value")], mb[scimKey(mb, "value")]
		if va != nil || vb != nil {
			return reflect.DeepEqual(va, vb)
		}
	}
	return reflect.DeepEqual(a, b)
}

func scimChild(m map[string]any, name string) map[string]any {
	key := scimKey(m, name)
	c, ok := m[key].(map[string]any)
	if !ok {
		c = map[string]any{}
		m[key] = c
	}
	return c
}
