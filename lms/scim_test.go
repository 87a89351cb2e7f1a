package lms_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms"
	"github.com/oktalms/oktalms/lms/lmstest"
	"github.com/oktalms/oktalms/reconcile"
)

const scimBase = "/scim/v2/acme"

var scimLearnerblyExtension = map[string][]string{
	lms.LearnerblySchema: {"approvers[]", "contentRegion", "customField1", "customField2", "customField3"},
}

func newSCIMFake(t *testing.T, mutate ...func(*lmstest.SCIMOptions)) *lmstest.SCIM {
	t.Helper()
	opts := lmstest.DefaultSCIMOptions()
	opts.BasePath = scimBase
	for _, m := range mutate {
		m(&opts)
	}
	f := lmstest.NewSCIM(opts)
	t.Cleanup(f.Close)
	return f
}

// newSCIM builds a client of fake from cfg (DefaultSCIMAttributes when it
// has none) with the fake's default credentials.
func newSCIM(t *testing.T, fake *lmstest.SCIM, cfg lms.SCIMConfig) *lms.SCIM {
	t.Helper()
	def := lmstest.DefaultSCIMOptions()
	cfg.BaseURL = fake.URL
	if cfg.Token == "" && cfg.Username == "" {
		cfg.Token, cfg.Username, cfg.Password = def.Token, def.Username, def.Password
	}
	if cfg.Attributes == nil {
		cfg.Attributes = lms.DefaultSCIMAttributes()
	}
	cfg.Timeout = 2 * time.Second
	cfg.Retry = lms.RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond}
	cfg.UserAgent = "oktalms/test"
	c, err := lms.NewSCIM(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// scimCalls lists requests as "METHOD /path" relative to the service's base.
func scimCalls(reqs []lmstest.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.Method + " " + strings.TrimPrefix(r.Path, scimBase)
	}
	return out
}

func scimBody(t *testing.T, r lmstest.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body of %s %s: %v", r.Method, r.Path, err)
	}
	return m
}

func scimChanges(keys ...string) []reconcile.Change {
	out := make([]reconcile.Change, len(keys))
	for i, k := range keys {
		out[i] = reconcile.Change{Field: k}
	}
	return out
}

func TestSCIMCreateLearnerbly(t *testing.T) {
	fake := newSCIMFake(t, func(o *lmstest.SCIMOptions) { o.Auth, o.ExtensionSchemas = "static", scimLearnerblyExtension })
	c := newSCIM(t, fake, lms.LearnerblyPreset())
	rec := reconcile.User{OktaID: "00ua", Email: "ada@example.com", Name: "Ada Byron Lovelace", Role: "learner", Active: true,
		Fields: map[string]string{"locale": "en-GB"},
		Custom: map[string]string{"approvers": "boss@example.com, hr@example.com", "contentRegion": "GB", "customField1": "Engineering"}}
	op := reconcile.Op{Action: reconcile.ActionCreate, OktaID: "00ua", Email: rec.Email, Record: rec,
		Changes: scimChanges("email", "name", "locale", "custom:approvers", "custom:contentRegion", "custom:customField1")}

	got, err := c.Apply(context.Background(), op)
	if err != nil {
		t.Fatal(err)
	}
	u, ok := fake.User(got.LMSID)
	if !ok {
		t.Fatalf("no SCIM user %q after create", got.LMSID)
	}
	ext := lms.LearnerblySchema + ":"
	for path, want := range map[string]any{
		"userName": "ada@example.com", "externalId": "00ua", "displayName": "Ada Byron Lovelace",
		"name.givenName": "Ada Byron", "name.familyName": "Lovelace", "active": true, "locale": "en-GB",
		"emails":              []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}},
		"schemas":             []any{"urn:ietf:params:scim:schemas:core:2.0:User", lms.LearnerblySchema},
		ext + "approvers":     []any{"boss@example.com", "hr@example.com"},
		ext + "contentRegion": "GB", ext + "customField1": "Engineering",
	} {
		if got := u.Get(path); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}

	listed, err := c.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := rec
	want.OktaID, want.Role, want.LMSID, want.ExtUID = "", "", got.LMSID, "00ua"
	// Every extension attribute also reads back under its own path.
	want.Custom = map[string]string{"approvers": "boss@example.com, hr@example.com", "contentRegion": "GB", "customField1": "Engineering",
		ext + "approvers": "boss@example.com, hr@example.com", ext + "contentRegion": "GB", ext + "customField1": "Engineering"}
	if len(listed) != 1 || !reflect.DeepEqual(listed[0], want) {
		t.Errorf("listed %+v\nwant   %+v", listed, want)
	}
}

