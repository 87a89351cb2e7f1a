package lmstest

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Texts Learn Amp answers, quoted from its API documentation, for tests to
// match on.
const (
	// LearnAmpUnknownManager answers, with 400, a managerEmail that is not
	// the email of an active user.
	LearnAmpUnknownManager = "managerEmail must match an existing user email within your company"
	// LearnAmpEmailTaken and LearnAmpExternalIDTaken answer, with 400, a
	// create or update that would give two users the same email (in any
	// letter case, deactivated users included) or integrationExternalId.
	// The docs show 400 for the external id; the email is taken to behave
	// alike.
	LearnAmpEmailTaken      = "Validation failed: Email has already been taken"
	LearnAmpExternalIDTaken = "Validation failed: Integration external id has already been taken"
)

// learnAmpScopes are the scopes the fake knows, besides "public".
var learnAmpScopes = []string{
	"users:read", "users:create", "users:update", "users:deactivate", "users:reactivate",
	"teams:read", "teams:create", "teams:update",
	"team_users:read", "team_users:create", "team_users:delete",
}

// LearnAmp is a fake of the Learn Amp API v1, served at URL+"/v1", with its
// OAuth 2.0 token endpoint at URL+"/oauth/token". It keeps users, teams and
// custom field names in memory behind a mutex, records every request it
// answers, enforces each endpoint's scope, and can be told to misbehave.
//
// Requests include token requests, with their form body; its Mutations are
// the POST, PUT and DELETE requests to the API (/v1). Requests over the
// rate limit get 429 with a Retry-After of the seconds left in the window.
//
// Where the docs are silent, the fake takes the reading that is harder on a
// client: deactivated users are listed only when asked for by status, and
// only JSON request bodies (and a form body for tokens) are understood.
type LearnAmp struct {
	// URL is the server's base URL, without /v1.
	URL string
	// ClientID and ClientSecret are the only API credentials accepted.
	ClientID, ClientSecret string
	// Scopes are those the credentials were created with (default all the
	// fake knows): a token request asking for another is refused.
	Scopes []string
	// TokenLifetime is the expires_in of every token (default 2 h).
	TokenLifetime time.Duration
	// Now stamps tokens and drives the rate-limit window. Replace these
	// fields before sending requests, not concurrently.
	Now func() time.Time

	wire
	accounts    []*learnAmpAccount // ordered by id
	teams       []*learnAmpTeam    // ordered by id
	lastID      int                // of users, teams and memberships alike
	fields      []string           // custom field names
	grants      map[string]learnAmpGrant
	issued      []string
	invitations []string
}

// LearnAmpUser is a Learn Amp user as seen by tests: the wire attributes
// with empty strings for null.
type LearnAmpUser struct {
	ID                    int
	Email                 string
	FirstName, LastName   string
	IntegrationExternalID string
	Role                  string // viewer by default
	// Status is not_invited, invite_scheduled, invite_pending, confirmed
	// or deactivated (the filters[status][] values).
	Status       string
	JobTitle     string
	Department   string
	Location     string
	Language     string // "en" by default
	HireDate     string // YYYY-MM-DD
	ManagerID    int    // 0: none
	CustomFields map[string]string
}

// LearnAmpTeam is a team as seen by tests.
type LearnAmpTeam struct {
	ID      int
	Name    string
	Members []int // user ids, in the order they were added
}

type learnAmpAccount struct {
	user LearnAmpUser
	// reactivated is the status a reactivation restores.
	reactivated string
}

type learnAmpTeam struct {
	id      int
	name    string
	members []learnAmpMembership
}

type learnAmpMembership struct{ id, userID int }

type learnAmpGrant struct {
	scopes  []string
	expires time.Time
}

