package lms

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/oktalms/oktalms/reconcile"
	oksync "github.com/oktalms/oktalms/sync"
)

// The wire constants of SCIM 2.0 (RFC 7643, RFC 7644).
const (
	scimMediaType   = "application/scim+json"
	scimUserSchema  = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
	scimPatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	// EnterpriseUserSchema is RFC 7643's enterprise User extension:
	// employeeNumber, costCenter, organization, division, department, manager.
	EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// scimPageSize is the resources asked per page: as many as most
	// services serve at once. Paging follows what a service does serve.
	scimPageSize = 100
)

// The authentication schemes of SCIMConfig.Auth.
const (
	SCIMAuthBearer = "bearer" // Authorization: Bearer <token>
	SCIMAuthStatic = "static" // Authorization: Static <token>, as Learnerbly wants
	SCIMAuthBasic  = "basic"  // HTTP Basic
)

// ErrGroupsUnsupported is wrapped by the error of a group method when the
// service does not serve groups.
var ErrGroupsUnsupported = errors.New("this SCIM service does not serve groups: its /ResourceTypes lists no Group")

// SCIMConfig is what the SCIM 2.0 client needs.
type SCIMConfig struct {
	// BaseURL is the service's base, the URL before /Users:
	// https://lms.example.com/scim/v2.
	BaseURL string
	// Auth is SCIMAuthBearer (also when empty), SCIMAuthStatic or SCIMAuthBasic.
	Auth string
	// Token is the bearer or static token; Username and Password are for basic.
	Token              string
	Username, Password string
	// Attributes maps a change key — a canonical field (reconcile.Field*),
	// "manager_email" or "custom:<name>" — to the SCIM attribute path it
	// is written to and read from: a core attribute ("title", "locale",
	// "name.middleName") or an extension attribute prefixed with its schema
	// URN ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").
	// A custom field with no entry is written to its own name when that
	// name is an extension attribute path. "manager_email" names a
	// complex attribute like the enterprise manager: the email is resolved
	// to the manager's SCIM id, sent as {"value": id}.
	Attributes map[string]string
	// MultiValued are the attribute paths that hold a list of strings: the
	// value "a@x.com, b@x.com" is sent as ["a@x.com", "b@x.com"].
	MultiValued []string
	// Schemas are extension schema URNs every user resource sent declares,
	// besides those of the extension attributes it carries.
	Schemas    []string
	Timeout    time.Duration // per attempt
	Retry      RetryPolicy
	UserAgent  string
	HTTPClient *http.Client
}

// AttributePath returns the SCIM attribute path a change key is written
// to, and false when the key has none: such a field cannot be synced.
func (cfg SCIMConfig) AttributePath(key string) (string, bool) {
	if path, ok := cfg.Attributes[key]; ok {
		return path, true
	}
	name, custom := strings.CutPrefix(key, reconcile.CustomPrefix)
	if custom && scimIsExtensionPath(name) {
		return name, true
	}
	return "", false
}

// SCIM is the client of a SCIM 2.0 service provider (RFC 7644). A person's
// account is a User resource: userName and the primary work email are the
// email, externalId the Okta id, displayName the name, active false when
// archived. SCIM has no role: Role is neither sent nor read.
type SCIM struct {
	api *client
	cfg SCIMConfig

	mu sync.Mutex
	// patch and groups are what the service says it supports, read once
	// when first needed; nil until then.
	patch, groups *bool
	managers      map[string]string // lower-cased email → SCIM id
	// resources lock, by path, a resource being read, edited and PUT back.
	resources map[string]*sync.Mutex
}

var _ oksync.Target = (*SCIM)(nil)