func TestSCIMUpdateSendsOnlyWhatChanged(t *testing.T) {
	for _, patch := range []bool{true, false} {
		t.Run(fmt.Sprintf("patch supported %v", patch), func(t *testing.T) {
			fake := newSCIMFake(t, func(o *lmstest.SCIMOptions) { o.PatchSupported = patch })
			id := fake.AddUser(lmstest.SCIMResource{"userName": "bob@example.com", "externalId": "00ub", "displayName": "Bob Stone",
				"name": map[string]any{"givenName": "Bob", "familyName": "Stone", "middleName": "J"}, "title": "Designer", "nickName": "Bobby",
				// Made by hand with its extension undeclared: a PUT back must declare it.
				lms.EnterpriseUserSchema: map[string]any{"department": "Art", "costCenter": "42"}})
			c := newSCIM(t, fake, lms.SCIMConfig{})
			rec := reconcile.User{OktaID: "00ub", LMSID: id, Email: "bob@example.com", Name: "Robert Stone", Active: true,
				Fields: map[string]string{"job_title": "Lead Designer", "business_unit": "Studio"}}
			op := reconcile.Op{Action: reconcile.ActionUpdate, OktaID: "00ub", LMSID: id, Email: rec.Email, Record: rec,
				Changes: scimChanges("name", "job_title", "department", "business_unit")}
			fake.ResetRequests()
			if _, err := c.Apply(context.Background(), op); err != nil {
				t.Fatal(err)
			}

			wantCalls := []string{"GET /ServiceProviderConfig", "PATCH /Users/" + id}
			if !patch {
				wantCalls = []string{"GET /ServiceProviderConfig", "GET /Users/" + id, "PUT /Users/" + id}
			}
			if got := scimCalls(fake.Requests()); !slices.Equal(got, wantCalls) {
				t.Fatalf("requests = %q, want %q", got, wantCalls)
			}
			if patch {
				body := scimBody(t, fake.Mutations()[0])
				want := map[string]any{
					"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
					"Operations": []any{
						map[string]any{"op": "replace", "value": map[string]any{
							"displayName": "Robert Stone", "name": map[string]any{"givenName": "Robert", "familyName": "Stone"},
							"title": "Lead Designer", lms.EnterpriseUserSchema: map[string]any{"division": "Studio"}}},
						map[string]any{"op": "remove", "path": lms.EnterpriseUserSchema + ":department"},
					},
				}
				if !reflect.DeepEqual(body, want) {
					t.Errorf("PATCH body = %v\nwant         %v", body, want)
				}
			}
			u, _ := fake.User(id)
			for path, want := range map[string]any{
				"displayName": "Robert Stone", "name.givenName": "Robert", "name.middleName": "J", "title": "Lead Designer",
				"nickName": "Bobby", lms.EnterpriseUserSchema + ":department": nil,
				lms.EnterpriseUserSchema + ":division": "Studio", lms.EnterpriseUserSchema + ":costCenter": "42",
				"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User", lms.EnterpriseUserSchema},
			} {
				if got := u.Get(path); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", path, got, want)
				}
			}
		})
	}
}

