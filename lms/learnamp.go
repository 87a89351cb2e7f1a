package lms

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/oktalms/oktalms/reconcile"
	oksync "github.com/oktalms/oktalms/sync"
)

// LearnAmpScopes are the OAuth scopes oktalms asks for by default: reading
// and writing users and teams, nothing else.
var LearnAmpScopes = []string{
	"users:read", "users:create", "users:update", "users:deactivate", "users:reactivate",
	"teams:read", "teams:create", "teams:update",
	"team_users:read", "team_users:create", "team_users:delete",
}

// LearnAmpRoles are the roles a create may give. Learn Amp's "owner" exists
// but cannot be given through the API.
var LearnAmpRoles = []string{"viewer", "curator", "reporter", "learning_designer", "hr", "admin"}

// LearnAmpFields are the canonical fields Learn Amp holds, in display order.
// business_unit and manager_name have no Learn Amp counterpart: a mapping
// naming them is refused.
var LearnAmpFields = []string{
	reconcile.FieldJobTitle, reconcile.FieldDepartment, reconcile.FieldLocation,
	reconcile.FieldHireDate, reconcile.FieldLocale, reconcile.FieldManagerEmail,
}

// learnAmpWire names each of LearnAmpFields in a request body.
var learnAmpWire = map[string]string{
	reconcile.FieldJobTitle: "jobTitle", reconcile.FieldDepartment: "department",
	reconcile.FieldLocation: "location", reconcile.FieldHireDate: "hireDate",
	reconcile.FieldLocale: "language", reconcile.FieldManagerEmail: "managerEmail",
}

// learnAmpStatuses are every status a user may have. A listing asks for all
// of them: the API does not say whether deactivated users are listed unasked.
var learnAmpStatuses = []string{"not_invited", "invite_scheduled", "invite_pending", "confirmed", "deactivated"}

const (
	// learnAmpPageSize is the page oktalms asks for; Learn Amp may serve fewer.
	learnAmpPageSize = 100
	// tokenMargin is how long before its expiry a token is replaced, so that
	// no request, retries included, is sent with a token about to expire.
	tokenMargin = 5 * time.Minute
)

// LearnAmpConfig is what the Learn Amp client needs.
type LearnAmpConfig struct {
	// BaseURL is the company's API host, https://{API_BASE_URL}; the client
	// adds /v1 and /oauth/token (a /v1 given here is dropped).
	BaseURL      string
	ClientID     string
	ClientSecret string
	// Scopes are asked for with every token (default LearnAmpScopes). The
	// API credentials must have been created with each of them.
	Scopes []string
	// SendWelcomeEmail lets Learn Amp invite new users by email; off, they
	// are created with skipInvitation.
	SendWelcomeEmail bool
	Timeout          time.Duration // per attempt; default 30 s
	Retry            RetryPolicy
	UserAgent        string
	HTTPClient       *http.Client
	// Now tells when tokens expire (default time.Now).
	Now func() time.Time
}

// String leaves the client secret out, so that printing the config leaks nothing.
func (c LearnAmpConfig) String() string {
	return fmt.Sprintf("Learn Amp %s, client %s, scopes %s", c.BaseURL, c.ClientID, strings.Join(c.Scopes, " "))
}

