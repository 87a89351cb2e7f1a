package lmstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The wire constants of SCIM 2.0 (RFC 7643, RFC 7644).
const (
	scimMediaType        = "application/scim+json"
	scimUserSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimGroupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	scimEnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	scimListSchema       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	scimErrorSchema      = "urn:ietf:params:scim:api:messages:2.0:Error"
	scimPatchSchema      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	scimConfigSchema     = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	scimTypeSchema       = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	scimSchemaSchema     = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	// scimMaxResults is the most resources one page holds, whatever the
	// client asks: it must follow totalResults, not expect all at once.
	scimMaxResults = 100
)

// SCIMOptions configure a SCIM fake. Start from DefaultSCIMOptions: its
// zero value has PATCH off.
type SCIMOptions struct {
	// Auth is the one scheme accepted: "bearer" (Authorization: Bearer
	// <Token>), "static" (Authorization: Static <Token>, Learnerbly's) or
	// "basic" (Username and Password).
	Auth               string
	Token              string
	Username, Password string
	// PatchSupported serves PATCH, and says so in /ServiceProviderConfig;
	// without it PATCH is answered 501, as RFC 7644 §3.12 has it.
	PatchSupported bool
	// NoGroups serves no /Groups, and lists no Group in /ResourceTypes.
	NoGroups bool
	// BasePath is where the service sits on the server, "/scim/v2/acme".
	BasePath string
	// ExtensionSchemas are the User extension schemas served besides the
	// enterprise one (RFC 7643 §4.3), by URN, each with its attribute
	// names; a name ending in "[]" is multi-valued. A user resource may
	// carry attributes of these schemas only, and a POST or PUT must
	// declare each it uses in its "schemas".
	ExtensionSchemas map[string][]string
}

// DefaultSCIMOptions serves bearer token "test-scim-token" at /scim/v2,
// with PATCH and groups.
func DefaultSCIMOptions() SCIMOptions {
	return SCIMOptions{Auth: "bearer", Token: "test-scim-token", Username: "scim", Password: "test-scim-password",
		PatchSupported: true, BasePath: "/scim/v2"}
}

// SCIM is a fake SCIM 2.0 service provider (RFC 7643, RFC 7644) — the API
// Learnerbly, EasyLlama, Learn Amp and most LMSs offer Okta — with Users
// and Groups, filters, paging, PATCH and PUT, the discovery endpoints
// (/ServiceProviderConfig, /ResourceTypes, /Schemas) and the error
// envelope. Attribute names are case-insensitive, as RFC 7643 §2.1 has them.
// Resources are kept as their JSON objects, behind a mutex; every request
// is recorded (paths include BasePath), and the fake can be told to fail or
// rate limit. Its Mutations are every request but the GETs; requests over
// the rate limit get 429 with "Retry-After: 1".
type SCIM struct {
	// URL is the service's base URL, BasePath included: what a client is
	// configured with.
	URL string
	// Now stamps meta and drives the rate-limit window. Replace it before
	// sending requests.
	Now func() time.Time

	opts SCIMOptions

	wire
	users  []SCIMResource // in creation order
	groups []SCIMResource
	lastID int
}

// SCIMResource is a resource as its JSON object: strings, float64, bool,
// []any and map[string]any. Resources returned by the fake are copies.
type SCIMResource map[string]any

// ID is the resource's id.
func (r SCIMResource) ID() string {
	id, _ := r["id"].(string)
	return id
}

// Get returns the value at an attribute path — "userName",
// "name.givenName", "urn:…:enterprise:2.0:User:manager.value" — in any
// letter case, nil when absent.
func (r SCIMResource) Get(path string) any {
	p, ok := parseSCIMPath(path)
	if !ok || p.filter != nil {
		return nil
	}
	m := map[string]any(r)
	if p.urn != "" {
		m, _ = m[scimKey(m, p.urn)].(map[string]any)
	}
	v := m[scimKey(m, p.attr)]
	if p.sub == "" {
		return v
	}
	obj, _ := v.(map[string]any)
	return obj[scimKey(obj, p.sub)]
}

