package lms_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms"
	"github.com/oktalms/oktalms/lms/lmstest"
	"github.com/oktalms/oktalms/reconcile"
)

// learnAmpClock is read by both the fake and the client, and moved by tests.
type learnAmpClock struct {
	mu stdsync.Mutex
	t  time.Time
}

func (c *learnAmpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *learnAmpClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newLearnAmpFake(t *testing.T) (*lmstest.LearnAmp, *learnAmpClock) {
	t.Helper()
	clock := &learnAmpClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	f := lmstest.NewLearnAmp()
	f.Now = clock.Now
	t.Cleanup(f.Close)
	return f, clock
}

func newLearnAmp(t *testing.T, fake *lmstest.LearnAmp, clock *learnAmpClock, mutate ...func(*lms.LearnAmpConfig)) *lms.LearnAmp {
	t.Helper()
	cfg := lms.LearnAmpConfig{BaseURL: fake.URL, ClientID: fake.ClientID, ClientSecret: fake.ClientSecret,
		Timeout: 2 * time.Second, Retry: lms.RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond},
		UserAgent: "oktalms/test", Now: clock.Now}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := lms.NewLearnAmp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// learnAmpCreate is the create the plan makes of rec: every field it sets changes.
func learnAmpCreate(rec reconcile.User) reconcile.Op {
	op := reconcile.Op{Action: reconcile.ActionCreate, OktaID: rec.OktaID, Email: rec.Email, Name: rec.Name, Record: rec,
		Changes: []reconcile.Change{{Field: "email", After: rec.Email}, {Field: "name", After: rec.Name}}}
	for _, k := range slices.Sorted(maps.Keys(rec.Fields)) {
		op.Changes = append(op.Changes, reconcile.Change{Field: k, After: rec.Fields[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(rec.Custom)) {
		op.Changes = append(op.Changes, reconcile.Change{Field: "custom:" + k, After: rec.Custom[k]})
	}
	return op
}

// learnAmpAPIRequests are the requests to /v1, leaving token requests out.
func learnAmpAPIRequests(f *lmstest.LearnAmp) []lmstest.Request {
	var out []lmstest.Request
	for _, r := range f.Requests() {
		if strings.HasPrefix(r.Path, "/v1/") {
			out = append(out, r)
		}
	}
	return out
}

func TestLearnAmpCreate(t *testing.T) {
	tests := []struct {
		name      string
		welcome   bool
		oktaID    string // default 00uada
		email     string // default ada@example.com
		role      string // default viewer
		fields    map[string]string
		custom    map[string]string
		wantErr   string // "" = success
		wantTaken bool
		wantPOSTs int
	}{
		{name: "silent, with hire date, custom field and manager", wantPOSTs: 1,
			fields: map[string]string{"job_title": "Engineer", "hire_date": "2021-03-04", "manager_email": "boss@example.com"},
			custom: map[string]string{"Employee ID": "42"}},
		{name: "an invitation when asked", welcome: true, role: "curator", wantPOSTs: 1},
		{name: "an unknown manager is refused in Learn Amp's words", wantPOSTs: 1,
			fields:  map[string]string{"manager_email": "nobody@example.com"},
			wantErr: "400 " + lmstest.LearnAmpUnknownManager},
		{name: "an unknown custom field", custom: map[string]string{"Employe ID": "42"}, wantPOSTs: 1,
			wantErr: "404 Custom field not found: Employe ID"},
		{name: "an email taken, in other letter case", email: "Taken@Example.com", wantTaken: true, wantPOSTs: 1,
			wantErr: lmstest.LearnAmpEmailTaken},
		{name: "an external id taken", oktaID: "00utaken", wantTaken: true, wantPOSTs: 1,
			wantErr: lmstest.LearnAmpExternalIDTaken},
		{name: "a role Learn Amp lacks is refused unsent", role: "learner", wantErr: `role "learner" is not a Learn Amp role`},
		{name: "a field Learn Amp lacks is refused unsent", fields: map[string]string{"business_unit": "Retail"},
			wantErr: "business_unit has no Learn Amp counterpart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, clock := newLearnAmpFake(t)
			fake.DefineCustomField("Employee ID")
			boss := fake.AddUser(lmstest.LearnAmpUser{Email: "Boss@Example.com", FirstName: "Grace", LastName: "Hopper"})
			fake.AddUser(lmstest.LearnAmpUser{Email: "taken@example.com", FirstName: "T", LastName: "Aken", IntegrationExternalID: "00utaken"})
			fake.ResetRequests()
			c := newLearnAmp(t, fake, clock, func(cfg *lms.LearnAmpConfig) { cfg.SendWelcomeEmail = tt.welcome })
			rec := reconcile.User{OktaID: cmp.Or(tt.oktaID, "00uada"), Email: cmp.Or(tt.email, "ada@example.com"),
				Name: "Ada King Lovelace", Role: cmp.Or(tt.role, "viewer"), Active: true, Fields: tt.fields, Custom: tt.custom}

			got, err := c.Apply(context.Background(), learnAmpCreate(rec))

			if n := len(fake.Mutations()); n != tt.wantPOSTs {
				t.Errorf("POSTs = %d, want %d", n, tt.wantPOSTs)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), rec.Email) {
					t.Fatalf("got %v, want an error naming %s with %q", err, rec.Email, tt.wantErr)
				}
				if errors.Is(err, lms.ErrTaken) != tt.wantTaken {
					t.Errorf("errors.Is(err, ErrTaken) = %v, want %v", !tt.wantTaken, tt.wantTaken)
				}
				if n := len(fake.Users()); n != 2 {
					t.Errorf("%d users after a refused create, want the 2 seeded", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			acct, ok := fake.User(atoi(t, got.LMSID))
			if !ok {
				t.Fatalf("no Learn Amp user %s after create", got.LMSID)
			}
			want := lmstest.LearnAmpUser{ID: acct.ID, Email: rec.Email, FirstName: "Ada King", LastName: "Lovelace",
				IntegrationExternalID: rec.OktaID, Role: rec.Role, Status: "not_invited", Language: "en",
				JobTitle: tt.fields["job_title"], HireDate: tt.fields["hire_date"], CustomFields: tt.custom}
			if tt.fields["manager_email"] != "" {
				want.ManagerID = boss
			}
			var wantInvited []string
			if tt.welcome {
				want.Status, wantInvited = "invite_pending", []string{rec.Email}
			}
			if !reflect.DeepEqual(acct, want) {
				t.Errorf("user = %+v\nwant %+v", acct, want)
			}
			if got := fake.Invitations(); !reflect.DeepEqual(got, wantInvited) {
				t.Errorf("invitations = %q, want %q", got, wantInvited)
			}
			rec.LMSID = got.LMSID
			if !reflect.DeepEqual(got, rec) {
				t.Errorf("returned %+v, want the record with its LMS id %+v", got, rec)
			}
		})
	}
}

func TestLearnAmpApplySendsOnlyWhatChanged(t *testing.T) {
	fake, clock := newLearnAmpFake(t)
	mgr := fake.AddUser(lmstest.LearnAmpUser{Email: "mgr@example.com", FirstName: "Mo", LastName: "Green"})
	id := fake.AddUser(lmstest.LearnAmpUser{Email: "bob@example.com", FirstName: "Bob", LastName: "Stone", Status: "deactivated",
		JobTitle: "Designer", Department: "Art", Location: "Leeds", CustomFields: map[string]string{"Employee ID": "7"}})
	lmsID := strconv.Itoa(id)
	user := "/v1/users/" + lmsID
	rec := reconcile.User{OktaID: "00ub", LMSID: lmsID, Email: "bob@example.com", Name: "Robert Stone", Active: true,
		Fields: map[string]string{"job_title": "Lead Designer", "department": "Art", "manager_email": "mgr@example.com"},
		Custom: map[string]string{"Employee ID": "8"}}
	c := newLearnAmp(t, fake, clock)

	tests := []struct {
		name      string
		op        reconcile.Op
		wantPaths []string
		wantBody  string // the last request's body, "" for none
		wantErr   string
	}{
		{
			name:      "reactivate, then the changed field",
			op:        reconcile.Op{Action: reconcile.ActionReactivate, Changes: []reconcile.Change{{Field: "job_title"}}},
			wantPaths: []string{"PUT " + user + "/reactivate", "PUT " + user},
			wantBody:  `{"jobTitle":"Lead Designer"}`,
		},
		{
			name:      "a new name, split at its last space",
			op:        reconcile.Op{Action: reconcile.ActionUpdate, Changes: []reconcile.Change{{Field: "name"}}},
			wantPaths: []string{"PUT " + user},
			wantBody:  `{"firstName":"Robert","lastName":"Stone"}`,
		},
		{
			name:      "the manager and a custom field",
			op:        reconcile.Op{Action: reconcile.ActionUpdate, Changes: []reconcile.Change{{Field: "manager_email"}, {Field: "custom:Employee ID"}}},
			wantPaths: []string{"PUT " + user},
			wantBody:  `{"customFields":[{"name":"Employee ID","value":"8"}],"managerEmail":"mgr@example.com"}`,
		},
		{
			name:      "a value gone from Okta is cleared",
			op:        reconcile.Op{Action: reconcile.ActionUpdate, Changes: []reconcile.Change{{Field: "location"}}},
			wantPaths: []string{"PUT " + user},
			wantBody:  `{"location":null}`,
		},
		{
			name: "nothing changed, nothing sent",
			op:   reconcile.Op{Action: reconcile.ActionUpdate},
		},
		{
			name:    "a field Learn Amp lacks is refused unsent",
			op:      reconcile.Op{Action: reconcile.ActionUpdate, Changes: []reconcile.Change{{Field: "business_unit"}, {Field: "department"}}},
			wantErr: "business_unit has no Learn Amp counterpart",
		},
		{
			name:      "archive",
			op:        reconcile.Op{Action: reconcile.ActionArchive},
			wantPaths: []string{"PUT " + user + "/deactivate"},
		},
		{
			name:      "link of a deactivated account reactivates it and sets the external id",
			op:        reconcile.Op{Action: reconcile.ActionLink, Restore: true, Changes: []reconcile.Change{{Field: "ext_uid"}}},
			wantPaths: []string{"PUT " + user + "/reactivate", "PUT " + user},
			wantBody:  `{"integrationExternalId":"00ub"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.ResetRequests()
			op := tt.op
			op.OktaID, op.LMSID, op.Email, op.Record = "00ub", lmsID, rec.Email, rec
			_, err := c.Apply(context.Background(), op)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got error %v, want %q", err, tt.wantErr)
			}
			var paths []string
			for _, r := range fake.Mutations() {
				paths = append(paths, r.Method+" "+r.Path)
			}
			if !reflect.DeepEqual(paths, tt.wantPaths) {
				t.Fatalf("requests = %q, want %q", paths, tt.wantPaths)
			}
			if len(paths) > 0 {
				if got := string(fake.Mutations()[len(paths)-1].Body); got != tt.wantBody {
					t.Errorf("body = %s, want %s", got, tt.wantBody)
				}
			}
		})
	}
	got, _ := fake.User(id)
	want := lmstest.LearnAmpUser{ID: id, Email: "bob@example.com", FirstName: "Robert", LastName: "Stone", IntegrationExternalID: "00ub",
		Role: "viewer", Status: "confirmed", JobTitle: "Lead Designer", Department: "Art", Language: "en", ManagerID: mgr,
		CustomFields: map[string]string{"Employee ID": "8"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("user after the sequence = %+v\nwant %+v", got, want)
	}
}

// With mapping.roles the role follows the Okta groups: a create and an
// update carry it as a change, which Learn Amp takes as "role".
func TestLearnAmpRoleChange(t *testing.T) {
	fake, clock := newLearnAmpFake(t)
	c := newLearnAmp(t, fake, clock)
	rec := reconcile.User{OktaID: "00ua", Email: "ada@example.com", Name: "Ada Lovelace", Role: "curator", Active: true}
	create := learnAmpCreate(rec)
	create.Changes = append(create.Changes, reconcile.Change{Field: "role", After: "curator"})
	got, err := c.Apply(context.Background(), create)
	if err != nil {
		t.Fatalf("a create with a role change: %v", err)
	}
	id := atoi(t, got.LMSID)
	if u, _ := fake.User(id); u.Role != "curator" {
		t.Fatalf("created with role %q, want curator", u.Role)
	}

	fake.ResetRequests()
	rec.LMSID, rec.Role = got.LMSID, "admin"
	update := reconcile.Op{Action: reconcile.ActionUpdate, OktaID: rec.OktaID, LMSID: rec.LMSID, Email: rec.Email, Record: rec,
		Changes: []reconcile.Change{{Field: "role", Before: "curator", After: "admin"}}}
	if _, err := c.Apply(context.Background(), update); err != nil {
		t.Fatalf("a role update: %v", err)
	}
	if m := fake.Mutations(); len(m) != 1 || string(m[0].Body) != `{"role":"admin"}` {
		t.Errorf("a role update sent %+v, want one PUT with {\"role\":\"admin\"}", m)
	}
	if u, _ := fake.User(id); u.Role != "admin" {
		t.Errorf("role after the update = %q, want admin", u.Role)
	}

	fake.ResetRequests()
	update.Record.Role = "learner"
	if _, err := c.Apply(context.Background(), update); err == nil || !strings.Contains(err.Error(), `role "learner" is not a Learn Amp role`) {
		t.Errorf("a Lessonly role: got %v, want it refused", err)
	}
	if m := fake.Mutations(); len(m) != 0 {
		t.Errorf("a role Learn Amp lacks was sent: %+v", m)
	}
}

func TestLearnAmpListUsersReadsEveryPage(t *testing.T) {
	fake, clock := newLearnAmpFake(t)
	first := fake.AddUser(lmstest.LearnAmpUser{Email: "u0@example.com", FirstName: "User", LastName: "0"})
	for i := 1; i < 250; i++ {
		fake.AddUser(lmstest.LearnAmpUser{Email: fmt.Sprintf("u%d@example.com", i), FirstName: "User", LastName: strconv.Itoa(i)})
	}
	zoe := fake.AddUser(lmstest.LearnAmpUser{Email: "ZOE@example.com", FirstName: "Zoë", LastName: "Old", IntegrationExternalID: "00uz",
		Status: "deactivated", JobTitle: "Chef", Department: "Kitchen", Location: "Paris", HireDate: "2020-01-02", ManagerID: first,
		Language: "fr", CustomFields: map[string]string{"Employee ID": "7"}})

	users, err := newLearnAmp(t, fake, clock).ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 251 {
		t.Fatalf("got %d users, want 251", len(users))
	}
	// 100 + 100 + 51: Total-Pages says the third is the last.
	reqs := learnAmpAPIRequests(fake)
	if len(reqs) != 3 {
		t.Errorf("listing took %d requests, want 3", len(reqs))
	}
	for _, r := range reqs {
		for _, p := range []string{"perPage=100", "expanded=true", "filters%5Bstatus%5D%5B%5D=deactivated"} {
			if !strings.Contains(r.RawQuery, p) {
				t.Errorf("listing %q does not ask %s", r.RawQuery, p)
			}
		}
	}
	want := reconcile.User{LMSID: strconv.Itoa(zoe), ExtUID: "00uz", Email: "ZOE@example.com", Name: "Zoë Old", Role: "viewer",
		Active: false, Fields: map[string]string{"job_title": "Chef", "department": "Kitchen", "location": "Paris",
			"hire_date": "2020-01-02", "locale": "fr", "manager_email": "u0@example.com"},
		Custom: map[string]string{"Employee ID": "7"}}
	if got := users[len(users)-1]; !reflect.DeepEqual(got, want) {
		t.Errorf("deactivated user = %+v\nwant %+v", got, want)
	}
}

// A server that sends no paging totals is read to its first empty page.
func TestLearnAmpListUsersWithoutTotals(t *testing.T) {
	fake, clock := newLearnAmpFake(t)
	for i := range 150 {
		fake.AddUser(lmstest.LearnAmpUser{Email: fmt.Sprintf("u%d@example.com", i), FirstName: "User", LastName: strconv.Itoa(i)})
	}
	target, err := url.Parse(fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error {
		r.Header.Del("Total-Pages")
		return nil
	}
	noTotals := httptest.NewServer(proxy)
	t.Cleanup(noTotals.Close)

	users, err := newLearnAmp(t, fake, clock, func(c *lms.LearnAmpConfig) { c.BaseURL = noTotals.URL }).ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 150 {
		t.Errorf("got %d users, want 150", len(users))
	}
	if reqs := learnAmpAPIRequests(fake); len(reqs) != 3 { // 100 + 50, then the empty page
		t.Errorf("listing took %d requests, want 3", len(reqs))
	}
}

func TestLearnAmpFindAccount(t *testing.T) {
	fake, clock := newLearnAmpFake(t)
	ann := fake.AddUser(lmstest.LearnAmpUser{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee", IntegrationExternalID: "00uann",
		JobTitle: "Chef", CustomFields: map[string]string{"Employee ID": "7"}})
	bob := fake.AddUser(lmstest.LearnAmpUser{Email: "Bob@Example.com", FirstName: "Bob", LastName: "Stone", Role: "admin"}) // made by hand
	cy := fake.AddUser(lmstest.LearnAmpUser{Email: "cy@example.com", FirstName: "Cy", LastName: "Ro", IntegrationExternalID: "00ucy", Status: "deactivated"})
	for i := range 120 { // past one page: a lookup must still cost one or two requests
		fake.AddUser(lmstest.LearnAmpUser{Email: fmt.Sprintf("u%d@example.com", i), FirstName: "User", LastName: strconv.Itoa(i)})
	}
	c := newLearnAmp(t, fake, clock)
	id := strconv.Itoa
	checkFindAccount(t, c, fake.ResetRequests, func() int { return len(learnAmpAPIRequests(fake)) }, asListed(t, c), []findCase{
		{"by external id", "00uann", "ann@example.com", id(ann), "ext_uid", 1},
		{"external id before email", "00uann", "bob@example.com", id(ann), "ext_uid", 1},
		{"by email in other letter case", "00ubob", "BOB@example.COM", id(bob), "email", 2},
		{"by email alone", "", "bob@example.com", id(bob), "email", 1},
		{"a deactivated account", "00ucy", "", id(cy), "ext_uid", 1},
		{"a deactivated account by email", "", "cy@example.com", id(cy), "email", 1},
		{"not found", "00unone", "none@example.com", "", "", 2},
	})
	if _, _, _, err := c.FindAccount(context.Background(), "", ""); err == nil {
		t.Error("with nothing to look for: no error")
	}
}

func TestLearnAmpTokenLifecycle(t *testing.T) {
	tests := []struct {
		name       string
		between    func(*lmstest.LearnAmp, *learnAmpClock)
		parallel   int // ops after between, sent at once
		wantTokens int
		want401s   int
	}{
		{name: "a valid token is reused", between: func(*lmstest.LearnAmp, *learnAmpClock) {}, parallel: 1, wantTokens: 1},
		{name: "a token about to expire is replaced before use", parallel: 1, wantTokens: 2,
			between: func(_ *lmstest.LearnAmp, c *learnAmpClock) { c.Advance(2*time.Hour - 4*time.Minute) }},
		{name: "a token refused mid-run is replaced and the op sent again", parallel: 1, wantTokens: 2, want401s: 1,
			between: func(f *lmstest.LearnAmp, _ *learnAmpClock) { f.ExpireTokens() }},
		{name: "ops running at once share one new token", parallel: 8, wantTokens: 2,
			between: func(f *lmstest.LearnAmp, _ *learnAmpClock) { f.ExpireTokens() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, clock := newLearnAmpFake(t)
			c := newLearnAmp(t, fake, clock)
			create := func(i int) error {
				rec := reconcile.User{OktaID: fmt.Sprintf("00u%d", i), Email: fmt.Sprintf("p%d@example.com", i), Name: "Pat Doe", Role: "viewer", Active: true}
				_, err := c.Apply(context.Background(), learnAmpCreate(rec))
				return err
			}
			if err := create(0); err != nil {
				t.Fatal(err)
			}
			tt.between(fake, clock)
			errs := make([]error, tt.parallel)
			var wg stdsync.WaitGroup
			for i := range tt.parallel {
				wg.Go(func() { errs[i] = create(i + 1) })
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if n := len(fake.IssuedTokens()); n != tt.wantTokens {
				t.Errorf("%d tokens issued, want %d", n, tt.wantTokens)
			}
			var unauthorized int
			for _, r := range fake.Requests() {
				if r.Status == 401 {
					unauthorized++
				}
			}
			if tt.parallel == 1 && unauthorized != tt.want401s {
				t.Errorf("%d requests refused 401, want %d", unauthorized, tt.want401s)
			}
			if n := len(fake.Users()); n != tt.parallel+1 {
				t.Errorf("%d users, want %d", n, tt.parallel+1)
			}
		})
	}
}

func TestLearnAmpSecretsStayOut(t *testing.T) {
	fake, clock := newLearnAmpFake(t)
	c := newLearnAmp(t, fake, clock)
	if err := c.CheckAccess(context.Background()); err != nil {
		t.Fatal(err)
	}
	secrets := func() []string { return append(fake.IssuedTokens(), fake.ClientSecret, "wrong-secret-42") }

	tests := []struct {
		name   string
		setup  func(*lmstest.LearnAmp)
		client *lms.LearnAmp
		check  func(error) bool
	}{
		{name: "a refused secret", client: newLearnAmp(t, fake, clock, func(cfg *lms.LearnAmpConfig) { cfg.ClientSecret = "wrong-secret-42" }),
			check: lms.Unauthorized},
		{name: "a server echoing the secret and the token", client: c,
			setup: func(f *lmstest.LearnAmp) {
				f.InjectFault(lmstest.Fault{Method: "GET", Times: 1, Status: 400,
					Body: fmt.Sprintf(`{"error":"bad: %s %s"}`, f.ClientSecret, f.IssuedTokens()[0])})
			},
			check: func(err error) bool { return strings.Contains(err.Error(), "bad: [redacted] [redacted]") }},
		{name: "a token endpoint echoing the secret", client: newLearnAmp(t, fake, clock),
			setup: func(f *lmstest.LearnAmp) {
				f.InjectFault(lmstest.Fault{PathPrefix: "/oauth/token", Times: 1, Status: 400, Body: "client_secret=" + f.ClientSecret})
			},
			check: func(err error) bool { return strings.Contains(err.Error(), "400 client_secret=[redacted]") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(fake)
			}
			err := tt.client.CheckAccess(context.Background())
			if err == nil || !tt.check(err) {
				t.Fatalf("got %v", err)
			}
			for _, s := range secrets() {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows the secret %q", err, s)
				}
			}
		})
	}

	cfg := lms.LearnAmpConfig{BaseURL: fake.URL, ClientID: "id", ClientSecret: "sekrit-in-config", Scopes: []string{"users:read"}}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "lms", cfg)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "lms", cfg)
	fmt.Fprintf(&logs, "%v %+v %s", cfg, cfg, cfg)
	if strings.Contains(logs.String(), "sekrit") || !strings.Contains(logs.String(), "users:read") {
		t.Errorf("logged config: %s", logs.String())
	}
}

func TestLearnAmpScopes(t *testing.T) {
	rec := reconcile.User{OktaID: "00ua", Email: "a@example.com", Name: "A B", Role: "viewer", Active: true}
	tests := []struct {
		name         string
		clientScopes []string // nil: the default
		fakeScopes   []string // nil: all
		wantCheck    string   // CheckAccess error, "" = none
		wantCreate   string
	}{
		{name: "the default scopes do everything"},
		{name: "a scope missing from the token is named by the API", clientScopes: []string{"users:read"},
			wantCreate: "403 insufficient_scope: This endpoint requires the users:create scope."},
		{name: "a scope the credentials lack refuses every token", fakeScopes: []string{"users:read", "users:create"},
			wantCheck: "400 invalid_scope", wantCreate: "400 invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, clock := newLearnAmpFake(t)
			if tt.fakeScopes != nil {
				fake.Scopes = tt.fakeScopes
			}
			c := newLearnAmp(t, fake, clock, func(cfg *lms.LearnAmpConfig) { cfg.Scopes = tt.clientScopes })
			for _, step := range []struct {
				what string
				err  error
				want string
			}{
				{"check", c.CheckAccess(context.Background()), tt.wantCheck},
				{"create", func() error { _, err := c.Apply(context.Background(), learnAmpCreate(rec)); return err }(), tt.wantCreate},
			} {
				if step.want == "" && step.err != nil || step.want != "" && (step.err == nil || !strings.Contains(step.err.Error(), step.want)) {
					t.Errorf("%s: got %v, want %q", step.what, step.err, step.want)
				}
			}
		})
	}
}

func TestLearnAmpTeams(t *testing.T) {
	fake, clock := newLearnAmpFake(t)
	a := fake.AddUser(lmstest.LearnAmpUser{Email: "a@example.com", FirstName: "A", LastName: "A"})
	b := fake.AddUser(lmstest.LearnAmpUser{Email: "b@example.com", FirstName: "B", LastName: "B"})
	cc := fake.AddUser(lmstest.LearnAmpUser{Email: "c@example.com", FirstName: "C", LastName: "C"})
	sales := fake.AddTeam("Sales", a)
	c := newLearnAmp(t, fake, clock)
	ctx := context.Background()
	ids := func(n ...int) []string {
		var out []string
		for _, i := range n {
			out = append(out, strconv.Itoa(i))
		}
		return out
	}

	id, err := c.CreateGroup(ctx, "Engineering")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		do      func() error
		wantErr string
	}{
		{"rename", func() error { return c.RenameGroup(ctx, id, "Platform Engineering") }, ""},
		{"add members", func() error { return c.AddMembers(ctx, id, ids(b, cc)) }, ""},
		{"remove a member", func() error { return c.RemoveMembers(ctx, id, ids(b)) }, ""},
		{"remove someone not a member", func() error { return c.RemoveMembers(ctx, id, ids(a)) }, "404 Not found"},
		{"add an id that is not Learn Amp's", func() error { return c.AddMembers(ctx, id, []string{"00uokta"}) }, "not a Learn Amp user id"},
		{"rename to nothing", func() error { return c.RenameGroup(ctx, id, "") }, "400 name is empty"},
	}
	for _, s := range steps {
		err := s.do()
		if s.wantErr == "" && err != nil || s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)) {
			t.Errorf("%s: got %v, want %q", s.name, err, s.wantErr)
		}
	}

	groups, err := c.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []reconcile.Group{
		{LMSID: strconv.Itoa(sales), Name: "Sales", Members: ids(a)},
		{LMSID: id, Name: "Platform Engineering", Members: ids(cc)},
	}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("groups = %+v\nwant %+v", groups, want)
	}
	if team, _ := fake.Team(atoi(t, id)); !reflect.DeepEqual(team.Members, []int{cc}) {
		t.Errorf("team members in Learn Amp = %v, want [%d]", team.Members, cc)
	}
}

func TestLearnAmpRetries(t *testing.T) {
	tests := []struct {
		name       string
		fault      lmstest.Fault // none when Status is 0
		rateLimit  int
		personName string // default "A B"
		wantErr    string // "" = success
		attempts   int    // POST /v1/users received
	}{
		{name: "429 is retried", attempts: 3, fault: lmstest.Fault{Method: "POST", PathPrefix: "/v1/", Times: 2, Status: 429}},
		{name: "a rate limit is waited out", attempts: 2, rateLimit: 1}, // the token request spends it
		{name: "5xx is retried", attempts: 2, fault: lmstest.Fault{Method: "POST", PathPrefix: "/v1/", Times: 1, Status: 502}},
		{name: "the token endpoint is retried too", attempts: 1, fault: lmstest.Fault{PathPrefix: "/oauth/token", Times: 2, Status: 503}},
		{name: "retries are bounded", attempts: 4, wantErr: "after 4 attempts", fault: lmstest.Fault{Method: "POST", PathPrefix: "/v1/", Status: 503}},
		{name: "a 400 is the person's, not retried", attempts: 1, personName: "Cher", wantErr: "400 lastName is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, clock := newLearnAmpFake(t)
			if tt.fault.Status != 0 {
				fake.InjectFault(tt.fault)
			}
			fake.SetRateLimit(tt.rateLimit)
			// Each retry finds the next minute, and a new rate-limit window.
			c := newLearnAmp(t, fake, clock, func(cfg *lms.LearnAmpConfig) { cfg.Retry.OnRetry = func() { clock.Advance(time.Minute) } })
			rec := reconcile.User{OktaID: "00ua", Email: "a@example.com", Name: cmp.Or(tt.personName, "A B"), Role: "viewer", Active: true}
			_, err := c.Apply(context.Background(), learnAmpCreate(rec))
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
			if got := len(fake.Mutations()); got != tt.attempts {
				t.Errorf("POSTs = %d, want %d", got, tt.attempts)
			}
		})
	}
}

func TestLearnAmpMissingCustomFields(t *testing.T) {
	fake, clock := newLearnAmpFake(t)
	fake.AddUser(lmstest.LearnAmpUser{Email: "a@example.com", FirstName: "A", LastName: "A", CustomFields: map[string]string{"Employee ID": "1"}})
	fake.AddUser(lmstest.LearnAmpUser{Email: "b@example.com", FirstName: "B", LastName: "B", CustomFields: map[string]string{"Cost Centre": "9"}})
	missing, known, err := newLearnAmp(t, fake, clock).MissingCustomFields(context.Background(), []string{"Employee ID", "Employe ID"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(missing, []string{"Employe ID"}) || !reflect.DeepEqual(known, []string{"Cost Centre", "Employee ID"}) {
		t.Errorf("missing %q, known %q; want [Employe ID], [Cost Centre Employee ID]", missing, known)
	}
}

func TestNewLearnAmp(t *testing.T) {
	fake, clock := newLearnAmpFake(t)
	// The docs give the API base with /v1: pasted as is, it still works.
	c := newLearnAmp(t, fake, clock, func(cfg *lms.LearnAmpConfig) { cfg.BaseURL = fake.URL + "/v1/" })
	if err := c.CheckAccess(context.Background()); err != nil {
		t.Errorf("with /v1 in the base URL: %v", err)
	}
	for _, tt := range []struct {
		cfg  lms.LearnAmpConfig
		want string
	}{
		{lms.LearnAmpConfig{BaseURL: "::", ClientID: "a", ClientSecret: "s"}, "lms.url"},
		{lms.LearnAmpConfig{BaseURL: "https://api.learnamp.com", ClientSecret: "s"}, "lms.client_id"},
		{lms.LearnAmpConfig{BaseURL: "https://api.learnamp.com", ClientID: "a"}, "lms.client_secret"},
	} {
		if _, err := lms.NewLearnAmp(tt.cfg); err == nil || !strings.HasPrefix(err.Error(), tt.want+":") {
			t.Errorf("got %v, want an error starting %q", err, tt.want)
		}
	}
}
