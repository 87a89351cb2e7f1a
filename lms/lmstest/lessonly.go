package lmstest

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
)

// LessonlyEmailTaken is the error text Lessonly answers, with status 400, when
// a create or update would give two users the same email address (compared
// case-insensitively, archived users included). Callers match on it to tell
// "this person already has an account" from other validation failures.
const LessonlyEmailTaken = "Email has already been taken"

// Lessonly is a fake of the Lessonly (Seismic Learning) REST API v1 and v1.1,
// served at URL+"/api/v1" and URL+"/api/v1.1". It keeps users and custom user
// fields in memory behind a mutex, records every request it answers, and can
// be told to misbehave (faults, rate limiting, latency) so that a client's
// error handling can be exercised deterministically. Its Mutations are the
// POST, PUT, PATCH and DELETE requests.
type Lessonly struct {
	// URL is the server's base URL, without the /api/v1 path.
	URL string
	// Subdomain and APIKey are the only Basic auth username and password
	// accepted. Change them before sending requests, not concurrently.
	Subdomain, APIKey string
	// Now stamps archived_at and drives the rate-limit window. Replace it
	// before sending requests to make those deterministic.
	Now func() time.Time
	// EmailFilterExact makes filter[email] match only the email's exact
	// letter case. Whether Lessonly's does is not documented, so oktalms must
	// cope with both. Set it before sending requests.
	EmailFilterExact bool

	wire
	accounts    []*lessonlyAccount            // ordered by user id
	byEmail     map[string][]*lessonlyAccount // emailKey → accounts: the unique-email check without a scan
	lastID      int
	fields      []string // custom user field names; a field's id is its index+1
	lastValueID int
	groups      []*LessonlyGroup // ordered by id
	lastGroupID int
	welcome     []string
	rateUse429  bool // over the rate limit: 429, not 403
}

// LessonlyUser is a Lessonly account as seen by tests: the wire attributes
// with empty strings for null, and custom user field values keyed by the
// field's name (not its id) so assertions read naturally.
type LessonlyUser struct {
	ID           int
	Name         string
	Email        string
	Role         string // learner, creator, manager or admin
	ExtUID       string
	JobTitle     string
	BusinessUnit string
	Department   string
	Location     string
	Locale       string
	HireDate     string // YYYY-MM-DD
	ManagerName  string
	ArchivedAt   *time.Time
	Custom       map[string]string // field name → value
}

// lessonlyAccount is the stored form of a user. Custom values are kept per
// field id with the id of their value row, which the API exposes and which
// must survive updates (an upsert, not a delete-and-insert).
type lessonlyAccount struct {
	user   LessonlyUser // Custom is always nil here; values holds the data
	values map[int]lessonlyValue
}

type lessonlyValue struct {
	id    int
	value string
}

// NewLessonly starts a fake for subdomain "acme" with API key
// "test-lessonly-key". Call Close when done.
func NewLessonly() *Lessonly {
	f := &Lessonly{Subdomain: "acme", APIKey: "test-lessonly-key", Now: time.Now, byEmail: map[string][]*lessonlyAccount{}}
	f.URL = f.start(wireAPI{
		contentType: "application/json; charset=utf-8",
		now:         func() time.Time { return f.Now() },
		fail:        lessonlyFail,
		limited:     f.limitedLocked,
		mutation: func(r Request) bool {
			switch r.Method {
			case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
				return true
			}
			return false
		},
	}, f.serveHTTP)
	return f
}

// DefineCustomField defines a custom user field, as an admin would in the
// Lessonly UI, and returns its id. Defining an existing name returns the
// existing id.
func (f *Lessonly) DefineCustomField(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.defineLocked(name)
}

// CustomFieldNames returns every defined custom user field name, sorted. A
// client that writes a custom field by a misspelt name makes Lessonly define a
// new field; this is where such a typo becomes visible.
func (f *Lessonly) CustomFieldNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(slices.Values(f.fields))
}