// NewLearnAmp starts a fake accepting client id "oktalms-test" and secret
// "test-learnamp-secret". Call Close when done.
func NewLearnAmp() *LearnAmp {
	f := &LearnAmp{
		ClientID: "oktalms-test", ClientSecret: "test-learnamp-secret",
		Scopes: slices.Clone(learnAmpScopes), TokenLifetime: 2 * time.Hour, Now: time.Now,
		grants: map[string]learnAmpGrant{},
	}
	f.URL = f.start(wireAPI{
		contentType: "application/json; charset=utf-8",
		now:         func() time.Time { return f.Now() },
		fail:        learnAmpError,
		limited: func(retryAfter int) reply {
			rep := learnAmpError(http.StatusTooManyRequests, "Rate limit exceeded")
			rep.header = http.Header{"Retry-After": {strconv.Itoa(retryAfter)}}
			return rep
		},
		mutation: func(r Request) bool { return r.Method != http.MethodGet && r.Path != learnAmpTokenPath },
	}, f.serveHTTP)
	return f
}

// DefineCustomField defines a custom field, as an admin would in Learn Amp.
// A request naming a field not defined is answered 404.
func (f *LearnAmp) DefineCustomField(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Contains(f.fields, name) {
		f.fields = append(f.fields, name)
	}
}

// AddUser seeds a user as if made by hand in Learn Amp, bypassing the API's
// validation and sending no invitation, and returns its id (u.ID is
// ignored). Role defaults to viewer, Status to confirmed, Language to en;
// custom fields named are defined as needed.
func (f *LearnAmp) AddUser(u LearnAmpUser) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastID++
	u.ID = f.lastID
	u.Role = cmp.Or(u.Role, "viewer")
	u.Status = cmp.Or(u.Status, "confirmed")
	u.Language = cmp.Or(u.Language, "en")
	u.CustomFields = maps.Clone(u.CustomFields)
	for _, name := range slices.Sorted(maps.Keys(u.CustomFields)) {
		if !slices.Contains(f.fields, name) {
			f.fields = append(f.fields, name)
		}
	}
	f.accounts = append(f.accounts, &learnAmpAccount{user: u, reactivated: "confirmed"})
	return u.ID
}

// AddTeam seeds a team with members and returns its id.
func (f *LearnAmp) AddTeam(name string, members ...int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastID++
	t := &learnAmpTeam{id: f.lastID, name: name}
	for _, id := range members {
		f.lastID++
		t.members = append(t.members, learnAmpMembership{id: f.lastID, userID: id})
	}
	f.teams = append(f.teams, t)
	return t.id
}

// Users returns copies of every user, deactivated ones included, by id.
func (f *LearnAmp) Users() []LearnAmpUser {
	f.mu.Lock()
	defer f.mu.Unlock()
	users := make([]LearnAmpUser, len(f.accounts))
	for i, a := range f.accounts {
		users[i] = a.user
		users[i].CustomFields = maps.Clone(a.user.CustomFields)
	}
	return users
}

// User returns a copy of the user with the given id.
func (f *LearnAmp) User(id int) (LearnAmpUser, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.accountLocked(id)
	if a == nil {
		return LearnAmpUser{}, false
	}
	u := a.user
	u.CustomFields = maps.Clone(a.user.CustomFields)
	return u, true
}

// Team returns a copy of the team with the given id.
func (f *LearnAmp) Team(id int) (LearnAmpTeam, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.teamLocked(id)
	if t == nil {
		return LearnAmpTeam{}, false
	}
	out := LearnAmpTeam{ID: t.id, Name: t.name}
	for _, m := range t.members {
		out.Members = append(out.Members, m.userID)
	}
	return out, true
}

// Invitations returns, in order, the emails of users created through the
// API without skipInvitation: Learn Amp would have emailed each an invitation.
func (f *LearnAmp) Invitations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.invitations)
}

// IssuedTokens returns every access token granted, in order.
func (f *LearnAmp) IssuedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.issued)
}

// ExpireTokens ends every token granted so far, as their lifetime passing
// or a revocation would: a request bearing one is answered 401.
func (f *LearnAmp) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for tok, g := range f.grants {
		g.expires = time.Time{}
		f.grants[tok] = g
	}
}

func (f *LearnAmp) accountLocked(id int) *learnAmpAccount {
	for _, a := range f.accounts {
		if a.user.ID == id {
			return a
		}
	}
	return nil
}

func (f *LearnAmp) teamLocked(id int) *learnAmpTeam {
	for _, t := range f.teams {
		if t.id == id {
			return t
		}
	}
	return nil
}