// LogValue leaves the client secret out of logs.
func (c LearnAmpConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// LearnAmp is the Learn Amp API v1 client. It authenticates with OAuth 2.0
// client credentials; tokens are fetched when first needed, replaced before
// they expire, and once more when the API refuses one.
type LearnAmp struct {
	api     *client // /v1, with the bearer token
	auth    *client // /oauth/token, with the client's credentials
	now     func() time.Time
	welcome bool
	secret  string

	fetching sync.Mutex // one token request at a time
	token    atomic.Pointer[learnAmpToken]
}

type learnAmpToken struct {
	value   string
	expires time.Time
}

var _ oksync.Target = (*LearnAmp)(nil)

// NewLearnAmp builds the client. It sends nothing until first used.
func NewLearnAmp(cfg LearnAmpConfig) (*LearnAmp, error) {
	base, err := url.Parse(strings.TrimSuffix(strings.TrimRight(cfg.BaseURL, "/"), "/v1"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("lms.url: %q is not a URL like https://api.learnamp.com", cfg.BaseURL)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("lms.client_id: missing (the Client ID of your Learn Amp API credentials)")
	}
	if cfg.ClientSecret == "" {
		return nil, errors.New("lms.client_secret: missing (set it in the config file or OKTALMS_LMS_CLIENT_SECRET)")
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = LearnAmpScopes
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	c := &LearnAmp{now: cfg.Now, welcome: cfg.SendWelcomeEmail, secret: cfg.ClientSecret}
	if c.now == nil {
		c.now = time.Now
	}
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {cfg.ClientID},
		"client_secret": {cfg.ClientSecret}, "scope": {strings.Join(scopes, " ")},
	}.Encode()
	newClient := func(authorize func(*http.Request)) *client {
		return &client{http: httpClient, base: base, timeout: cmp.Or(cfg.Timeout, 30*time.Second), retry: cfg.Retry,
			userAgent: cfg.UserAgent, authorize: authorize, errorMessage: c.errorMessage}
	}
	// The token endpoint takes the client's credentials as a form body:
	// authorizing the request is writing that body.
	c.auth = newClient(func(r *http.Request) {
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader(form)), int64(len(form))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(form)), nil }
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	})
	c.api = newClient(func(r *http.Request) {
		if t := c.token.Load(); t != nil {
			r.Header.Set("Authorization", "Bearer "+t.value)
		}
	})
	return c, nil
}

// errorMessage reads the API's {"error": "…"} or OAuth's {"error":
// "invalid_client", "error_description": "…"}. The credentials are cut out:
// a server echoing them must not put them in a log.
func (c *LearnAmp) errorMessage(body []byte) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil {
		msg = strings.TrimSuffix(e.Error+": "+e.Description, ": ")
	} else if s := strings.TrimSpace(string(body)); len(s) <= 200 {
		msg = s
	}
	msg = strings.ReplaceAll(msg, c.secret, "[redacted]")
	if t := c.token.Load(); t != nil {
		msg = strings.ReplaceAll(msg, t.value, "[redacted]")
	}
	return msg
}

// authenticate makes sure a token is held that is not stale and outlives the
// margin, fetching one if needed.
func (c *LearnAmp) authenticate(ctx context.Context, stale *learnAmpToken) error {
	c.fetching.Lock()
	defer c.fetching.Unlock()
	if t := c.token.Load(); t != nil && t != stale && c.now().Before(t.expires.Add(-tokenMargin)) {
		return nil
	}
	issued := c.now()
	var answer struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := c.auth.do(ctx, http.MethodPost, "/oauth/token", nil, nil, &answer); err != nil {
		return fmt.Errorf("get a Learn Amp access token: %w", err)
	}
	if answer.AccessToken == "" {
		return errors.New("get a Learn Amp access token: the answer carries no access_token")
	}
	c.token.Store(&learnAmpToken{value: answer.AccessToken, expires: issued.Add(time.Duration(answer.ExpiresIn) * time.Second)})
	return nil
}

// do sends an API request with a valid token. A 401 means the token died
// early (revoked, or the server's clock is ahead): the request is sent once
// more with a new one. The API refused it, so re-sending a POST is safe.
func (c *LearnAmp) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	if err := c.authenticate(ctx, nil); err != nil {
		return err
	}
	used := c.token.Load()
	err := c.api.do(ctx, method, path, query, body, out)
	if !Unauthorized(err) {
		return err
	}
	if err := c.authenticate(ctx, used); err != nil {
		return err
	}
	return c.api.do(ctx, method, path, query, body, out)
}

