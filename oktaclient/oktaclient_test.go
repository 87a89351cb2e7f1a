package oktaclient_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/oktalms/oktalms/oktaclient"
	"github.com/oktalms/oktalms/oktaclient/oktatest"
	"github.com/oktalms/oktalms/reconcile"
)

func testMapping() oktaclient.Mapping {
	return oktaclient.Mapping{
		Name:            "{firstName} {lastName}",
		Fields:          map[string]string{"job_title": "title", "hire_date": "hireDate"},
		Custom:          map[string]string{"Employee ID": "employeeNumber"},
		HireDateFormats: []string{"2006-01-02", "01/02/2006"},
		DefaultRole:     "learner",
	}
}

func newClient(t *testing.T, srv *oktatest.Server, groups ...string) *oktaclient.Client {
	t.Helper()
	c, err := oktaclient.New(context.Background(), oktaclient.Config{
		OrgURL: srv.URL, Token: srv.Token, Groups: groups, Mapping: testMapping(),
		RequestTimeout: 5 * time.Second, MaxRetries: 2, RetryBaseDelay: time.Millisecond, UserAgent: "oktalms/test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func profile(first, last string, extra ...any) map[string]any {
	p := map[string]any{
		"login": strings.ToLower(first) + "@example.com", "email": strings.ToLower(first) + "@example.com",
		"firstName": first, "lastName": last,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i].(string)] = extra[i+1]
	}
	return p
}

func byID(users []reconcile.User) map[string]reconcile.User {
	m := make(map[string]reconcile.User, len(users))
	for _, u := range users {
		m[u.OktaID] = u
	}
	return m
}

func TestPullMapsMembersOfEveryScopeGroupOnce(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	learners := srv.AddGroup("LMS Learners")
	contractors := srv.AddGroup("Contractors")
	srv.AddGroup("LMS Learners Archive") // a name that only starts the same must not match

	alice := srv.AddUser(oktatest.User{Profile: profile("Alice", "Ng", "title", "Engineer", "hireDate", "03/04/2021", "employeeNumber", 42.0)})
	bob := srv.AddUser(oktatest.User{Status: "SUSPENDED", Profile: profile("Bob", "Stone")})
	cy := srv.AddUser(oktatest.User{Status: "STAGED", Profile: profile("Cy", "Ro")})
	outsider := srv.AddUser(oktatest.User{Profile: profile("Out", "Sider")})
	for _, id := range []string{alice, bob, cy} {
		srv.AddMember(learners, id)
	}
	srv.AddMember(contractors, alice) // in two scope groups: mapped once

	client := newClient(t, srv, "LMS Learners", contractors)
	var heard []int
	var mu stdsync.Mutex
	client.OnPulled = func(people int) { mu.Lock(); heard = append(heard, people); mu.Unlock() }
	state, err := client.Pull(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(state.Users) != 3 {
		t.Fatalf("got %d users, want 3 (alice once, bob, cy)", len(state.Users))
	}
	if slices.Sort(heard); !reflect.DeepEqual(heard, []int{1, 2, 3}) {
		t.Errorf("OnPulled heard %v, want 1, 2, 3: each person counted once", heard)
	}
	users := byID(state.Users)
	if _, ok := users[outsider]; ok {
		t.Error("a user of no scope group was pulled")
	}
	want := reconcile.User{OktaID: alice, Email: "alice@example.com", Name: "Alice Ng", Role: "learner", Active: true,
		Fields: map[string]string{"job_title": "Engineer", "hire_date": "2021-03-04"},
		Custom: map[string]string{"Employee ID": "42"}}
	if got := users[alice]; !reflect.DeepEqual(got, want) {
		t.Errorf("alice = %+v\nwant %+v", got, want)
	}
	if users[bob].Active || users[cy].Active {
		t.Errorf("SUSPENDED and STAGED users must be inactive: bob %v, cy %v", users[bob].Active, users[cy].Active)
	}
}

func TestPullFollowsEveryPage(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	g := srv.AddGroup("Everyone")
	ids := srv.GenerateUsers(450, []string{g})

	state, err := newClient(t, srv, "Everyone").Pull(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(state.Users) != len(ids) {
		t.Errorf("got %d users, want %d", len(state.Users), len(ids))
	}
	var pages []string
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/users") {
			pages = append(pages, r.RawQuery)
		}
	}
	if len(pages) != 3 {
		t.Errorf("member pages requested = %d (%q), want 3 of 200", len(pages), pages)
	}
	for _, q := range pages {
		if !strings.Contains(q, "limit=200") {
			t.Errorf("page request %q does not ask limit=200", q)
		}
	}
}

