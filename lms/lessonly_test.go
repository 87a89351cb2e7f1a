package lms_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms"
	"github.com/oktalms/oktalms/lms/lmstest"
	"github.com/oktalms/oktalms/reconcile"
	oksync "github.com/oktalms/oktalms/sync"
)

func newLessonly(t *testing.T, fake *lmstest.Lessonly, mutate ...func(*lms.LessonlyConfig)) *lms.Lessonly {
	t.Helper()
	cfg := lms.LessonlyConfig{URL: fake.URL, Subdomain: fake.Subdomain, APIKey: fake.APIKey,
		Timeout: 2 * time.Second, Retry: lms.RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond},
		UserAgent: "oktalms/test"}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := lms.NewLessonly(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newFake(t *testing.T) *lmstest.Lessonly {
	t.Helper()
	f := lmstest.NewLessonly()
	t.Cleanup(f.Close)
	return f
}

// bodyKeys returns the sorted top-level keys of a mutation's JSON body.
func bodyKeys(t *testing.T, r lmstest.Request) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body of %s %s: %v", r.Method, r.Path, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestListUsersReadsEveryPageAndCustomData(t *testing.T) {
	fake := newFake(t)
	for i := 0; i < 2100; i++ {
		fake.AddUser(lmstest.LessonlyUser{Name: "User " + strconv.Itoa(i), Email: "u" + strconv.Itoa(i) + "@example.com"})
	}
	archived := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	id := fake.AddUser(lmstest.LessonlyUser{Name: "Zoe Old", Email: "ZOE@example.com", ExtUID: "00uz", JobTitle: "Chef",
		HireDate: "2020-01-02", ArchivedAt: &archived, Custom: map[string]string{"Employee ID": "7"}})

	users, err := newLessonly(t, fake).ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2101 {
		t.Fatalf("got %d users, want 2101", len(users))
	}
	var lists int
	for _, r := range fake.Requests() {
		if r.Path == "/api/v1.1/users" {
			lists++
			if !strings.Contains(r.RawQuery, "per_page=1000") {
				t.Errorf("listing %q does not ask per_page=1000", r.RawQuery)
			}
		}
	}
	if lists != 3 {
		t.Errorf("listing took %d requests, want 3", lists)
	}
	zoe := users[len(users)-1]
	want := reconcile.User{LMSID: strconv.Itoa(id), ExtUID: "00uz", Email: "ZOE@example.com", Name: "Zoe Old", Role: "learner",
		Active: false, Fields: map[string]string{"job_title": "Chef", "hire_date": "2020-01-02", "locale": "en"},
		Custom: map[string]string{"Employee ID": "7"}}
	if !reflect.DeepEqual(zoe, want) {
		t.Errorf("archived account = %+v\nwant %+v", zoe, want)
	}
}

func TestCreateIsSilentAndCarriesEverything(t *testing.T) {
	fake := newFake(t)
	fake.DefineCustomField("Employee ID")
	c := newLessonly(t, fake)
	rec := reconcile.User{OktaID: "00ua", Email: "alice@example.com", Name: "Alice Ng", Role: "learner", Active: true,
		Fields: map[string]string{"job_title": "Engineer", "hire_date": "2021-03-04"},
		Custom: map[string]string{"Employee ID": "42"}}
	op := reconcile.Op{Action: reconcile.ActionCreate, OktaID: "00ua", Email: rec.Email, Record: rec,
		Changes: []reconcile.Change{{Field: "email"}, {Field: "name"}, {Field: "job_title"}, {Field: "hire_date"}, {Field: "custom:Employee ID"}}}

	got, err := c.Apply(context.Background(), op)
	if err != nil {
		t.Fatal(err)
	}
	acct, ok := fake.User(atoi(t, got.LMSID))
	if !ok {
		t.Fatalf("no LMS account %s after create", got.LMSID)
	}
	if acct.ExtUID != "00ua" || acct.JobTitle != "Engineer" || acct.HireDate != "2021-03-04" || acct.Custom["Employee ID"] != "42" || acct.Role != "learner" {
		t.Errorf("account = %+v", acct)
	}
	if n := len(fake.WelcomeEmails()); n != 0 {
		t.Errorf("%d welcome emails sent, want none", n)
	}
	if names := fake.CustomFieldNames(); len(names) != 1 {
		t.Errorf("custom fields = %q: a field addressed by name must not create a second one", names)
	}
}