// NewSCIM starts a fake. Call Close when done.
func NewSCIM(opts SCIMOptions) *SCIM {
	opts.BasePath = "/" + strings.Trim(opts.BasePath, "/")
	if opts.BasePath == "/" {
		opts.BasePath = ""
	}
	f := &SCIM{opts: opts, Now: time.Now}
	f.URL = f.start(wireAPI{
		contentType: scimMediaType,
		now:         func() time.Time { return f.Now() },
		fail:        func(status int, msg string) reply { return scimFail(status, "", "%s", msg).reply() },
		limited: func(int) reply {
			rep := scimFail(http.StatusTooManyRequests, "", "Too many requests").reply()
			rep.header = http.Header{"Retry-After": {"1"}}
			return rep
		},
		mutation: func(r Request) bool { return r.Method != http.MethodGet },
	}, f.serveHTTP) + opts.BasePath
	return f
}

// AddUser seeds a user as if made by hand in the LMS and returns its id. It
// bypasses validation, so tests can set up any state. The id and meta are
// the fake's; schemas defaults to the core User schema and active to true.
func (f *SCIM) AddUser(r SCIMResource) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := scimCopy(r)
	if u["schemas"] == nil {
		u["schemas"] = []any{scimUserSchema}
	}
	if u.Get("active") == nil {
		u["active"] = true
	}
	f.users = append(f.users, f.stampLocked(u, "User"))
	return u.ID()
}

// AddGroup seeds a group with the users of the given ids and returns its id.
func (f *SCIM) AddGroup(name string, members ...string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := SCIMResource{"schemas": []any{scimGroupSchema}, "displayName": name}
	if len(members) > 0 {
		values := make([]any, len(members))
		for i, id := range members {
			values[i] = map[string]any{"value": id}
		}
		g["members"] = values
	}
	f.groups = append(f.groups, f.stampLocked(g, "Group"))
	return g.ID()
}

// Users returns copies of every user, in creation order.
func (f *SCIM) Users() []SCIMResource {
	f.mu.Lock()
	defer f.mu.Unlock()
	return scimCopies(f.users)
}

// User returns a copy of the user with the id.
func (f *SCIM) User(id string) (SCIMResource, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := scimIndex(f.users, id); i >= 0 {
		return scimCopy(f.users[i]), true
	}
	return nil, false
}

// Groups returns copies of every group, in creation order.
func (f *SCIM) Groups() []SCIMResource {
	f.mu.Lock()
	defer f.mu.Unlock()
	return scimCopies(f.groups)
}

// Group returns a copy of the group with the id.
func (f *SCIM) Group(id string) (SCIMResource, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := scimIndex(f.groups, id); i >= 0 {
		return scimCopy(f.groups[i]), true
	}
	return nil, false
}

// stampLocked gives a new resource its id and meta.
func (f *SCIM) stampLocked(r SCIMResource, resourceType string) SCIMResource {
	f.lastID++
	prefix := "2819c223" // ids are opaque strings: a client must not count on numbers
	if resourceType == "Group" {
		prefix = "e9e30dba"
	}
	r["id"] = fmt.Sprintf("%s-7f76-453a-919d-%012x", prefix, f.lastID)
	now := f.Now().UTC().Format(time.RFC3339)
	r["meta"] = map[string]any{"resourceType": resourceType, "created": now, "lastModified": now,
		"location": f.URL + "/" + resourceType + "s/" + r.ID()}
	return r
}

// scimCopy returns a deep copy of r holding JSON types only, whatever Go
// types a test seeded it with.
func scimCopy(r SCIMResource) SCIMResource {
	b, err := json.Marshal(r)
	if err != nil {
		panic("lmstest: a SCIM resource that is not JSON: " + err.Error())
	}
	var out SCIMResource
	json.Unmarshal(b, &out) // cannot fail: b was just marshalled
	return out
}

func scimCopies(rs []SCIMResource) []SCIMResource {
	out := make([]SCIMResource, len(rs))
	for i, r := range rs {
		out[i] = scimCopy(r)
	}
	return out
}

func scimIndex(rs []SCIMResource, id string) int {
	return slices.IndexFunc(rs, func(r SCIMResource) bool { return r.ID() == id })
}

// scimKey returns the key of m naming the attribute in any letter case, or
// name when none does.
func scimKey(m map[string]any, name string) string {
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

func scimIsURN(s string) bool { return len(s) > 4 && strings.EqualFold(s[:4], "urn:") }