// AddUser seeds an account as if it had been made by hand in the Lessonly UI
// and returns its id. It bypasses the API's validation so that tests can set
// up any state, including ones the API would refuse, and sends no welcome
// email. A zero ID gets the next free id; a non-zero one is kept (it panics
// if taken). Role defaults to "learner" and Locale to "en"; custom fields
// named in Custom are defined as needed.
func (f *Lessonly) AddUser(u LessonlyUser) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u.ID == 0 {
		u.ID = f.lastID + 1
	} else if f.accountLocked(u.ID) != nil {
		panic(fmt.Sprintf("lmstest: Lessonly user %d already exists", u.ID))
	}
	f.lastID = max(f.lastID, u.ID)
	u.Role = cmp.Or(u.Role, "learner")
	u.Locale = cmp.Or(u.Locale, "en")
	if u.ArchivedAt != nil {
		t := *u.ArchivedAt
		u.ArchivedAt = &t
	}
	a := &lessonlyAccount{values: map[int]lessonlyValue{}}
	for _, name := range slices.Sorted(maps.Keys(u.Custom)) {
		f.setValueLocked(a, f.defineLocked(name), u.Custom[name])
	}
	u.Custom = nil
	a.user = u
	f.accounts = append(f.accounts, a)
	f.indexLocked(a)
	slices.SortFunc(f.accounts, func(x, y *lessonlyAccount) int { return cmp.Compare(x.user.ID, y.user.ID) })
	return u.ID
}

// Users returns copies of every user, archived ones included, ordered by id.
func (f *Lessonly) Users() []LessonlyUser {
	f.mu.Lock()
	defer f.mu.Unlock()
	users := make([]LessonlyUser, len(f.accounts))
	for i, a := range f.accounts {
		users[i] = f.userLocked(a)
	}
	return users
}

// User returns a copy of the user with the given id.
func (f *Lessonly) User(id int) (LessonlyUser, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.accountLocked(id)
	if a == nil {
		return LessonlyUser{}, false
	}
	return f.userLocked(a), true
}

// WelcomeEmails returns, in order, the email addresses of users created
// through the API without notify "false": Lessonly would have sent each of
// them a welcome email.
func (f *Lessonly) WelcomeEmails() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.welcome)
}

// ClearFaults removes every injected fault.
func (f *Lessonly) ClearFaults() { f.clearFaults() }

// SetRateLimit limits the requests accepted per minute (0, the default,
// turns limiting off). Like Lessonly, excess requests get 403 with
// {"type":"error","error":"Rate Limit Exceeded"}; with use429 they get 429
// and "Retry-After: 1" instead, as some tenants do. The window is fixed: it
// opens at the first request and lasts one minute of f.Now, and refused
// requests count too. Setting a limit starts a new window.
func (f *Lessonly) SetRateLimit(perMinute int, use429 bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rateUse429 = use429
	f.setRateLimitLocked(perMinute)
}

// SetLatency delays every response by d (cut short if the client gives up),
// to exercise client timeouts.
func (f *Lessonly) SetLatency(d time.Duration) { f.setLatency(d) }

func (f *Lessonly) defineLocked(name string) int {
	if id := f.fieldIDLocked(name); id != 0 {
		return id
	}
	f.fields = append(f.fields, name)
	return len(f.fields)
}

// fieldIDLocked returns the id of the named field, or 0 if there is none.
func (f *Lessonly) fieldIDLocked(name string) int {
	return slices.Index(f.fields, name) + 1
}

// emailKey is the same for two emails exactly when strings.EqualFold says
// they are equal: each rune becomes the least of its case-folding orbit.
func emailKey(email string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, email)
}

// indexLocked adds a under its email to byEmail.
func (f *Lessonly) indexLocked(a *lessonlyAccount) {
	k := emailKey(a.user.Email)
	f.byEmail[k] = append(f.byEmail[k], a)
}

// unindexLocked removes a from byEmail, before its email changes.
func (f *Lessonly) unindexLocked(a *lessonlyAccount) {
	k := emailKey(a.user.Email)
	f.byEmail[k] = slices.DeleteFunc(f.byEmail[k], func(x *lessonlyAccount) bool { return x == a })
}

func (f *Lessonly) accountLocked(id int) *lessonlyAccount {
	for _, a := range f.accounts {
		if a.user.ID == id {
			return a
		}
	}
	return nil
}

// setValueLocked upserts a custom field value, keeping the value row id of an
// existing value.
func (f *Lessonly) setValueLocked(a *lessonlyAccount, fieldID int, value string) {
	v, ok := a.values[fieldID]
	if !ok {
		f.lastValueID++
		v.id = f.lastValueID
	}
	v.value = value
	a.values[fieldID] = v
}

// userLocked returns a copy of a's user that shares no memory with the store.
func (f *Lessonly) userLocked(a *lessonlyAccount) LessonlyUser {
	u := a.user
	if u.ArchivedAt != nil {
		t := *u.ArchivedAt
		u.ArchivedAt = &t
	}
	if len(a.values) > 0 {
		u.Custom = make(map[string]string, len(a.values))
		for id, v := range a.values {
			u.Custom[f.fields[id-1]] = v.value
		}
	}
	return u
}
