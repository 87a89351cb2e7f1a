// Package oktatest is an in-process fake of the Okta Management API, served
// over real HTTP by net/http/httptest.
//
// It exists so that code talking to Okta — through the official SDK or plain
// net/http — can be exercised end to end without a real tenant: tests seed
// users and groups through Go methods, then point a client at [Server.URL].
// The fake speaks Okta's wire format (JSON bodies, error objects, Link header
// paging, rate-limit headers) for the read-only endpoints the project needs:
//
//	GET  /api/v1/groups?limit=&after=
//	GET  /api/v1/groups?q=&limit=  (one answer, never paged, as in Okta)
//	GET  /api/v1/groups/{id}
//	GET  /api/v1/groups/{id}/users?limit=&after=
//	GET  /api/v1/users?search=profile.email eq "…"&limit=&after=
//	GET  /api/v1/users/{id or login}
//	GET  /api/v1/users/{id}/groups?limit=&after=
//	POST /oauth2/v1/token  (client_credentials with a private_key_jwt client_assertion)
//
// Every request must carry "Authorization: SSWS <Token>", or a Bearer token
// previously issued by the token endpoint. The token endpoint accepts any
// client_assertion unless [Server.ClientID] is set; then it checks the
// assertion as Okta does for a service app (see [Server.ClientID]). Failures (error statuses, dropped
// connections, rate limiting) and latency can be injected to test retry and
// timeout handling.
//
// Output is deterministic: ids are derived from counters and timestamps from a
// logical clock, so the same sequence of calls yields the same responses.
// Only the rate-limit headers and Date depend on the wall clock.
//
// The package deliberately avoids the testing package so that demo programs
// can run it too; misuse of the seeding methods (unknown ids, invalid
// statuses) panics instead of failing a test.
package oktatest

import (
	"crypto"
	"crypto/sha256"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"
)

// Server is a running fake Okta org. All methods are safe for concurrent use.
type Server struct {
	// URL is the org URL, e.g. "http://127.0.0.1:1234", without a trailing slash.
	URL string
	// Token is the API token accepted as "SSWS <Token>". It may be changed
	// before the first request, not while requests are in flight.
	Token string

	// ClientID, when set, makes the token endpoint accept only a
	// client_assertion_type of jwt-bearer and a client_assertion that is a
	// well-formed JWT whose iss and sub are ClientID, whose aud is
	// URL+"/oauth2/v1/token" and whose exp is still ahead; anything else is
	// refused with invalid_client or invalid_request. Set the fields below
	// before the first request, like Token.
	ClientID string
	// ClientKey, when set with ClientID, is the service app's public key
	// (*rsa.PublicKey or *ecdsa.PublicKey): the assertion's RS256/384/512 or
	// ES256/384/512 signature must verify with it.
	ClientKey crypto.PublicKey
	// GrantedScopes, when not nil, are the scopes granted to the app: a token
	// request asking any other is refused with invalid_scope.
	GrantedScopes []string
	// RequireDPoP refuses every token request with invalid_dpop_proof, as
	// Okta does for an app that requires DPoP when no proof is sent.
	RequireDPoP bool

	srv *httptest.Server
	mux *http.ServeMux

	mu       sync.Mutex
	users    map[string]*user
	groups   map[string]*group
	seq      int // drives object ids
	errSeq   int // drives errorId values, separate so errors don't shift object ids
	clock    int // logical seconds since epoch, advanced on every mutation
	nGen     int // users made by GenerateUsers, numbering their emails
	bearer   map[string]bool
	nToken   int     // access tokens issued
	grants   []Grant // token endpoint requests
	requests []Request
	faults   []*faultState
	latency  time.Duration
	used     int       // requests in the current rate-limit window
	window   time.Time // end of the current rate-limit window
}

// User is a user as seeded into, or read back from, the fake.
type User struct {
	// ID defaults to a generated "00u…" id.
	ID string
	// Status defaults to ACTIVE. Valid values: ACTIVE, STAGED, PROVISIONED,
	// RECOVERY, PASSWORD_EXPIRED, LOCKED_OUT, SUSPENDED, DEPROVISIONED.
	Status string
	// Profile holds Okta profile attributes (login, email, firstName, ...).
	// Values are JSON-compatible: string, float64, bool, []any or nil.
	Profile map[string]any
}

// Request is the summary of one request received by the fake.
type Request struct {
	Method, Path, RawQuery string
}

// Fault makes matching requests fail, for testing retries and error handling.
type Fault struct {
	// PathPrefix selects requests whose URL path starts with it; "" selects all.
	PathPrefix string
	// Skip lets this many matching requests through before failing.
	Skip int
	// Times is how many requests fail after the skipped ones; 0 means forever.
	Times int
	// Status is the HTTP status to answer with (500 if 0). 429 answers like
	// Okta's rate limiter, with X-Rate-Limit-Reset one second ahead.
	Status int
	// DropConnection closes the connection without answering instead.
	// Note that Go's http.Transport silently retries an idempotent request
	// that fails this way on a reused connection, so a single drop may go
	// unnoticed by the client.
	DropConnection bool
}

type faultState struct {
	Fault
	seen int // matching requests so far
}

type user struct {
	User
	created, activated, statusChanged, lastUpdated time.Time // zero: never
}

type group struct {
	id, name                                    string
	created, lastUpdated, lastMembershipUpdated time.Time
	members                                     map[string]bool
}

const defaultToken = "test-okta-token"

// epoch anchors the logical clock so timestamps look plausible yet never vary.
var epoch = time.Date(2021, 3, 4, 9, 0, 0, 0, time.UTC)

