package oktatest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	rateLimit = 600  // requests per minute window, as for many Okta endpoints
	maxLimit  = 1000 // default and maximum page size
	tokenPath = "/oauth2/v1/token"
	okTime    = "2006-01-02T15:04:05.000Z07:00" // Okta's millisecond timestamps
)

// userTypeID is the id of the default user type every user belongs to.
var userTypeID = makeID("oty", 0)

// okError is Okta's error object.
type okError struct {
	ErrorCode    string     `json:"errorCode"`
	ErrorSummary string     `json:"errorSummary"`
	ErrorLink    string     `json:"errorLink"`
	ErrorID      string     `json:"errorId"`
	ErrorCauses  []struct{} `json:"errorCauses"`
}

type href struct {
	Href string `json:"href"`
}

type groupJSON struct {
	ID                    string          `json:"id"`
	Created               string          `json:"created"`
	LastUpdated           string          `json:"lastUpdated"`
	LastMembershipUpdated string          `json:"lastMembershipUpdated"`
	ObjectClass           []string        `json:"objectClass"`
	Type                  string          `json:"type"`
	Profile               groupProfile    `json:"profile"`
	Links                 map[string]href `json:"_links"`
}

type groupProfile struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type userJSON struct {
	ID              string          `json:"id"`
	Status          string          `json:"status"`
	Created         string          `json:"created"`
	Activated       *string         `json:"activated"`
	StatusChanged   *string         `json:"statusChanged"`
	LastLogin       *string         `json:"lastLogin"`
	LastUpdated     string          `json:"lastUpdated"`
	PasswordChanged *string         `json:"passwordChanged"`
	Type            idRef           `json:"type"`
	Profile         map[string]any  `json:"profile"`
	Credentials     credentials     `json:"credentials"`
	Links           map[string]href `json:"_links"`
}

type idRef struct {
	ID string `json:"id"`
}