// NewSCIM builds the client. Errors name the config key at fault.
func NewSCIM(cfg SCIMConfig) (*SCIM, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("lms.url: %q is not a URL like https://lms.example.com/scim/v2", cfg.BaseURL)
	}
	authorize, err := scimAuthorizer(cfg)
	if err != nil {
		return nil, err
	}
	for key, path := range cfg.Attributes {
		if _, attr, _ := scimSplitPath(path); attr == "" {
			return nil, fmt.Errorf("lms.attributes.%s: %q is not a SCIM attribute path like title or %s:department", key, path, EnterpriseUserSchema)
		}
	}
	for _, urn := range cfg.Schemas {
		if !scimIsURN(urn) {
			return nil, fmt.Errorf("lms.schemas: %q is not a schema URN like %s", urn, EnterpriseUserSchema)
		}
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	// The client reads these concurrently: it keeps its own copies.
	cfg.Attributes, cfg.MultiValued, cfg.Schemas = maps.Clone(cfg.Attributes), slices.Clone(cfg.MultiValued), slices.Clone(cfg.Schemas)
	return &SCIM{
		api: &client{
			http: httpClient, base: base, timeout: cfg.Timeout, retry: cfg.Retry, userAgent: cfg.UserAgent,
			authorize: func(r *http.Request) {
				// The shared client speaks application/json; SCIM's own media
				// type is application/scim+json (RFC 7644 §3.1), which
				// strict services require.
				r.Header.Set("Accept", scimMediaType+", application/json")
				if r.Header.Get("Content-Type") != "" {
					r.Header.Set("Content-Type", scimMediaType)
				}
				authorize(r)
			},
			errorMessage: scimErrorMessage,
		},
		cfg:       cfg,
		managers:  map[string]string{},
		resources: map[string]*sync.Mutex{},
	}, nil
}

func scimAuthorizer(cfg SCIMConfig) (func(*http.Request), error) {
	switch auth := strings.ToLower(cmp.Or(cfg.Auth, SCIMAuthBearer)); auth {
	case SCIMAuthBearer, SCIMAuthStatic:
		if cfg.Token == "" {
			return nil, errors.New("lms.token: missing (the SCIM API token the LMS issued)")
		}
		header := "Bearer " + cfg.Token
		if auth == SCIMAuthStatic {
			header = "Static " + cfg.Token
		}
		return func(r *http.Request) { r.Header.Set("Authorization", header) }, nil
	case SCIMAuthBasic:
		if cfg.Username == "" || cfg.Password == "" {
			return nil, errors.New("lms.username, lms.password: both needed for basic authentication")
		}
		return func(r *http.Request) { r.SetBasicAuth(cfg.Username, cfg.Password) }, nil
	default:
		return nil, fmt.Errorf("lms.auth: %q is not one of %s, %s, %s", cfg.Auth, SCIMAuthBearer, SCIMAuthStatic, SCIMAuthBasic)
	}
}

// scimErrorMessage reads SCIM's error envelope (RFC 7644 §3.12),
// {"status":"409","scimType":"uniqueness","detail":"…"}, else a message
// in another JSON shape or short plain text, as a proxy in front may answer.
func scimErrorMessage(body []byte) string {
	var e struct {
		ScimType string `json:"scimType"`
		Detail   string `json:"detail"`
		Message  string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		if s := strings.TrimSpace(string(body)); len(s) <= 200 {
			return s
		}
		return ""
	}
	if e.ScimType != "" && e.Detail != "" {
		return e.ScimType + ": " + e.Detail
	}
	return cmp.Or(e.Detail, e.Message)
}

// scimList is a ListResponse (RFC 7644 §3.4.2).
type scimList struct {
	TotalResults int              `json:"totalResults"`
	Resources    []map[string]any `json:"Resources"`
}

// list reads every resource of an endpoint, page by page.
func (c *SCIM) list(ctx context.Context, path string, each func(map[string]any)) error {
	for start := 1; ; {
		var page scimList
		q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(scimPageSize)}}
		if err := c.api.do(ctx, http.MethodGet, path, q, nil, &page); err != nil {
			return fmt.Errorf("page at %d: %w", start, err)
		}
		for _, r := range page.Resources {
			each(r)
		}
		// The service may serve fewer than asked: the next page starts
		// after what it served. One that omits totalResults, which RFC
		// 7644 requires, is read to its first empty page rather than
		// taken at its first word: a partial listing is worse than a
		// request more.
		start += len(page.Resources)
		if len(page.Resources) == 0 || page.TotalResults > 0 && start > page.TotalResults {
			return nil
		}
	}
}

// ListUsers reads every account, inactive ones included, and remembers
// every account's id for manager lookups.
func (c *SCIM) ListUsers(ctx context.Context) ([]reconcile.User, error) {
	var all []map[string]any
	if err := c.list(ctx, "/Users", func(r map[string]any) { all = append(all, r) }); err != nil {
		return nil, fmt.Errorf("list SCIM users: %w", err)
	}
	emailOf := make(map[string]string, len(all))
	c.mu.Lock()
	for _, r := range all {
		id, email := scimText(r["id"]), scimText(scimLookup(r, "userName"))
		emailOf[id] = email
		c.managers[strings.ToLower(email)] = id
	}
	c.mu.Unlock()
	out := make([]reconcile.User, len(all))
	for i, r := range all {
		out[i] = c.canonical(r, emailOf)
	}
	return out, nil
}