func TestSCIMArchiveAndReactivate(t *testing.T) {
	for _, patch := range []bool{true, false} {
		t.Run(fmt.Sprintf("patch supported %v", patch), func(t *testing.T) {
			fake := newSCIMFake(t, func(o *lmstest.SCIMOptions) { o.PatchSupported = patch })
			id := fake.AddUser(lmstest.SCIMResource{"userName": "cy@example.com", "externalId": "00uc", "title": "Chef"})
			c := newSCIM(t, fake, lms.SCIMConfig{})
			rec := reconcile.User{OktaID: "00uc", LMSID: id, Email: "cy@example.com", Name: "Cy Ro", Active: true,
				Fields: map[string]string{"job_title": "Head Chef"}}
			steps := []struct {
				name       string
				op         reconcile.Op
				wantActive bool
				wantTitle  string
			}{
				{"archive", reconcile.Op{Action: reconcile.ActionArchive}, false, "Chef"},
				{"reactivate with a change", reconcile.Op{Action: reconcile.ActionReactivate, Changes: scimChanges("job_title")}, true, "Head Chef"},
				{"archive again", reconcile.Op{Action: reconcile.ActionArchive}, false, "Head Chef"},
				{"link restores", reconcile.Op{Action: reconcile.ActionLink, Restore: true}, true, "Head Chef"},
			}
			for _, s := range steps {
				fake.ResetRequests()
				op := s.op
				op.OktaID, op.LMSID, op.Email, op.Record = "00uc", id, rec.Email, rec
				if _, err := c.Apply(context.Background(), op); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if n := len(fake.Mutations()); n != 1 {
					t.Errorf("%s: %d writes, want 1", s.name, n)
				}
				u, _ := fake.User(id)
				if u.Get("active") != s.wantActive || u.Get("title") != s.wantTitle {
					t.Errorf("%s: active %v, title %v; want %v, %q", s.name, u.Get("active"), u.Get("title"), s.wantActive, s.wantTitle)
				}
			}
			listed, err := c.ListUsers(context.Background())
			if err != nil || len(listed) != 1 || !listed[0].Active {
				t.Errorf("listed %+v, %v; want one active account", listed, err)
			}
			if got := scimCalls(fake.Requests()); slices.Contains(got, "GET /ServiceProviderConfig") {
				t.Errorf("the service provider config was read again: %q", got)
			}
		})
	}
}

func TestSCIMListPages(t *testing.T) {
	fake := newSCIMFake(t)
	for i := range 250 {
		fake.AddUser(lmstest.SCIMResource{"userName": fmt.Sprintf("u%d@example.com", i), "active": i%2 == 0})
	}
	users, err := newSCIM(t, fake, lms.SCIMConfig{}).ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 250 || users[249].Email != "u249@example.com" || users[1].Active || !users[2].Active {
		t.Fatalf("got %d users, last %+v", len(users), users[len(users)-1])
	}
	var queries []string
	for _, r := range fake.Requests() {
		queries = append(queries, r.RawQuery)
	}
	want := []string{"count=100&startIndex=1", "count=100&startIndex=101", "count=100&startIndex=201"}
	if !slices.Equal(queries, want) {
		t.Errorf("queries = %q, want %q", queries, want)
	}
}

