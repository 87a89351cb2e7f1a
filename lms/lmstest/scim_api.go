package lmstest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// scimError is an error answer in SCIM's envelope (RFC 7644 §3.12).
type scimError struct {
	status   int
	scimType string // "" or one of RFC 7644's: uniqueness, invalidFilter, invalidPath, invalidSyntax, invalidValue, noTarget, mutability
	detail   string
}

func scimFail(status int, scimType, format string, args ...any) *scimError {
	return &scimError{status: status, scimType: scimType, detail: fmt.Sprintf(format, args...)}
}

func (e *scimError) reply() reply {
	body := map[string]any{"schemas": []string{scimErrorSchema}, "status": strconv.Itoa(e.status), "detail": e.detail}
	if e.scimType != "" {
		body["scimType"] = e.scimType
	}
	return scimJSON(e.status, body)
}

func scimJSON(status int, v any) reply {
	b, _ := json.Marshal(v) // cannot fail: only JSON values are marshalled
	return reply{status: status, body: b}
}

func (f *SCIM) serveHTTP(w http.ResponseWriter, r *http.Request) {
	f.serve(w, r, f.answerLocked)
}

// answerLocked serves a request that no fault or rate limit stopped.
func (f *SCIM) answerLocked(r *http.Request, body []byte) reply {
	if !f.authorized(r) {
		return scimFail(http.StatusUnauthorized, "", "Authentication failed: check the %s credentials", cmp.Or(f.opts.Auth, "bearer")).reply()
	}
	path, ok := strings.CutPrefix(r.URL.Path, f.opts.BasePath)
	if !ok || !strings.HasPrefix(path, "/") {
		return scimFail(http.StatusNotFound, "", "No SCIM endpoint at %s", r.URL.Path).reply()
	}
	if body != nil {
		// RFC 7644 §3.1: SCIM's media type; plain JSON is taken too, as
		// most services do.
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != scimMediaType && mt != "application/json" {
			return scimFail(http.StatusUnsupportedMediaType, "invalidSyntax", "Content-Type must be %s", scimMediaType).reply()
		}
	}
	return f.routeLocked(r.Method, path, r.URL.Query(), body)
}

func (f *SCIM) authorized(r *http.Request) bool {
	if f.opts.Auth == "basic" {
		user, pass, ok := r.BasicAuth()
		return ok && user == f.opts.Username && pass == f.opts.Password
	}
	scheme := "Bearer"
	if f.opts.Auth == "static" {
		scheme = "Static"
	}
	got, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(got, scheme) && token == f.opts.Token
}

// scimKind is what differs between Users and Groups.
type scimKind struct {
	name   string // the resource type: User or Group
	schema string // its core schema
	store  *[]SCIMResource
	// filters are the attributes a listing may filter on, each true when
	// compared case-exactly (RFC 7643's caseExact).
	filters map[string]bool
	check   func(r SCIMResource, self string) *scimError
}

func (f *SCIM) kindLocked(endpoint string) *scimKind {
	switch {
	case endpoint == "Users":
		return &scimKind{name: "User", schema: scimUserSchema, store: &f.users, check: f.checkUserLocked,
			filters: map[string]bool{"id": true, "userName": false, "externalId": true, "displayName": false}}
	case endpoint == "Groups" && !f.opts.NoGroups:
		return &scimKind{name: "Group", schema: scimGroupSchema, store: &f.groups, check: f.checkGroupLocked,
			filters: map[string]bool{"id": true, "displayName": false, "externalId": true}}
	}
	return nil
}