// learnAmpUser is a user as Learn Amp sends it with expanded=true.
type learnAmpUser struct {
	ID                    int     `json:"id"`
	Email                 string  `json:"email"`
	FirstName             string  `json:"firstName"`
	LastName              string  `json:"lastName"`
	Role                  string  `json:"role"`
	IntegrationExternalID *string `json:"integrationExternalId"`
	JobTitle              *string `json:"jobTitle"`
	Department            *string `json:"department"`
	Location              *string `json:"location"`
	HireDate              *string `json:"hireDate"`
	Language              *string `json:"language"`
	Status                struct {
		Status string `json:"status"` // "Confirmed", "Deactivated", …
	} `json:"status"`
	Manager *struct {
		Email string `json:"email"`
	} `json:"manager"`
	// CustomFields is assumed to have the shape a create sends: the docs
	// list it among the expanded details without showing it.
	CustomFields []struct {
		Name  string          `json:"name"`
		Value json.RawMessage `json:"value"`
	} `json:"customFields"`
}

// learnAmpPage is one page of a listing: users, teams, or a team's users.
type learnAmpPage struct {
	Users []learnAmpUser `json:"users"`
	Teams []learnAmpTeam `json:"teams"`
	// totalPages is the listing's Total-Pages header; 0 when it has none.
	totalPages int
}

func (p *learnAmpPage) readHeader(h http.Header) {
	p.totalPages, _ = strconv.Atoi(h.Get("Total-Pages"))
}

// eachPage reads a listing page by page until its last page (by the
// Total-Pages header, counted at the server's own page size), a page that
// comes back empty (a server that sends no totals), or visit returns false.
func (c *LearnAmp) eachPage(ctx context.Context, path string, filter url.Values, visit func(learnAmpPage) bool) error {
	for page := 1; ; page++ {
		q := url.Values{"page": {strconv.Itoa(page)}, "perPage": {strconv.Itoa(learnAmpPageSize)}}
		maps.Copy(q, filter)
		var p learnAmpPage
		if err := c.do(ctx, http.MethodGet, path, q, nil, &p); err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		if len(p.Users)+len(p.Teams) == 0 || !visit(p) || (p.totalPages > 0 && page >= p.totalPages) {
			return nil
		}
	}
}

// eachUser visits the users matching filter, every status included, with
// their details, until visit returns false.
func (c *LearnAmp) eachUser(ctx context.Context, filter url.Values, visit func(learnAmpUser) bool) error {
	q := url.Values{"expanded": {"true"}, "filters[status][]": learnAmpStatuses}
	maps.Copy(q, filter)
	return c.eachPage(ctx, "/v1/users", q, func(p learnAmpPage) bool {
		for _, lu := range p.Users {
			if !visit(lu) {
				return false
			}
		}
		return true
	})
}