func TestWelcomeEmailWhenAsked(t *testing.T) {
	fake := newFake(t)
	c := newLessonly(t, fake, func(cfg *lms.LessonlyConfig) { cfg.SendWelcomeEmail = true })
	rec := reconcile.User{OktaID: "00ua", Email: "a@example.com", Name: "A B", Role: "learner", Active: true}
	if _, err := c.Apply(context.Background(), reconcile.Op{Action: reconcile.ActionCreate, OktaID: "00ua", Record: rec,
		Changes: []reconcile.Change{{Field: "email"}, {Field: "name"}}}); err != nil {
		t.Fatal(err)
	}
	if got := fake.WelcomeEmails(); !reflect.DeepEqual(got, []string{"a@example.com"}) {
		t.Errorf("welcome emails = %q, want one to a@example.com", got)
	}
}

func TestApplySendsOnlyWhatChanged(t *testing.T) {
	fake := newFake(t)
	archived := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	id := fake.AddUser(lmstest.LessonlyUser{Name: "Bob Stone", Email: "bob@example.com", ExtUID: "00ub", JobTitle: "Designer",
		Department: "Art", ArchivedAt: &archived})
	lmsID := strconv.Itoa(id)
	rec := reconcile.User{OktaID: "00ub", LMSID: lmsID, Email: "bob@example.com", Name: "Bob Stone", Active: true,
		Fields: map[string]string{"job_title": "Lead Designer", "department": "Art"}}
	c := newLessonly(t, fake)

	tests := []struct {
		name      string
		op        reconcile.Op
		wantPaths []string
		wantKeys  []string // keys of the final PUT body
	}{
		{
			name:      "reactivate restores then updates the changed field",
			op:        reconcile.Op{Action: reconcile.ActionReactivate, Changes: []reconcile.Change{{Field: "job_title"}}},
			wantPaths: []string{"PUT /api/v1/users/" + lmsID + "/restore", "PUT /api/v1/users/" + lmsID},
			wantKeys:  []string{"job_title"},
		},
		{
			name:      "update carries one field",
			op:        reconcile.Op{Action: reconcile.ActionUpdate, Changes: []reconcile.Change{{Field: "department"}}},
			wantPaths: []string{"PUT /api/v1/users/" + lmsID},
			wantKeys:  []string{"department"},
		},
		{
			name:      "link sets the ext_uid",
			op:        reconcile.Op{Action: reconcile.ActionLink, Changes: []reconcile.Change{{Field: "ext_uid"}}},
			wantPaths: []string{"PUT /api/v1/users/" + lmsID},
			wantKeys:  []string{"ext_uid"},
		},
		{
			name:      "archive",
			op:        reconcile.Op{Action: reconcile.ActionArchive},
			wantPaths: []string{"PUT /api/v1/users/" + lmsID + "/archive"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.ResetRequests()
			op := tt.op
			op.OktaID, op.LMSID, op.Email, op.Record = "00ub", lmsID, rec.Email, rec
			if _, err := c.Apply(context.Background(), op); err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, r := range fake.Mutations() {
				paths = append(paths, r.Method+" "+r.Path)
			}
			if !reflect.DeepEqual(paths, tt.wantPaths) {
				t.Fatalf("requests = %q, want %q", paths, tt.wantPaths)
			}
			if tt.wantKeys != nil {
				last := fake.Mutations()[len(fake.Mutations())-1]
				if got := bodyKeys(t, last); !reflect.DeepEqual(got, tt.wantKeys) {
					t.Errorf("body keys = %q, want %q", got, tt.wantKeys)
				}
			}
		})
	}
	acct, _ := fake.User(id)
	if acct.JobTitle != "Lead Designer" || acct.ArchivedAt == nil {
		t.Errorf("account after the sequence = %+v, want job_title Lead Designer and archived", acct)
	}
}