type credentials struct {
	Provider struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"provider"`
}

// lockedHandler computes a response under s.mu; the body is written after
// the lock is released so that a slow client cannot stall the server.
type lockedHandler func(h http.Header, r *http.Request) (status int, body any)

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/groups", s.locked(s.listGroups))
	mux.HandleFunc("GET /api/v1/groups/{id}", s.locked(s.getGroup))
	mux.HandleFunc("GET /api/v1/groups/{id}/users", s.locked(s.listGroupUsers))
	mux.HandleFunc("GET /api/v1/users", s.locked(s.listUsers))
	mux.HandleFunc("GET /api/v1/users/{id}", s.locked(s.getUser))
	mux.HandleFunc("GET /api/v1/users/{id}/groups", s.locked(s.listUserGroups))
	mux.HandleFunc("POST "+tokenPath, s.issueToken)
	mux.HandleFunc("/", s.locked(func(_ http.Header, r *http.Request) (int, any) {
		return http.StatusNotFound, s.statusError(http.StatusNotFound, r.URL.Path)
	}))
	return mux
}

func (s *Server) locked(f lockedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		status, body := f(w.Header(), r)
		s.mu.Unlock()
		writeJSON(w, status, body)
	}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{r.Method, r.URL.Path, r.URL.RawQuery})
	latency := s.latency
	s.mu.Unlock()

	if latency > 0 && r.Method == http.MethodPost {
		// Read the form now: until a request's body is read, the server
		// does not notice the client leaving, and the sleep would outlast it.
		_ = r.ParseForm()
	}
	if !sleep(r.Context(), latency) {
		return // the client gave up; nobody is left to answer
	}

	s.mu.Lock()
	drop, status, body := s.admit(w.Header(), r)
	s.mu.Unlock()
	switch {
	case drop:
		dropConnection(w)
	case body != nil:
		writeJSON(w, status, body)
	default:
		s.mux.ServeHTTP(w, r)
	}
}

// admit does what precedes routing: rate-limit accounting, injected faults,
// then authentication. Faults come first so an outage can be simulated
// whatever the credentials. A non-nil body answers the request instead of
// routing it. Callers hold s.mu.
func (s *Server) admit(h http.Header, r *http.Request) (drop bool, status int, body any) {
	now := time.Now()
	s.countRequest(h, now)
	if f, ok := s.dueFault(r.URL.Path); ok {
		if f.DropConnection {
			return true, 0, nil
		}
		status := cmp.Or(f.Status, http.StatusInternalServerError)
		if status == http.StatusTooManyRequests {
			h.Set("X-Rate-Limit-Remaining", "0")
			h.Set("X-Rate-Limit-Reset", strconv.FormatInt(now.Add(time.Second).Unix(), 10))
		}
		return false, status, s.statusError(status, r.URL.Path)
	}
	if r.URL.Path != tokenPath && !s.authorized(r.Header.Get("Authorization")) {
		return false, http.StatusUnauthorized, s.statusError(http.StatusUnauthorized, r.URL.Path)
	}
	return false, 0, nil
}

// countRequest sets the rate-limit headers. The fake only reports usage and
// never refuses requests by itself: use a 429 Fault to exercise throttling.
func (s *Server) countRequest(h http.Header, now time.Time) {
	if !now.Before(s.window) {
		s.window = now.Truncate(time.Minute).Add(time.Minute)
		s.used = 0
	}
	s.used++
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(rateLimit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(max(0, rateLimit-s.used)))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(s.window.Unix(), 10))
}

// dueFault counts the request against every matching fault and returns the
// first one due to fire.
func (s *Server) dueFault(path string) (Fault, bool) {
	var due *Fault
	for _, f := range s.faults {
		if !strings.HasPrefix(path, f.PathPrefix) {
			continue
		}
		f.seen++
		if due == nil && f.seen > f.Skip && (f.Times == 0 || f.seen <= f.Skip+f.Times) {
			due = &f.Fault
		}
	}
	if due == nil {
		return Fault{}, false
	}
	return *due, true
}

func (s *Server) authorized(header string) bool {
	scheme, token, _ := strings.Cut(header, " ")
	switch scheme {
	case "SSWS":
		return token == s.Token
	case "Bearer":
		return s.bearer[token]
	}
	return false
}

// statusError is Okta's error body for a failure status.
func (s *Server) statusError(status int, path string) okError {
	switch status {
	case http.StatusUnauthorized:
		return s.errorBody("E0000011", "Invalid token provided")
	case http.StatusForbidden:
		return s.errorBody("E0000006", "You do not have permission to perform the requested action")
	case http.StatusNotFound:
		return s.errorBody("E0000007", "Not found: Resource not found: "+path)
	case http.StatusTooManyRequests:
		return s.errorBody("E0000047", "API call exceeded rate limit due to too many requests.")
	}
	return s.errorBody("E0000009", "Internal Server Error")
}

func (s *Server) errorBody(code, summary string) okError {
	s.errSeq++
	return okError{
		ErrorCode:    code,
		ErrorSummary: summary,
		ErrorLink:    code,
		ErrorID:      makeID("oae", s.errSeq),
		ErrorCauses:  []struct{}{},
	}
}

// listGroups answers GET /api/v1/groups, paged. A q query finds the groups
// whose name starts with q, whatever the letter case, and is not paged, as
// in Okta ("paging and searching are mutually exclusive"): one answer of at
// most limit (default 300) groups, exact matches first, with no next link.
func (s *Server) listGroups(h http.Header, r *http.Request) (int, any) {
	q := strings.ToLower(r.URL.Query().Get("q"))
	var ids []string
	for id, g := range s.groups {
		if strings.HasPrefix(strings.ToLower(g.name), q) {
			ids = append(ids, id)
		}
	}
	var page []string
	if q == "" {
		page = paginate(h, r, ids)
	} else {
		page = s.queryPage(h, r, ids, q)
	}
	out := []groupJSON{} // an empty page is [], not null
	for _, id := range page {
		out = append(out, s.groups[id].json(baseURL(r)))
	}
	return http.StatusOK, out
}

// queryLimit is how many groups a q query answers unless limit says fewer.
const queryLimit = 300

// queryPage is the one answer to a q query over the matching ids.
func (s *Server) queryPage(h http.Header, r *http.Request, ids []string, q string) []string {
	exact := func(id string) int {
		if strings.ToLower(s.groups[id].name) == q {
			return 0
		}
		return 1
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(exact(a), exact(b)), cmp.Compare(a, b)) })
	limit := queryLimit
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 {
		limit = min(n, queryLimit)
	}
	h.Add("Link", fmt.Sprintf(`<%s%s?%s>; rel="self"`, baseURL(r), r.URL.Path, r.URL.RawQuery))
	return ids[:min(limit, len(ids))]
}

func (s *Server) getGroup(_ http.Header, r *http.Request) (int, any) {
	g, ok := s.groups[r.PathValue("id")]
	if !ok {
		return s.notFound(r.PathValue("id"), "UserGroup")
	}
	return http.StatusOK, g.json(baseURL(r))
}

func (s *Server) listGroupUsers(h http.Header, r *http.Request) (int, any) {
	g, ok := s.groups[r.PathValue("id")]
	if !ok {
		return s.notFound(r.PathValue("id"), "UserGroup")
	}
	out := []userJSON{}
	for _, id := range paginate(h, r, slices.Collect(maps.Keys(g.members))) {
		out = append(out, s.users[id].json(baseURL(r)))
	}
	return http.StatusOK, out
}

// getUser answers a user by id or, as Okta does, by login, which like an
// email address is matched whatever its letter case.
func (s *Server) getUser(_ http.Header, r *http.Request) (int, any) {
	ref := r.PathValue("id")
	if u, ok := s.users[ref]; ok {
		return http.StatusOK, u.json(baseURL(r))
	}
	for _, u := range s.users { // logins are unique in Okta, so at most one matches
		if strings.EqualFold(profileString(u.Profile, "login"), ref) {
			return http.StatusOK, u.json(baseURL(r))
		}
	}
	return s.notFound(ref, "User")
}

// emailSearch is the one search expression the fake understands; Okta's
// search language has many more, which oktalms does not use.
var emailSearch = regexp.MustCompile(`^profile\.email eq ("(?:[^"\\]|\\.)*")$`)