func TestSCIMFindAccount(t *testing.T) {
	fake := newSCIMFake(t)
	boss := fake.AddUser(lmstest.SCIMResource{"userName": "boss@example.com"})
	ann := fake.AddUser(lmstest.SCIMResource{"userName": "ann@example.com", "externalId": "00uann", "title": "Chef",
		"schemas":                []any{"urn:ietf:params:scim:schemas:core:2.0:User", lms.EnterpriseUserSchema},
		lms.EnterpriseUserSchema: map[string]any{"manager": map[string]any{"value": boss}}})
	bob := fake.AddUser(lmstest.SCIMResource{"userName": "Bob@Example.com", "active": false}) // made by hand
	c := newSCIM(t, fake, lms.SCIMConfig{})

	checkFindAccount(t, c, fake.ResetRequests, func() int { return len(fake.Requests()) }, nil, []findCase{
		{"by externalId", "00uann", "ann@example.com", ann, "ext_uid", 2}, // and the manager's email
		{"externalId before email", "00uann", "bob@example.com", ann, "ext_uid", 2},
		{"by userName in other letter case", "00ubob", "BOB@example.COM", bob, "email", 2},
		{"by email alone", "", "bob@example.com", bob, "email", 1},
		{"not found", "00unone", "none@example.com", "", "", 2},
	})
	fake.ResetRequests()
	acct, _, _, _ := c.FindAccount(context.Background(), "00uann", "")
	want := reconcile.User{LMSID: ann, ExtUID: "00uann", Email: "ann@example.com", Active: true,
		Fields: map[string]string{"job_title": "Chef", "manager_email": "boss@example.com"},
		Custom: map[string]string{lms.EnterpriseUserSchema + ":manager": boss}}
	if !reflect.DeepEqual(acct, want) {
		t.Errorf("account = %+v\nwant      %+v", acct, want)
	}
	if q := fake.Requests()[0].RawQuery; q != "filter=externalId+eq+%2200uann%22" {
		t.Errorf("filter query %q", q)
	}
}

func TestSCIMCreateTaken(t *testing.T) {
	fake := newSCIMFake(t)
	fake.AddUser(lmstest.SCIMResource{"userName": "Ann@Example.com"})
	fake.AddUser(lmstest.SCIMResource{"userName": "zed@example.com", "externalId": "00uz"})
	c := newSCIM(t, fake, lms.SCIMConfig{})
	tests := []struct{ name, email, oktaID, detail string }{
		{"userName in other letter case", "ann@example.com", "00ua", `userName "ann@example.com" is already taken`},
		{"externalId", "new@example.com", "00uz", `externalId "00uz" is already taken`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := reconcile.User{OktaID: tt.oktaID, Email: tt.email, Name: "A B", Active: true}
			_, err := c.Apply(context.Background(), reconcile.Op{Action: reconcile.ActionCreate, OktaID: tt.oktaID, Email: tt.email,
				Record: rec, Changes: scimChanges("email", "name")})
			var apiErr *lms.APIError
			if !errors.Is(err, lms.ErrTaken) || !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
				t.Fatalf("got %v, want ErrTaken and a 409", err)
			}
			if !strings.Contains(err.Error(), "uniqueness: "+tt.detail) || !strings.Contains(err.Error(), tt.email) {
				t.Errorf("error %q does not quote the API's detail or name the person", err)
			}
		})
	}
	if n := len(fake.Users()); n != 2 {
		t.Errorf("%d users, want 2", n)
	}
}

func TestSCIMManagerByEmail(t *testing.T) {
	fake := newSCIMFake(t)
	boss := fake.AddUser(lmstest.SCIMResource{"userName": "Boss@Example.com"})
	c := newSCIM(t, fake, lms.SCIMConfig{})
	create := func(oktaID, email, manager string) (reconcile.User, error) {
		rec := reconcile.User{OktaID: oktaID, Email: email, Name: "A B", Active: true,
			Fields: map[string]string{"manager_email": manager}}
		return c.Apply(context.Background(), reconcile.Op{Action: reconcile.ActionCreate, OktaID: oktaID, Email: email,
			Record: rec, Changes: scimChanges("email", "name", "manager_email")})
	}

	fake.ResetRequests()
	ann, err := create("00ua", "ann@example.com", "boss@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := create("00ub", "bob@example.com", "boss@example.com"); err != nil {
		t.Fatal(err)
	}
	wantCalls := []string{"GET /Users", "POST /Users", "POST /Users"} // the second create asks nobody
	if got := scimCalls(fake.Requests()); !slices.Equal(got, wantCalls) {
		t.Errorf("requests = %q, want %q", got, wantCalls)
	}
	u, _ := fake.User(ann.LMSID)
	if got := u.Get(lms.EnterpriseUserSchema + ":manager.value"); got != boss {
		t.Errorf("manager = %v, want %s", got, boss)
	}
	listed, err := c.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := listed[1].Fields["manager_email"]; got != "Boss@Example.com" {
		t.Errorf("listed manager_email %q, want the manager's userName", got)
	}

	fake.ResetRequests()
	_, err = create("00uc", "cy@example.com", "nobody@example.com")
	if err == nil || !strings.Contains(err.Error(), "the manager nobody@example.com has no account in the LMS") {
		t.Fatalf("got %v, want an error naming the unknown manager", err)
	}
	if n := len(fake.Mutations()); n != 0 {
		t.Errorf("%d writes for a person whose manager is unknown, want none", n)
	}
}