func TestPullFailsWholeOnAnyIncompleteListing(t *testing.T) {
	tests := []struct {
		name    string
		groups  []string
		fault   *oktatest.Fault
		wantErr string
	}{
		{name: "unknown group name", groups: []string{"No Such Group"}, wantErr: `no Okta group is named "No Such Group"`},
		{name: "page 3 keeps failing", groups: []string{"Everyone"},
			fault:   &oktatest.Fault{PathPrefix: "/api/v1/groups/", Skip: 2, Status: 500},
			wantErr: "page 3"},
		{name: "bad token", groups: []string{"Everyone"}, fault: &oktatest.Fault{Status: 401}, wantErr: "Everyone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oktatest.NewServer()
			defer srv.Close()
			g := srv.AddGroup("Everyone")
			srv.GenerateUsers(450, []string{g})
			if tt.fault != nil {
				srv.InjectFault(*tt.fault)
			}
			state, err := newClient(t, srv, tt.groups...).Pull(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
			if len(state.Users) != 0 {
				t.Errorf("a failed pull returned %d users; it must return none", len(state.Users))
			}
		})
	}
}

func TestPullRetriesServerErrors(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	g := srv.AddGroup("Everyone")
	srv.GenerateUsers(10, []string{g})
	srv.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/groups/" + g + "/users", Times: 2, Status: 503})

	state, err := newClient(t, srv, "Everyone").Pull(context.Background())
	if err != nil {
		t.Fatalf("two 503s within the retry budget must not fail the pull: %v", err)
	}
	if len(state.Users) != 10 {
		t.Errorf("got %d users, want 10", len(state.Users))
	}
}

func TestPullReportsBadPeopleAndGoesOn(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	g := srv.AddGroup("Everyone")
	good := srv.AddUser(oktatest.User{Profile: profile("Good", "Person")})
	badMail := srv.AddUser(oktatest.User{Profile: profile("Bad", "Mail", "email", "bad-at-example.com")})
	badDate := srv.AddUser(oktatest.User{Profile: profile("Late", "Date", "hireDate", "yesterday", "title", "Chef")})
	for _, id := range []string{good, badMail, badDate} {
		srv.AddMember(g, id)
	}

	state, err := newClient(t, srv, "Everyone").Pull(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range state.Problems {
		got = append(got, fmt.Sprintf("%s %s=%q skip=%v", p.OktaID, p.Field, p.Value, p.SkipUser))
	}
	sort.Strings(got)
	want := []string{
		fmt.Sprintf("%s email=%q skip=true", badMail, "bad-at-example.com"),
		fmt.Sprintf("%s hire_date=%q skip=false", badDate, "yesterday"),
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
	users := byID(state.Users)
	if _, ok := users[badMail]; ok {
		t.Error("a person with a bad email must not be in the pull")
	}
	if u := users[badDate]; u.Fields["job_title"] != "Chef" {
		t.Errorf("a bad hire date must skip only that field; got %+v", u)
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url     string
		wantErr string
	}{
		{"https://acme.okta.com", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://localhost:8080", ""},
		{"http://[::1]:8080", ""},
		{"http://acme.okta.com", "must use https"},
		{"http://10.0.0.5", "must use https"},
		{"ftp://acme.okta.com", "must be an https URL"},
		{"acme.okta.com", "is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := oktaclient.CheckURL("okta.org_url", tt.url)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "okta.org_url") {
				t.Fatalf("got %v, want okta.org_url: …%s", err, tt.wantErr)
			}
		})
	}
}

func TestPullStopsWhenCancelled(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	g := srv.AddGroup("Everyone")
	srv.GenerateUsers(5, []string{g})
	srv.SetLatency(2 * time.Second)
	c := newClient(t, srv, "Everyone")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Pull(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}

func TestPullWaitsOutOktaRateLimit(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	g := srv.AddGroup("Everyone")
	srv.GenerateUsers(3, []string{g})
	srv.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/groups/" + g + "/users", Times: 1, Status: 429})

	state, err := newClient(t, srv, "Everyone").Pull(context.Background())
	if err != nil {
		t.Fatalf("one 429 must be waited out, not fail the pull: %v", err)
	}
	if len(state.Users) != 3 {
		t.Errorf("got %d users, want 3", len(state.Users))
	}
}

func TestManyScopeGroupsAreResolvedFromOneListing(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	var names []string
	for i := range 450 {
		name := fmt.Sprintf("Team %03d", i)
		g := srv.AddGroup(name)
		srv.GenerateUsers(1, []string{g})
		names = append(names, name)
	}
	state, err := newClient(t, srv, names...).Pull(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(state.Users) != 450 {
		t.Errorf("got %d users, want 450", len(state.Users))
	}
	lookups := 0
	for _, r := range srv.Requests() {
		if r.Path == "/api/v1/groups" {
			lookups++
		}
	}
	if lookups != 3 {
		t.Errorf("%d group listing requests, want 3 pages of 200 rather than one lookup per name", lookups)
	}

	_, err = newClient(t, srv, append(names, "Team 999")...).Pull(context.Background())
	if err == nil || !strings.Contains(err.Error(), `no Okta group is named "Team 999"`) {
		t.Errorf("got %v, want the unknown name reported", err)
	}
}