// listUsers answers GET /api/v1/users. Without a search it lists everyone
// but DEPROVISIONED users, as Okta does; a search finds every status. String
// values in a search are compared whatever their letter case, as in Okta.
func (s *Server) listUsers(h http.Header, r *http.Request) (int, any) {
	keep := func(u *user) bool { return u.Status != "DEPROVISIONED" }
	if search := r.URL.Query().Get("search"); search != "" {
		m := emailSearch.FindStringSubmatch(search)
		if m == nil {
			return s.invalidSearch()
		}
		email, err := strconv.Unquote(m[1])
		if err != nil {
			return s.invalidSearch()
		}
		keep = func(u *user) bool { return strings.EqualFold(profileString(u.Profile, "email"), email) }
	}
	var ids []string
	for id, u := range s.users {
		if keep(u) {
			ids = append(ids, id)
		}
	}
	out := []userJSON{}
	for _, id := range paginate(h, r, ids) {
		out = append(out, s.users[id].json(baseURL(r)))
	}
	return http.StatusOK, out
}

func (s *Server) invalidSearch() (int, any) {
	return http.StatusBadRequest, s.errorBody("E0000031", "Invalid search.")
}

// listUserGroups answers the groups the user is a member of.
func (s *Server) listUserGroups(h http.Header, r *http.Request) (int, any) {
	id := r.PathValue("id")
	if _, ok := s.users[id]; !ok {
		return s.notFound(id, "User")
	}
	var ids []string
	for gid, g := range s.groups {
		if g.members[id] {
			ids = append(ids, gid)
		}
	}
	out := []groupJSON{}
	for _, gid := range paginate(h, r, ids) {
		out = append(out, s.groups[gid].json(baseURL(r)))
	}
	return http.StatusOK, out
}

// profileString is a profile attribute that is a string, else "".
func profileString(p map[string]any, key string) string {
	v, _ := p[key].(string)
	return v
}

func (s *Server) notFound(id, kind string) (int, any) {
	return http.StatusNotFound, s.errorBody("E0000007", fmt.Sprintf("Not found: Resource not found: %s (%s)", id, kind))
}

// paginate returns the page of ids selected by r's limit and after
// parameters, ordered by id, and adds Okta's Link headers: one header line
// per relation, as Okta sends them.
func paginate(h http.Header, r *http.Request, ids []string) []string {
	query := r.URL.Query()
	limit := maxLimit
	if n, err := strconv.Atoi(query.Get("limit")); err == nil && n > 0 {
		limit = min(n, maxLimit)
	}
	after := query.Get("after")

	slices.Sort(ids)
	start, found := slices.BinarySearch(ids, after)
	if found {
		start++
	}
	page := ids[start:min(start+limit, len(ids))]

	// Links keep the caller's other parameters (such as q) so that following
	// "next" continues the same listing.
	query.Del("after")
	query.Set("limit", strconv.Itoa(limit))
	link := func(rel string) {
		h.Add("Link", fmt.Sprintf(`<%s%s?%s>; rel="%s"`, baseURL(r), r.URL.Path, query.Encode(), rel))
	}
	link("self")
	if len(page) > 0 && start+len(page) < len(ids) {
		query.Set("after", page[len(page)-1])
		link("next")
	}
	return page
}

// baseURL is the org URL as the client addressed it.
func baseURL(r *http.Request) string {
	return "http://" + r.Host
}

func (g *group) json(base string) groupJSON {
	return groupJSON{
		ID:                    g.id,
		Created:               g.created.Format(okTime),
		LastUpdated:           g.lastUpdated.Format(okTime),
		LastMembershipUpdated: g.lastMembershipUpdated.Format(okTime),
		ObjectClass:           []string{"okta:user_group"},
		Type:                  "OKTA_GROUP",
		Profile:               groupProfile{Name: g.name},
		Links: map[string]href{
			"users": {base + "/api/v1/groups/" + g.id + "/users"},
			"apps":  {base + "/api/v1/groups/" + g.id + "/apps"},
		},
	}
}

func (u *user) json(base string) userJSON {
	j := userJSON{
		ID:              u.ID,
		Status:          u.Status,
		Created:         u.created.Format(okTime),
		Activated:       optTime(u.activated),
		StatusChanged:   optTime(u.statusChanged),
		LastUpdated:     u.lastUpdated.Format(okTime),
		PasswordChanged: optTime(u.activated),
		Type:            idRef{userTypeID},
		Profile:         cloneProfile(u.Profile), // encoded after s.mu is released
		Links:           map[string]href{"self": {base + "/api/v1/users/" + u.ID}},
	}
	j.Credentials.Provider.Type = "OKTA"
	j.Credentials.Provider.Name = "OKTA"
	return j
}

// optTime renders a timestamp that may be unset as null, as Okta does.
func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(okTime)
	return &s
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	// The Okta SDK refuses to decode a body without a JSON content type.
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // a write error means the client left
}

// sleep waits for d, reporting false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropConnection closes the connection without writing a response, as a
// crashing proxy or network failure would.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // cannot hijack: abort, which also sends nothing
	}
	_ = conn.Close()
}