func TestSCIMAuth(t *testing.T) {
	tests := []struct {
		auth      string
		cfg, nope lms.SCIMConfig
	}{
		{"bearer", lms.SCIMConfig{Token: "test-scim-token"}, lms.SCIMConfig{Token: "wrong"}},
		{"static", lms.SCIMConfig{Auth: "static", Token: "test-scim-token"}, lms.SCIMConfig{Auth: "static", Token: "wrong"}},
		{"basic", lms.SCIMConfig{Auth: "basic", Username: "scim", Password: "test-scim-password"},
			lms.SCIMConfig{Auth: "basic", Username: "scim", Password: "wrong"}},
	}
	for _, tt := range tests {
		t.Run(tt.auth, func(t *testing.T) {
			fake := newSCIMFake(t, func(o *lmstest.SCIMOptions) { o.Auth = tt.auth })
			if err := newSCIM(t, fake, tt.cfg).CheckAccess(context.Background()); err != nil {
				t.Errorf("good credentials: %v", err)
			}
			err := newSCIM(t, fake, tt.nope).CheckAccess(context.Background())
			if !lms.Unauthorized(err) || !strings.Contains(err.Error(), "Authentication failed") {
				t.Errorf("wrong credentials: got %v, want a 401 quoting the service", err)
			}
			// bearer and static differ in the scheme alone: each fake takes one.
			other := lms.SCIMConfig{Auth: "static", Token: "test-scim-token"}
			if tt.auth != "bearer" {
				other = lms.SCIMConfig{Token: "test-scim-token"}
			}
			if err := newSCIM(t, fake, other).CheckAccess(context.Background()); !lms.Unauthorized(err) {
				t.Errorf("%s credentials: got %v, want 401", other.Auth, err)
			}
		})
	}
}

// scimHeaders remembers the request headers its transport sends.
type scimHeaders struct{ headers []http.Header }

func (h *scimHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	h.headers = append(h.headers, r.Header.Clone())
	return http.DefaultTransport.RoundTrip(r)
}

func TestSCIMMediaType(t *testing.T) {
	fake := newSCIMFake(t)
	rec := &scimHeaders{}
	c := newSCIM(t, fake, lms.SCIMConfig{HTTPClient: &http.Client{Transport: rec}})
	if _, err := c.Apply(context.Background(), reconcile.Op{Action: reconcile.ActionCreate, OktaID: "00ua", Email: "a@example.com",
		Record: reconcile.User{Email: "a@example.com", Name: "A B"}, Changes: scimChanges("email", "name")}); err != nil {
		t.Fatal(err)
	}
	h := rec.headers[0]
	if h.Get("Content-Type") != "application/scim+json" || !strings.HasPrefix(h.Get("Accept"), "application/scim+json") ||
		h.Get("Authorization") != "Bearer test-scim-token" {
		t.Errorf("headers = %v", h)
	}
}