// ListUsers reads every user, deactivated ones included, with their
// custom fields and manager.
func (c *LearnAmp) ListUsers(ctx context.Context) ([]reconcile.User, error) {
	var out []reconcile.User
	err := c.eachUser(ctx, nil, func(lu learnAmpUser) bool {
		out = append(out, lu.canonical())
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("list Learn Amp users: %w", err)
	}
	return out, nil
}

func (lu learnAmpUser) canonical() reconcile.User {
	u := reconcile.User{
		LMSID:  strconv.Itoa(lu.ID),
		ExtUID: deref(lu.IntegrationExternalID),
		Email:  lu.Email,
		Name:   norm.NFC.String(strings.TrimSpace(lu.FirstName + " " + lu.LastName)),
		Role:   lu.Role,
		Active: !strings.EqualFold(lu.Status.Status, "deactivated"),
		Fields: map[string]string{},
		Custom: map[string]string{},
	}
	var manager string
	if lu.Manager != nil {
		manager = lu.Manager.Email
	}
	for key, v := range map[string]string{
		reconcile.FieldJobTitle: deref(lu.JobTitle), reconcile.FieldDepartment: deref(lu.Department),
		reconcile.FieldLocation: deref(lu.Location), reconcile.FieldHireDate: deref(lu.HireDate),
		reconcile.FieldLocale: deref(lu.Language), reconcile.FieldManagerEmail: manager,
	} {
		if s := norm.NFC.String(v); s != "" {
			u.Fields[key] = s
		}
	}
	for _, f := range lu.CustomFields {
		if s := rawText(f.Value); f.Name != "" && s != "" {
			u.Custom[f.Name] = norm.NFC.String(s)
		}
	}
	return u
}

func (c *LearnAmp) archive(ctx context.Context, op reconcile.Op) error {
	return c.put(ctx, op, "/deactivate", nil)
}

func (c *LearnAmp) update(ctx context.Context, op reconcile.Op, restore bool) error {
	body, err := learnAmpBody(op) // refused before anything is sent
	if err != nil {
		return err
	}
	if restore {
		if err := c.put(ctx, op, "/reactivate", nil); err != nil {
			return err
		}
	}
	if len(body) == 0 {
		return nil
	}
	return c.put(ctx, op, "", body)
}

func (c *LearnAmp) create(ctx context.Context, op reconcile.Op) (string, error) {
	if !slices.Contains(LearnAmpRoles, op.Record.Role) {
		return "", fmt.Errorf("role %q is not a Learn Amp role (%s)", op.Record.Role, strings.Join(LearnAmpRoles, ", "))
	}
	body, err := learnAmpBody(op)
	if err != nil {
		return "", err
	}
	body["email"] = op.Record.Email
	body["firstName"], body["lastName"] = splitName(op.Record.Name)
	body["integrationExternalId"] = op.OktaID
	body["role"] = op.Record.Role
	if !c.welcome {
		body["skipInvitation"] = true // Learn Amp invites at once unless told not to
	}
	var created struct {
		ID int `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/users", nil, body, &created); err != nil {
		// Learn Amp answers 400 "Validation failed: Email has already been taken".
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.Status < 500 && strings.Contains(strings.ToLower(apiErr.Message), "already been taken") {
			return "", fmt.Errorf("%w: %w", ErrTaken, err)
		}
		return "", err
	}
	if created.ID == 0 {
		return "", errors.New("POST /v1/users: the answer carries no user id")
	}
	return strconv.Itoa(created.ID), nil
}

// put sends PUT /v1/users/{id}{suffix}. Learn Amp's PUT is taken to be
// partial: its docs update a user by external id with only jobTitle and
// location, and say that route takes the same body as this one.
func (c *LearnAmp) put(ctx context.Context, op reconcile.Op, suffix string, body any) error {
	if op.LMSID == "" {
		return errors.New("no LMS id to address")
	}
	return c.do(ctx, http.MethodPut, "/v1/users/"+url.PathEscape(op.LMSID)+suffix, nil, body, nil)
}

// learnAmpBody is the request body carrying only the op's changes, valued
// from the record; a value gone from Okta is sent as null, clearing it. A
// field Learn Amp does not hold is refused, never dropped silently.
func learnAmpBody(op reconcile.Op) (map[string]any, error) {
	body := map[string]any{}
	var custom []map[string]string
	for _, ch := range op.Changes {
		switch key := ch.Field; {
		case key == reconcile.ChangeEmail:
			body["email"] = op.Record.Email
		case key == reconcile.ChangeName:
			body["firstName"], body["lastName"] = splitName(op.Record.Name)
		case key == reconcile.ChangeExtUID:
			body["integrationExternalId"] = op.OktaID
		case key == reconcile.ChangeRole: // mapping.roles: the role follows the Okta groups
			if !slices.Contains(LearnAmpRoles, op.Record.Role) {
				return nil, fmt.Errorf("role %q is not a Learn Amp role (%s)", op.Record.Role, strings.Join(LearnAmpRoles, ", "))
			}
			body["role"] = op.Record.Role
		case strings.HasPrefix(key, reconcile.CustomPrefix):
			name := strings.TrimPrefix(key, reconcile.CustomPrefix)
			custom = append(custom, map[string]string{"name": name, "value": op.Record.Custom[name]})
		default:
			wire, ok := learnAmpWire[key]
			if !ok {
				return nil, fmt.Errorf("field %s has no Learn Amp counterpart (Learn Amp holds %s)", key, strings.Join(LearnAmpFields, ", "))
			}
			if v := op.Record.Fields[key]; v != "" {
				body[wire] = v
			} else {
				body[wire] = nil
			}
		}
	}
	if custom != nil {
		body["customFields"] = custom
	}
	return body, nil
}

// splitName cuts a full name at its last space: Learn Amp keeps first and
// last names apart, the mapping gives one name. "Mary Ann Smith" becomes Mary
// Ann / Smith. A listing joins them back, so a name split otherwise by hand
// ("Dick" / "van Dyke") still compares equal and is only re-split when it
// changes in Okta. A single word is a first name with an empty last name,
// which Learn Amp refuses on create.
func splitName(name string) (first, last string) {
	i := strings.LastIndex(name, " ")
	if i < 0 {
		return name, ""
	}
	return name[:i], name[i+1:]
}

// FindAccount looks up the Learn Amp account of one person: by external id
// (GET /v1/users/by_integration_external_id/{id}), then by email
// (filters[email], any letter case), deactivated accounts included. rule
// says which matched: "ext_uid" or "email". An empty extUID or email is not
// looked up.
func (c *LearnAmp) FindAccount(ctx context.Context, extUID, email string) (acct reconcile.User, rule string, found bool, err error) {
	if extUID == "" && email == "" {
		return reconcile.User{}, "", false, errors.New("find a Learn Amp account: neither an external id nor an email given")
	}
	if extUID != "" {
		var lu learnAmpUser
		err := c.do(ctx, http.MethodGet, "/v1/users/by_integration_external_id/"+url.PathEscape(extUID), url.Values{"expanded": {"true"}}, nil, &lu)
		var apiErr *APIError
		switch {
		case err == nil && deref(lu.IntegrationExternalID) == extUID:
			return lu.canonical(), "ext_uid", true, nil
		case err != nil && !(errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound):
			return reconcile.User{}, "", false, fmt.Errorf("find the Learn Amp account with external id %q: %w", extUID, err)
		}
	}
	if email == "" {
		return reconcile.User{}, "", false, nil
	}
	err = c.eachUser(ctx, url.Values{"filters[email]": {email}}, func(lu learnAmpUser) bool {
		// Checked again: an API that ignored the filter would answer
		// everyone, and its first user is not this person.
		if strings.EqualFold(lu.Email, email) {
			acct, found = lu.canonical(), true
		}
		return !found
	})
	if err != nil {
		return reconcile.User{}, "", false, fmt.Errorf("find the Learn Amp account with email %q: %w", email, err)
	}
	if !found {
		return reconcile.User{}, "", false, nil
	}
	return acct, "email", true, nil
}

// CheckAccess gets a token, which proves the credentials and every scope
// asked for, and makes the smallest read. It changes nothing.
func (c *LearnAmp) CheckAccess(ctx context.Context) error {
	var p learnAmpPage
	return c.do(ctx, http.MethodGet, "/v1/users", url.Values{"perPage": {"1"}}, nil, &p)
}

// MissingCustomFields returns the names, among names, that no user's custom
// fields carry, and every field name seen. Learn Amp lists no field
// definitions, so they are learned from the users' details, page by page,
// stopping once every name is found.
func (c *LearnAmp) MissingCustomFields(ctx context.Context, names []string) (missing, known []string, err error) {
	seen := map[string]bool{}
	unseen := func() []string {
		var out []string
		for _, n := range names {
			if !seen[n] {
				out = append(out, n)
			}
		}
		return out
	}
	err = c.eachUser(ctx, nil, func(lu learnAmpUser) bool {
		for _, f := range lu.CustomFields {
			seen[f.Name] = true
		}
		return len(unseen()) > 0
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read Learn Amp custom fields: %w", err)
	}
	return unseen(), slices.Sorted(maps.Keys(seen)), nil
}