var validStatuses = map[string]bool{
	"ACTIVE": true, "STAGED": true, "PROVISIONED": true, "RECOVERY": true,
	"PASSWORD_EXPIRED": true, "LOCKED_OUT": true, "SUSPENDED": true, "DEPROVISIONED": true,
}

// NewServer starts a fake Okta org. Call Close when done.
func NewServer() *Server {
	s := &Server{
		Token:  defaultToken,
		users:  map[string]*user{},
		groups: map[string]*group{},
		bearer: map[string]bool{},
	}
	s.mux = s.routes()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down, waiting for in-flight requests.
func (s *Server) Close() { s.srv.Close() }

// AddUser adds u and returns its id. Adding an id that already exists
// replaces that user but keeps its group memberships.
func (s *Server) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUser(u)
}

// addUser is AddUser for callers holding s.mu.
func (s *Server) addUser(u User) string {
	if u.ID == "" {
		u.ID = s.nextID("00u")
	}
	if u.Status == "" {
		u.Status = "ACTIVE"
	}
	mustValidStatus(u.Status)
	u.Profile = cloneProfile(u.Profile)
	now := s.tick()
	nu := &user{User: u, created: now, statusChanged: now, lastUpdated: now}
	if u.Status != "STAGED" {
		nu.activated = now
	}
	s.users[u.ID] = nu
	return u.ID
}

// AddGroup adds an OKTA_GROUP named name and returns its id.
func (s *Server) AddGroup(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.tick()
	g := &group{id: s.nextID("00g"), name: name, created: now, lastUpdated: now,
		lastMembershipUpdated: now, members: map[string]bool{}}
	s.groups[g.id] = g
	return g.id
}

// RenameGroup changes the group's name; its id and members stay.
func (s *Server) RenameGroup(groupID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGroup(groupID)
	g.name, g.lastUpdated = name, s.tick()
}

// AddMember puts the user in the group; it is a no-op if already a member.
func (s *Server) AddMember(groupID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addMember(groupID, userID)
}

// addMember is AddMember for callers holding s.mu.
func (s *Server) addMember(groupID, userID string) {
	g := s.mustGroup(groupID)
	s.mustUser(userID)
	if !g.members[userID] {
		g.members[userID] = true
		g.lastMembershipUpdated = s.tick()
	}
}

// RemoveMember takes the user out of the group; it is a no-op if not a member.
func (s *Server) RemoveMember(groupID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGroup(groupID)
	if g.members[userID] {
		delete(g.members, userID)
		g.lastMembershipUpdated = s.tick()
	}
}

// SetStatus changes a user's status. Like real Okta, a DEPROVISIONED user
// stays in its groups.
func (s *Server) SetStatus(userID, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mustValidStatus(status)
	u := s.mustUser(userID)
	now := s.tick()
	u.Status, u.statusChanged, u.lastUpdated = status, now, now
	if u.activated.IsZero() && status != "STAGED" {
		u.activated = now
	}
}

// SetProfile sets one profile attribute; a nil value deletes it.
func (s *Server) SetProfile(userID, key string, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser(userID)
	if value == nil {
		delete(u.Profile, key)
	} else {
		u.Profile[key] = value
	}
	u.lastUpdated = s.tick()
}

// DeleteUser removes the user entirely, including from all groups.
func (s *Server) DeleteUser(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser(userID)
	delete(s.users, userID)
	now := s.tick() // once, outside the loop, as map order would make it vary
	for _, g := range s.groups {
		if g.members[userID] {
			delete(g.members, userID)
			g.lastMembershipUpdated = now
		}
	}
}

// User returns a copy of the user, or false if there is none with that id.
func (s *Server) User(userID string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return User{}, false
	}
	c := u.User
	c.Profile = cloneProfile(c.Profile)
	return c, true
}

// Requests returns every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// InjectFault adds a fault. Every fault counts the requests it matches; when
// several are due to fire, the one injected first wins.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults removes all injected faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// SetLatency delays every subsequent response by d. A request whose context
// ends during the delay is abandoned without an answer.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// tick advances the logical clock; callers hold s.mu.
func (s *Server) tick() time.Time {
	s.clock++
	return epoch.Add(time.Duration(s.clock) * time.Second)
}

// nextID returns a fresh object id; callers hold s.mu.
func (s *Server) nextID(prefix string) string {
	s.seq++
	return makeID(prefix, s.seq)
}

const idChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// makeID derives a 20-character Okta-style id from a counter. Hashing keeps
// it deterministic while scattering the ids, so that clients cannot come to
// rely on ids sorting in creation order, which real Okta does not promise.
func makeID(prefix string, n int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s%d", prefix, n))
	b := []byte(prefix)
	for _, c := range sum[:20-len(prefix)] {
		b = append(b, idChars[int(c)%len(idChars)])
	}
	return string(b)
}

func (s *Server) mustUser(id string) *user {
	u, ok := s.users[id]
	if !ok {
		panic(fmt.Sprintf("oktatest: unknown user %q", id))
	}
	return u
}

func (s *Server) mustGroup(id string) *group {
	g, ok := s.groups[id]
	if !ok {
		panic(fmt.Sprintf("oktatest: unknown group %q", id))
	}
	return g
}

func mustValidStatus(status string) {
	if !validStatuses[status] {
		panic(fmt.Sprintf("oktatest: invalid user status %q", status))
	}
}

// cloneProfile copies a profile so that neither the caller nor the server
// can mutate the other's map or its list values.
func cloneProfile(p map[string]any) map[string]any {
	c := maps.Clone(p)
	if c == nil {
		return map[string]any{}
	}
	for k, v := range c {
		if l, ok := v.([]any); ok {
			c[k] = slices.Clone(l)
		}
	}
	return c
}