// canonical reads a User resource. emailOf gives the email of the manager
// the resource refers to by SCIM id.
func (c *SCIM) canonical(r map[string]any, emailOf map[string]string) reconcile.User {
	active, ok := scimLookup(r, "active").(bool)
	u := reconcile.User{
		LMSID:  scimText(r["id"]),
		ExtUID: scimText(scimLookup(r, "externalId")),
		Email:  scimText(scimLookup(r, "userName")),
		Name:   norm.NFC.String(scimDisplayName(r)),
		Active: active || !ok, // a service that omits active has no inactive accounts
		Fields: map[string]string{},
		Custom: map[string]string{},
	}
	// Every extension attribute is a custom field under its path, so a
	// custom field named by its path reads back without an alias.
	for urn, v := range r {
		ext, _ := v.(map[string]any)
		if !scimIsURN(urn) || ext == nil {
			continue
		}
		for attr, v := range ext {
			if s := scimText(v); s != "" {
				u.Custom[urn+":"+attr] = norm.NFC.String(s)
			}
		}
	}
	for key, path := range c.cfg.Attributes {
		s := scimText(scimGetPath(r, path))
		if key == reconcile.FieldManagerEmail {
			s = emailOf[s]
		}
		if s = norm.NFC.String(s); s == "" {
			continue
		}
		if name, custom := strings.CutPrefix(key, reconcile.CustomPrefix); custom {
			u.Custom[name] = s
		} else {
			u.Fields[key] = s
		}
	}
	return u
}

// scimDisplayName is the name shown for a person: displayName, else the
// formatted name, else given and family names.
func scimDisplayName(r map[string]any) string {
	if s := scimText(scimLookup(r, "displayName")); s != "" {
		return s
	}
	if s := scimText(scimGetPath(r, "name.formatted")); s != "" {
		return s
	}
	return strings.TrimSpace(scimText(scimGetPath(r, "name.givenName")) + " " + scimText(scimGetPath(r, "name.familyName")))
}

func (c *SCIM) archive(ctx context.Context, op reconcile.Op) error {
	return c.updateUser(ctx, op, false)
}

func (c *SCIM) update(ctx context.Context, op reconcile.Op, restore bool) error {
	return c.updateUser(ctx, op, restore)
}

func (c *SCIM) create(ctx context.Context, op reconcile.Op) (string, error) {
	keys := []string{reconcile.ChangeEmail, reconcile.ChangeName, reconcile.ChangeExtUID}
	for _, ch := range op.Changes {
		if !slices.Contains(keys, ch.Field) {
			keys = append(keys, ch.Field)
		}
	}
	set, _, err := c.attributes(ctx, op, keys)
	if err != nil {
		return "", err
	}
	set["active"] = true
	body := map[string]any{}
	for path, v := range set {
		scimSetPath(body, path, v)
	}
	body["schemas"] = c.schemas(nil, set)
	var created map[string]any
	if err := c.api.do(ctx, http.MethodPost, "/Users", nil, body, &created); err != nil {
		if scimConflict(err) {
			return "", fmt.Errorf("%w: %w", ErrTaken, err)
		}
		return "", err
	}
	id := scimText(created["id"])
	if id == "" {
		return "", errors.New("POST /Users: the answer carries no id")
	}
	c.mu.Lock()
	c.managers[strings.ToLower(op.Record.Email)] = id // a report created later finds this manager without a lookup
	c.mu.Unlock()
	return id, nil
}

// updateUser sends the op's changes and, for archive and restore, active:
// one PATCH, or, when the service has no PATCH, one GET and one PUT.
func (c *SCIM) updateUser(ctx context.Context, op reconcile.Op, active bool) error {
	if op.LMSID == "" {
		return errors.New("no LMS id to address")
	}
	keys := make([]string, len(op.Changes))
	for i, ch := range op.Changes {
		keys[i] = ch.Field
	}
	set, unset, err := c.attributes(ctx, op, keys)
	if err != nil {
		return err
	}
	if op.Action == reconcile.ActionArchive || active {
		set["active"] = active
	}
	var edits []scimEdit
	if len(set) > 0 {
		e := scimReplace(set)
		edit := e.edit
		e.edit = func(r map[string]any) { // a resource PUT back declares its extensions
			edit(r)
			have, _ := scimLookup(r, "schemas").([]any)
			r["schemas"] = c.schemas(have, set)
		}
		edits = append(edits, e)
	}
	for _, path := range unset {
		edits = append(edits, scimEdit{
			op:   scimOp{Op: "remove", Path: path},
			edit: func(r map[string]any) { scimDeletePath(r, path) },
		})
	}
	return c.modify(ctx, "/Users/"+url.PathEscape(op.LMSID), edits)
}