func TestSCIMRetries(t *testing.T) {
	rec := reconcile.User{OktaID: "00ua", Email: "a@example.com", Name: "A B", Active: true}
	create := reconcile.Op{Action: reconcile.ActionCreate, OktaID: "00ua", Email: rec.Email, Record: rec, Changes: scimChanges("email", "name")}
	tests := []struct {
		name     string
		setup    func(*lmstest.SCIM)
		wantErr  string
		attempts int
	}{
		{name: "429 is retried", attempts: 2,
			setup: func(f *lmstest.SCIM) { f.InjectFault(lmstest.Fault{Method: "POST", Times: 1, Status: 429}) }},
		{name: "rate limit with Retry-After", attempts: 2,
			setup: func(f *lmstest.SCIM) { f.SetRateLimit(1); f.Now = scimClock(40 * time.Second) }},
		{name: "5xx is retried", attempts: 2,
			setup: func(f *lmstest.SCIM) { f.InjectFault(lmstest.Fault{Method: "POST", Times: 1, Status: 503}) }},
		{name: "retries are bounded", attempts: 4, wantErr: "after 4 attempts",
			setup: func(f *lmstest.SCIM) { f.InjectFault(lmstest.Fault{Method: "POST", Status: 502}) }},
		{name: "400 is the person's, not retried", attempts: 1, wantErr: "400 invalidValue: bad",
			setup: func(f *lmstest.SCIM) {
				f.InjectFault(lmstest.Fault{Method: "POST", Status: 400,
					Body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":400,"scimType":"invalidValue","detail":"bad"}`})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newSCIMFake(t)
			tt.setup(fake)
			c := newSCIM(t, fake, lms.SCIMConfig{})
			// A read first uses up a rate limit of one request a minute.
			if err := c.CheckAccess(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, err := c.Apply(context.Background(), create)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("got %v, want success", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
			}
			if got := len(fake.Mutations()); got != tt.attempts {
				t.Errorf("POSTs = %d, want %d", got, tt.attempts)
			}
		})
	}
}

// scimClock returns a clock that moves by step on every reading: with 40s,
// a rate-limit window of one minute holds two requests.
func scimClock(step time.Duration) func() time.Time {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		now = now.Add(step)
		return now
	}
}

func TestSCIMGroups(t *testing.T) {
	for _, patch := range []bool{true, false} {
		t.Run(fmt.Sprintf("patch supported %v", patch), func(t *testing.T) {
			fake := newSCIMFake(t, func(o *lmstest.SCIMOptions) { o.PatchSupported = patch })
			ann := fake.AddUser(lmstest.SCIMResource{"userName": "ann@example.com"})
			bob := fake.AddUser(lmstest.SCIMResource{"userName": "bob@example.com"})
			cy := fake.AddUser(lmstest.SCIMResource{"userName": "cy@example.com"})
			old := fake.AddGroup("Old", cy)
			c := newSCIM(t, fake, lms.SCIMConfig{})
			ctx := context.Background()

			id, err := c.CreateGroup(ctx, "Sales")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateGroup(ctx, "sales"); !errors.Is(err, lms.ErrTaken) {
				t.Errorf("a second group named sales: got %v, want ErrTaken", err)
			}
			for _, step := range []func() error{
				func() error { return c.RenameGroup(ctx, id, "Sales EMEA") },
				func() error { return c.AddMembers(ctx, id, []string{ann, bob, cy}) },
				func() error { return c.AddMembers(ctx, id, []string{bob}) }, // already in: no duplicate
				func() error { return c.RemoveMembers(ctx, id, []string{ann, cy}) },
				func() error { return c.AddMembers(ctx, id, nil) },
				func() error { return c.RemoveMembers(ctx, id, nil) },
			} {
				if err := step(); err != nil {
					t.Fatal(err)
				}
			}
			groups, err := c.ListGroups(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []reconcile.Group{{LMSID: old, Name: "Old", Members: []string{cy}}, {LMSID: id, Name: "Sales EMEA", Members: []string{bob}}}
			if !reflect.DeepEqual(groups, want) {
				t.Errorf("groups = %+v\nwant     %+v", groups, want)
			}
			if patch {
				var removes []any
				for _, r := range fake.Mutations() {
					if r.Method == http.MethodPatch {
						removes = scimBody(t, r)["Operations"].([]any) // the last PATCH: the removal
					}
				}
				wantOps := []any{
					map[string]any{"op": "remove", "path": `members[value eq "` + ann + `"]`},
					map[string]any{"op": "remove", "path": `members[value eq "` + cy + `"]`},
				}
				if !reflect.DeepEqual(removes, wantOps) {
					t.Errorf("removal ops = %v, want %v", removes, wantOps)
				}
			}
		})
	}
}

// TestSCIMConcurrentEditsWithoutPatch sends edits of one group and one
// user at once to a service without PATCH, as the runner's workers do: each
// is a GET and a PUT of the whole resource, and none may undo another.
func TestSCIMConcurrentEditsWithoutPatch(t *testing.T) {
	fake := newSCIMFake(t, func(o *lmstest.SCIMOptions) { o.PatchSupported = false })
	c := newSCIM(t, fake, lms.SCIMConfig{})
	ctx := context.Background()
	var users []string
	for i := range 16 {
		users = append(users, fake.AddUser(lmstest.SCIMResource{"userName": fmt.Sprintf("u%02d@example.com", i)}))
	}
	group := fake.AddGroup("Sales")
	person := users[0]
	edits := map[string]string{reconcile.FieldJobTitle: "Rep", reconcile.FieldDepartment: "Sales",
		reconcile.FieldBusinessUnit: "EMEA", reconcile.FieldLocale: "en_GB"}

	var wg sync.WaitGroup
	errs := make(chan error, len(users)+len(edits))
	for _, id := range users {
		wg.Go(func() { errs <- c.AddMembers(ctx, group, []string{id}) })
	}
	for field, v := range edits {
		wg.Go(func() {
			op := reconcile.Op{Action: reconcile.ActionUpdate, LMSID: person, Email: "u00@example.com",
				Changes: []reconcile.Change{{Field: field, After: v}},
				Record:  reconcile.User{Email: "u00@example.com", Fields: map[string]string{field: v}}}
			_, err := c.Apply(ctx, op)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	g, _ := fake.Group(group)
	if members, _ := g.Get("members").([]any); len(members) != len(users) {
		t.Errorf("the group has %d members, want all %d added at once", len(members), len(users))
	}
	u, _ := fake.User(person)
	for field, v := range edits {
		path := lms.DefaultSCIMAttributes()[field]
		if got := u.Get(path); got != v {
			t.Errorf("%s = %v, want %q: a concurrent PUT undid it", path, got, v)
		}
	}
}

func TestSCIMGroupsUnsupported(t *testing.T) {
	fake := newSCIMFake(t, func(o *lmstest.SCIMOptions) { o.NoGroups = true })
	c := newSCIM(t, fake, lms.SCIMConfig{})
	if _, err := c.ListGroups(context.Background()); !errors.Is(err, lms.ErrGroupsUnsupported) {
		t.Errorf("ListGroups: got %v, want ErrGroupsUnsupported", err)
	}
	if _, err := c.CreateGroup(context.Background(), "Sales"); !errors.Is(err, lms.ErrGroupsUnsupported) {
		t.Errorf("CreateGroup: got %v, want ErrGroupsUnsupported", err)
	}
	if got := scimCalls(fake.Requests()); !slices.Equal(got, []string{"GET /ResourceTypes"}) {
		t.Errorf("requests = %q: /ResourceTypes must be read once and nothing sent", got)
	}
}

func TestSCIMMissingCustomFields(t *testing.T) {
	fake := newSCIMFake(t, func(o *lmstest.SCIMOptions) { o.Auth, o.ExtensionSchemas = "static", scimLearnerblyExtension })
	c := newSCIM(t, fake, lms.LearnerblyPreset())
	names := []string{"approvers", lms.EnterpriseUserSchema + ":costCenter", "customField9", "Employee ID"}
	missing, known, err := c.MissingCustomFields(context.Background(), names)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"customField9", "Employee ID"}; !slices.Equal(missing, want) {
		t.Errorf("missing = %q, want %q", missing, want)
	}
	for _, path := range []string{"title", "name.givenName", lms.LearnerblySchema + ":approvers", lms.EnterpriseUserSchema + ":manager.value"} {
		if !slices.Contains(known, path) {
			t.Errorf("known lacks %s: %q", path, known)
		}
	}
	if slices.Contains(known, "members") {
		t.Errorf("known holds the Group schema's attributes: %q", known)
	}

	fake.InjectFault(lmstest.Fault{PathPrefix: scimBase + "/Schemas", Status: 404})
	missing, known, err = c.MissingCustomFields(context.Background(), names)
	if err != nil || !slices.Equal(missing, names) || len(known) != 0 {
		t.Errorf("without /Schemas: missing %q, known %q, %v; want every name missing, none known", missing, known, err)
	}
}

func TestNewSCIMNamesTheKey(t *testing.T) {
	tests := []struct {
		cfg  lms.SCIMConfig
		want string
	}{
		{lms.SCIMConfig{BaseURL: "::", Token: "t"}, "lms.url"},
		{lms.SCIMConfig{BaseURL: "https://lms.example.com/scim/v2"}, "lms.token"},
		{lms.SCIMConfig{BaseURL: "https://lms.example.com/scim/v2", Auth: "static"}, "lms.token"},
		{lms.SCIMConfig{BaseURL: "https://lms.example.com/scim/v2", Auth: "basic", Username: "u"}, "lms.username, lms.password"},
		{lms.SCIMConfig{BaseURL: "https://lms.example.com/scim/v2", Auth: "oauth", Token: "t"}, "lms.auth"},
		{lms.SCIMConfig{BaseURL: "https://lms.example.com/scim/v2", Token: "t", Attributes: map[string]string{"job_title": ""}}, "lms.attributes.job_title"},
		{lms.SCIMConfig{BaseURL: "https://lms.example.com/scim/v2", Token: "t", Schemas: []string{"enterprise"}}, "lms.schemas"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if _, err := lms.NewSCIM(tt.cfg); err == nil || !strings.HasPrefix(err.Error(), tt.want+":") {
				t.Fatalf("got %v, want an error starting %q", err, tt.want)
			}
		})
	}
}

func TestSCIMPresets(t *testing.T) {
	if got := lms.EasyLlamaPreset("https://api.easyllama.example/", "co 42").BaseURL; got != "https://api.easyllama.example/scim/v2/co%2042" {
		t.Errorf("EasyLlama base = %q", got)
	}
	lb := lms.LearnerblyPreset()
	if path, ok := lb.AttributePath("custom:approvers"); !ok || path != lms.LearnerblySchema+":approvers" || lb.Auth != lms.SCIMAuthStatic {
		t.Errorf("Learnerbly approvers at %q (%v), auth %q", path, ok, lb.Auth)
	}
	la := lms.LearnAmpSCIMPreset()
	if path, _ := la.AttributePath("manager_email"); path != lms.EnterpriseUserSchema+":manager" {
		t.Errorf("Learn Amp manager at %q", path)
	}
	for _, cfg := range []lms.SCIMConfig{lb, la, lms.EasyLlamaPreset("https://h", "c")} {
		cfg.BaseURL, cfg.Token = "https://lms.example.com/scim/v2", "t"
		if _, err := lms.NewSCIM(cfg); err != nil {
			t.Errorf("a preset is refused: %v", err)
		}
	}
}