// routeLocked serves an authenticated request; path is relative to BasePath.
func (f *SCIM) routeLocked(method, path string, q url.Values, body []byte) reply {
	unsupported := scimFail(http.StatusNotImplemented, "", "%s %s is not supported", method, path).reply()
	switch path {
	case "/ServiceProviderConfig", "/ResourceTypes", "/Schemas":
		if method != http.MethodGet {
			return unsupported
		}
		return scimJSON(http.StatusOK, f.discoveryLocked(path))
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	k := f.kindLocked(segs[0])
	if k == nil || len(segs) > 2 {
		return scimFail(http.StatusNotFound, "", "No SCIM endpoint at %s", path).reply()
	}
	if len(segs) == 1 {
		switch method {
		case http.MethodGet:
			return f.listLocked(k, q)
		case http.MethodPost:
			return f.createLocked(k, body)
		}
		return unsupported
	}
	i := scimIndex(*k.store, segs[1])
	if i < 0 {
		return scimFail(http.StatusNotFound, "", "Resource %s not found", segs[1]).reply()
	}
	switch {
	case method == http.MethodGet:
		return scimJSON(http.StatusOK, (*k.store)[i])
	case method == http.MethodPut:
		return f.putLocked(k, i, body)
	case method == http.MethodPatch && f.opts.PatchSupported:
		return f.patchLocked(k, i, body)
	}
	return unsupported
}

// listLocked serves a query (RFC 7644 §3.4.2): an optional filter of the
// form `attribute eq "value"`, and paging by startIndex (from 1) and count.
func (f *SCIM) listLocked(k *scimKind, q url.Values) reply {
	matched := *k.store
	if expr := q.Get("filter"); expr != "" {
		flt, ok := parseSCIMFilter(expr)
		if !ok {
			return scimFail(http.StatusBadRequest, "invalidFilter", `Filter %q is not of the form attribute eq "value"`, expr).reply()
		}
		exact, known := false, false
		for attr, caseExact := range k.filters {
			if strings.EqualFold(attr, flt.attr) {
				exact, known = caseExact, true
			}
		}
		if !known {
			return scimFail(http.StatusBadRequest, "invalidFilter", "%ss cannot be filtered on %s", k.name, flt.attr).reply()
		}
		matched = nil
		for _, r := range *k.store {
			if flt.match(r, exact) {
				matched = append(matched, r)
			}
		}
	}
	start := max(scimIntParam(q, "startIndex", 1), 1)
	count := max(min(scimIntParam(q, "count", scimMaxResults), scimMaxResults), 0)
	page := []SCIMResource{}
	if start <= len(matched) {
		page = matched[start-1 : min(start-1+count, len(matched))]
	}
	return scimJSON(http.StatusOK, map[string]any{"schemas": []string{scimListSchema}, "totalResults": len(matched),
		"startIndex": start, "itemsPerPage": len(page), "Resources": page})
}

func scimIntParam(q url.Values, key string, def int) int {
	n, err := strconv.Atoi(q.Get(key))
	if err != nil {
		return def
	}
	return n
}

func (f *SCIM) createLocked(k *scimKind, body []byte) reply {
	r, e := scimDecode(k, body)
	if e != nil {
		return e.reply()
	}
	if e := k.check(r, ""); e != nil {
		return e.reply()
	}
	*k.store = append(*k.store, f.stampLocked(r, k.name))
	rep := scimJSON(http.StatusCreated, r)
	rep.header = http.Header{"Location": {r.Get("meta.location").(string)}}
	return rep
}

// putLocked replaces a resource whole (RFC 7644 §3.5.1): what the body
// leaves out is gone, except what is read-only.
func (f *SCIM) putLocked(k *scimKind, i int, body []byte) reply {
	r, e := scimDecode(k, body)
	if e != nil {
		return e.reply()
	}
	return f.storeLocked(k, i, r)
}

// patchLocked applies a PatchOp (RFC 7644 §3.5.2) all or nothing.
func (f *SCIM) patchLocked(k *scimKind, i int, body []byte) reply {
	var req struct {
		Schemas    []string `json:"schemas"`
		Operations []struct {
			Op    string `json:"op"`
			Path  string `json:"path"`
			Value any    `json:"value"`
		} `json:"Operations"`
	}
	if json.Unmarshal(body, &req) != nil || !slices.ContainsFunc(req.Schemas, scimIs(scimPatchSchema)) || len(req.Operations) == 0 {
		return scimFail(http.StatusBadRequest, "invalidSyntax", `A PATCH body is {"schemas":[%q],"Operations":[…]}`, scimPatchSchema).reply()
	}
	r := scimCopy((*k.store)[i])
	for _, op := range req.Operations {
		if e := scimApplyOp(r, op.Op, op.Path, op.Value); e != nil {
			return e.reply()
		}
	}
	// An extension attribute a PATCH adds declares its schema; a PUT must
	// declare it itself.
	declared, _ := r.Get("schemas").([]any)
	for key := range r {
		if scimIsURN(key) && !slices.ContainsFunc(declared, func(s any) bool { return scimIs(key)(fmt.Sprint(s)) }) {
			declared = append(declared, key)
		}
	}
	r[scimKey(r, "schemas")] = declared
	return f.storeLocked(k, i, r)
}

// storeLocked replaces the i-th resource of the kind by r, once valid,
// keeping its read-only id and meta.
func (f *SCIM) storeLocked(k *scimKind, i int, r SCIMResource) reply {
	old := (*k.store)[i]
	r["id"] = old["id"]
	meta := maps.Clone(old["meta"].(map[string]any))
	meta["lastModified"] = f.Now().UTC().Format(time.RFC3339)
	r["meta"] = meta
	if e := k.check(r, old.ID()); e != nil {
		return e.reply()
	}
	(*k.store)[i] = r
	return scimJSON(http.StatusOK, r)
}

// scimDecode reads a POST or PUT body, dropping what is read-only: id,
// meta and, on a user, groups (RFC 7643 §4.1.2), which services ignore.
func scimDecode(k *scimKind, body []byte) (SCIMResource, *scimError) {
	var r SCIMResource
	if json.Unmarshal(body, &r) != nil || r == nil {
		return nil, scimFail(http.StatusBadRequest, "invalidSyntax", "The body is not a JSON object")
	}
	readOnly := []string{"id", "meta"}
	if k.name == "User" {
		readOnly = append(readOnly, "groups")
	}
	for _, attr := range readOnly {
		delete(r, scimKey(r, attr))
	}
	if k.name == "User" && r.Get("active") == nil {
		r["active"] = true
	}
	return r, nil
}

func (f *SCIM) checkUserLocked(r SCIMResource, self string) *scimError {
	if e := f.checkSchemasLocked(r, scimUserSchema); e != nil {
		return e
	}
	userName, _ := r.Get("userName").(string)
	if strings.TrimSpace(userName) == "" {
		return scimFail(http.StatusBadRequest, "invalidValue", "userName is required")
	}
	if _, ok := r.Get("active").(bool); !ok {
		return scimFail(http.StatusBadRequest, "invalidValue", "active must be true or false")
	}
	if v := r.Get("name"); v != nil {
		if _, ok := v.(map[string]any); !ok {
			return scimFail(http.StatusBadRequest, "invalidValue", "name must be an object")
		}
	}
	externalID, _ := r.Get("externalId").(string)
	for _, u := range f.users {
		if u.ID() == self {
			continue
		}
		// userName is unique whatever its letter case (RFC 7643 §4.1.1);
		// externalId is case-exact.
		if other, _ := u.Get("userName").(string); strings.EqualFold(other, userName) {
			return scimFail(http.StatusConflict, "uniqueness", "userName %q is already taken", userName)
		}
		if other, _ := u.Get("externalId").(string); externalID != "" && other == externalID {
			return scimFail(http.StatusConflict, "uniqueness", "externalId %q is already taken", externalID)
		}
	}
	return nil
}

func (f *SCIM) checkGroupLocked(r SCIMResource, self string) *scimError {
	if e := f.checkSchemasLocked(r, scimGroupSchema); e != nil {
		return e
	}
	name, _ := r.Get("displayName").(string)
	if strings.TrimSpace(name) == "" {
		return scimFail(http.StatusBadRequest, "invalidValue", "displayName is required")
	}
	for _, g := range f.groups {
		if other, _ := g.Get("displayName").(string); g.ID() != self && strings.EqualFold(other, name) {
			return scimFail(http.StatusConflict, "uniqueness", "A group named %q exists", other)
		}
	}
	members := r.Get("members")
	if members == nil {
		return nil
	}
	list, ok := members.([]any)
	if !ok {
		return scimFail(http.StatusBadRequest, "invalidValue", "members must be a list")
	}
	for _, m := range list {
		obj, _ := m.(map[string]any)
		id, _ := obj[scimKey(obj, "value")].(string)
		if scimIndex(f.users, id) < 0 {
			return scimFail(http.StatusBadRequest, "invalidValue", "Member %q is not a user", id)
		}
	}
	return nil
}

// checkSchemasLocked checks a resource's schemas: its core schema, and only
// extensions the fake serves, each declared if used (RFC 7643 §3).
func (f *SCIM) checkSchemasLocked(r SCIMResource, core string) *scimError {
	list, _ := r.Get("schemas").([]any)
	var declared []string
	for _, s := range list {
		if s, ok := s.(string); ok {
			declared = append(declared, s)
		}
	}
	if len(declared) != len(list) || !slices.ContainsFunc(declared, scimIs(core)) {
		return scimFail(http.StatusBadRequest, "invalidSyntax", "schemas must be a list of URNs including %s", core)
	}
	for _, urn := range declared {
		if _, ok := f.extensionLocked(core, urn); !ok && !scimIs(core)(urn) {
			return scimFail(http.StatusBadRequest, "invalidValue", "Schema %s is not served here", urn)
		}
	}
	for key, v := range r {
		if !scimIsURN(key) {
			continue
		}
		attrs, ok := f.extensionLocked(core, key)
		switch {
		case !ok:
			return scimFail(http.StatusBadRequest, "invalidValue", "Schema %s is not served here", key)
		case !slices.ContainsFunc(declared, scimIs(key)):
			return scimFail(http.StatusBadRequest, "invalidValue", "Attributes of %s are sent but the schema is not in schemas", key)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return scimFail(http.StatusBadRequest, "invalidValue", "%s must be an object", key)
		}
		for attr := range obj {
			if !slices.ContainsFunc(attrs, func(a scimAttrDef) bool { return strings.EqualFold(a.name, attr) }) {
				return scimFail(http.StatusBadRequest, "invalidValue", "Schema %s has no attribute %s", key, attr)
			}
		}
	}
	return nil
}

// extensionLocked returns the attributes of an extension of the core
// schema the fake serves, and false when it serves no such extension.
func (f *SCIM) extensionLocked(core, urn string) ([]scimAttrDef, bool) {
	if core != scimUserSchema {
		return nil, false
	}
	if scimIs(scimEnterpriseSchema)(urn) {
		return scimEnterpriseAttributes(), true
	}
	for ext, names := range f.opts.ExtensionSchemas {
		if scimIs(ext)(urn) {
			return scimExtensionAttributes(names), true
		}
	}
	return nil, false
}

// scimIs returns a test for a URN equal to want in any letter case.
func scimIs(want string) func(string) bool {
	return func(s string) bool { return strings.EqualFold(s, want) }
}