// attributes returns the values an op's change keys set, by attribute
// path, valued from the record, and the paths of the values it empties.
func (c *SCIM) attributes(ctx context.Context, op reconcile.Op, keys []string) (set map[string]any, unset []string, err error) {
	set = map[string]any{}
	put := func(path, v string) {
		if v == "" {
			unset = append(unset, path)
			return
		}
		set[path] = v
	}
	for _, key := range keys {
		switch key {
		case reconcile.ChangeEmail:
			set["userName"] = op.Record.Email
			set["emails"] = []any{map[string]any{"value": op.Record.Email, "type": "work", "primary": true}}
		case reconcile.ChangeName:
			given, family := scimSplitName(op.Record.Name)
			put("displayName", op.Record.Name)
			put("name.givenName", given)
			put("name.familyName", family)
		case reconcile.ChangeExtUID:
			set["externalId"] = op.OktaID
		default:
			path, ok := c.cfg.AttributePath(key)
			if !ok {
				return nil, nil, fmt.Errorf("%s has no SCIM attribute: map it in lms.attributes", key)
			}
			v := op.Record.Fields[key]
			if name, custom := strings.CutPrefix(key, reconcile.CustomPrefix); custom {
				v = op.Record.Custom[name]
			}
			switch {
			case v == "":
				unset = append(unset, path)
			case key == reconcile.FieldManagerEmail:
				id, err := c.managerID(ctx, v)
				if err != nil {
					return nil, nil, err
				}
				set[path] = map[string]any{"value": id}
			case slices.Contains(c.cfg.MultiValued, path):
				set[path] = scimSplitList(v)
			default:
				set[path] = v
			}
		}
	}
	return set, unset, nil
}

// managerID resolves a manager's email to their SCIM id, from what this
// client has seen or by a userName filter.
func (c *SCIM) managerID(ctx context.Context, email string) (string, error) {
	key := strings.ToLower(email)
	c.mu.Lock()
	id, ok := c.managers[key]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	r, found, err := c.findUser(ctx, "userName", email)
	if err != nil {
		return "", fmt.Errorf("look up the manager %s: %w", email, err)
	}
	if !found {
		return "", fmt.Errorf("the manager %s has no account in the LMS", email)
	}
	id = scimText(r["id"])
	c.mu.Lock()
	c.managers[key] = id
	c.mu.Unlock()
	return id, nil
}

// findUser returns the user whose attr (userName or externalId) equals
// value, using a filter (RFC 7644 §3.4.2.2).
func (c *SCIM) findUser(ctx context.Context, attr, value string) (map[string]any, bool, error) {
	var page scimList
	q := url.Values{"filter": {attr + " eq " + scimQuote(value)}}
	if err := c.api.do(ctx, http.MethodGet, "/Users", q, nil, &page); err != nil {
		return nil, false, err
	}
	// Each answer is checked again: a service that ignored the filter
	// would answer the first page of everyone.
	for _, r := range page.Resources {
		got := scimText(scimLookup(r, attr))
		if got == value || attr == "userName" && strings.EqualFold(got, value) {
			return r, true, nil
		}
	}
	return nil, false, nil
}

// scimQuote renders a filter's comparison value: a JSON string.
func scimQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// schemas is the schemas attribute of a user resource carrying the values
// set on top of a resource declaring have: the core schema, the configured
// extensions and those of the extension attributes present.
func (c *SCIM) schemas(have []any, set map[string]any) []string {
	out := []string{scimUserSchema}
	add := func(urn string) {
		if !slices.ContainsFunc(out, func(s string) bool { return strings.EqualFold(s, urn) }) {
			out = append(out, urn)
		}
	}
	for _, s := range have {
		add(scimText(s))
	}
	for _, urn := range c.cfg.Schemas {
		add(urn)
	}
	for path := range set {
		if urn, _, _ := scimSplitPath(path); urn != "" {
			add(urn)
		}
	}
	slices.Sort(out[1:]) // map order must not change the request
	return out
}

// scimConflict reports whether err is the service's 409: the resource exists.
func scimConflict(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict
}

// scimNotServed reports whether err says the endpoint does not exist here.
func scimNotServed(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && (apiErr.Status == http.StatusNotFound ||
		apiErr.Status == http.StatusMethodNotAllowed || apiErr.Status == http.StatusNotImplemented)
}