func TestRetriesAndErrors(t *testing.T) {
	rec := reconcile.User{OktaID: "00ua", Email: "a@example.com", Name: "A B", Role: "learner", Active: true}
	create := reconcile.Op{Action: reconcile.ActionCreate, OktaID: "00ua", Email: rec.Email, Record: rec,
		Changes: []reconcile.Change{{Field: "email"}, {Field: "name"}}}
	tests := []struct {
		name     string
		setup    func(*lmstest.Lessonly)
		wantErr  string // "" = success
		attempts int    // POSTs the fake received
	}{
		{name: "403 rate limit is retried", attempts: 3,
			setup: func(f *lmstest.Lessonly) {
				f.InjectFault(lmstest.Fault{Method: "POST", Times: 2, Status: 403, Body: `{"type":"error","error":"Rate Limit Exceeded"}`})
			}},
		{name: "429 is retried", attempts: 2,
			setup: func(f *lmstest.Lessonly) { f.InjectFault(lmstest.Fault{Method: "POST", Times: 1, Status: 429}) }},
		{name: "5xx is retried", attempts: 2,
			setup: func(f *lmstest.Lessonly) { f.InjectFault(lmstest.Fault{Method: "POST", Times: 1, Status: 502}) }},
		{name: "retries are bounded", attempts: 4, wantErr: "after 4 attempts",
			setup: func(f *lmstest.Lessonly) { f.InjectFault(lmstest.Fault{Method: "POST", Status: 503}) }},
		{name: "a plain 403 is the user's, not retried", attempts: 1, wantErr: "403 Forbidden",
			setup: func(f *lmstest.Lessonly) { f.InjectFault(lmstest.Fault{Method: "POST", Times: 1, Status: 403}) }},
		{name: "400 quotes the API and is not retried", attempts: 1, wantErr: "400 " + lmstest.LessonlyEmailTaken,
			setup: func(f *lmstest.Lessonly) { f.AddUser(lmstest.LessonlyUser{Name: "Other", Email: "A@example.com"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			tt.setup(fake)
			fake.ResetRequests()
			_, err := newLessonly(t, fake).Apply(context.Background(), create)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("got %v, want success", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "a@example.com") {
				t.Errorf("error %q does not name the person", err)
			}
			if got := len(fake.Mutations()); got != tt.attempts {
				t.Errorf("POSTs = %d, want %d", got, tt.attempts)
			}
		})
	}
}

func TestEveryCallHasADeadline(t *testing.T) {
	fake := newFake(t)
	fake.SetLatency(time.Second)
	c := newLessonly(t, fake, func(cfg *lms.LessonlyConfig) {
		cfg.Timeout = 30 * time.Millisecond
		cfg.Retry.MaxRetries = 0
	})
	start := time.Now()
	_, err := c.ListUsers(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no answer in time") {
		t.Fatalf("got %v, want a timeout", err)
	}
	if elapsed := time.Since(start); elapsed > 900*time.Millisecond {
		t.Errorf("the call waited %v for a server that answers after 1s; the deadline was not applied", elapsed)
	}
}

func TestCancelStopsRetries(t *testing.T) {
	fake := newFake(t)
	fake.InjectFault(lmstest.Fault{Status: 503})
	c := newLessonly(t, fake, func(cfg *lms.LessonlyConfig) {
		cfg.Retry = lms.RetryPolicy{MaxRetries: 100, BaseDelay: time.Hour, MaxDelay: time.Hour}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.ListUsers(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's deadline", err)
	}
}

func TestNewLessonlyNamesTheMissingKey(t *testing.T) {
	tests := []struct {
		cfg  lms.LessonlyConfig
		want string
	}{
		{lms.LessonlyConfig{URL: "::", Subdomain: "a", APIKey: "k"}, "lms.url"},
		{lms.LessonlyConfig{URL: "https://api.lessonly.com", APIKey: "k"}, "lms.subdomain"},
		{lms.LessonlyConfig{URL: "https://api.lessonly.com", Subdomain: "a"}, "lms.api_key"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if _, err := lms.NewLessonly(tt.cfg); err == nil || !strings.HasPrefix(err.Error(), tt.want+":") {
				t.Fatalf("got %v, want an error starting %q", err, tt.want)
			}
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTheRunsRetryBudgetBoundsRetries(t *testing.T) {
	fake := newFake(t)
	fake.InjectFault(lmstest.Fault{Status: 503})
	c := newLessonly(t, fake)
	ctx := oksync.WithRetryBudget(context.Background(), 2)

	_, err := c.ListUsers(ctx)
	if err == nil || !strings.Contains(err.Error(), "retry budget") {
		t.Fatalf("got %v, want the budget named", err)
	}
	if n := len(fake.Requests()); n != 3 {
		t.Errorf("%d requests, want 3: the first and the 2 retries of the budget", n)
	}
	if _, err := c.ListUsers(ctx); err == nil || len(fake.Requests()) != 4 {
		t.Errorf("with the budget spent, a call must fail without retrying (%d requests)", len(fake.Requests()))
	}
}
