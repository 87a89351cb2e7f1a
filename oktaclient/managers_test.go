package oktaclient_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/oktaclient"
	"github.com/oktalms/oktalms/oktaclient/oktatest"
	"github.com/oktalms/oktalms/reconcile"
)

const noSuchUser = "00uNoSuchUser0000000"

// managerOrg is an org whose scope, Staff, holds people with managers in
// scope, outside it, unknown, and held back by a bad email of their own.
type managerOrg struct {
	srv                                    *oktatest.Server
	boss, hal                              string // outside the scope
	alice, bob, cy, eve, dee, fay, ivy, jo string
}

func newManagerOrg(t *testing.T) managerOrg {
	srv := oktatest.NewServer()
	t.Cleanup(srv.Close)
	o := managerOrg{srv: srv}
	add := func(first, last string, extra ...any) string {
		return srv.AddUser(oktatest.User{Profile: profile(first, last, extra...)})
	}
	o.boss = add("Big", "Boss", "login", "boss@corp.example", "email", "boss@corp.example")
	o.hal = add("Hal", "Kay", "login", "hal", "email", "hal@corp.example") // a login that is no email
	o.bob = add("Bob", "Stone", "managerId", o.boss, "managerEmail", "BOSS@corp.example", "manager", map[string]any{"name": "Big"})
	o.alice = add("Alice", "Ng", "managerId", o.bob, "managerEmail", "bob@example.com", "manager", "Bob Stone")
	o.cy = add("Cy", "Ro", "managerId", o.boss, "managerEmail", "boss@corp.example", "manager", "Big Boss")
	o.eve = add("Eve", "Oh", "managerEmail", "boss@corp.example")
	o.dee = add("Dee", "Ko", "managerId", noSuchUser, "managerEmail", "ghost@example.com")
	o.fay = add("Fay", "Lu", "managerEmail", "hal@corp.example")
	o.ivy = add("Ivy", "Ma", "email", "not-an-email")
	o.jo = add("Jo", "Pe", "managerId", o.ivy, "managerEmail", "ivy@example.com")
	staff := srv.AddGroup("Staff")
	for _, id := range []string{o.alice, o.bob, o.cy, o.eve, o.dee, o.fay, o.ivy, o.jo} {
		srv.AddMember(staff, id)
	}
	return o
}

// managerConfig maps both manager fields plainly, from manager and managerEmail.
func managerConfig(srv *oktatest.Server, src oktaclient.ManagerSource) oktaclient.Config {
	cfg := testConfig(srv)
	cfg.Mapping.Fields = map[string]string{
		reconcile.FieldManagerName: "manager", reconcile.FieldManagerEmail: "managerEmail", reconcile.FieldJobTitle: "title",
	}
	cfg.Manager = src
	return cfg
}

// managerFields is the manager fields of each person pulled.
func managerFields(users []reconcile.User) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, u := range users {
		m := map[string]string{}
		for _, f := range []string{reconcile.FieldManagerName, reconcile.FieldManagerEmail} {
			if v, ok := u.Fields[f]; ok {
				m[f] = v
			}
		}
		out[u.OktaID] = m
	}
	return out
}

// managerProblems lists the problems with manager fields as "id field=value".
func managerProblems(problems []reconcile.Problem) []string {
	var out []string
	for _, p := range problems {
		if strings.HasPrefix(p.Field, "manager_") {
			if p.SkipUser || p.Message == "" {
				out = append(out, fmt.Sprintf("%+v skips the person or says nothing", p))
			}
			out = append(out, fmt.Sprintf("%s %s=%s", p.OktaID, p.Field, p.Value))
		}
	}
	slices.Sort(out)
	return out
}

// userLookups lists the paths of the requests for single users or user
// searches, sorted: the manager lookups, as the scope is read from groups.
func userLookups(srv *oktatest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/api/v1/users") {
			out = append(out, r.Path)
		}
	}
	slices.Sort(out)
	return out
}

func TestPullSetsManagers(t *testing.T) {
	o := newManagerOrg(t)
	const (
		name  = reconcile.FieldManagerName
		email = reconcile.FieldManagerEmail
	)
	bob := map[string]string{name: "Bob Stone", email: "bob@example.com"}
	boss := map[string]string{name: "Big Boss", email: "boss@corp.example"}
	none := map[string]string{}
	tests := []struct {
		name    string
		src     oktaclient.ManagerSource
		want    map[string]map[string]string
		wantPrb []string
		lookups []string
	}{
		{name: "display name attribute", src: oktaclient.ManagerSource{Attribute: "manager"},
			want: map[string]map[string]string{
				o.alice: bob, o.bob: {email: "BOSS@corp.example"}, o.cy: boss, o.eve: {email: "boss@corp.example"},
				o.dee: {email: "ghost@example.com"}, o.fay: {email: "hal@corp.example"}, o.jo: {email: "ivy@example.com"},
			},
			wantPrb: []string{o.bob + ` manager_name={"name":"Big"}`},
		},
		{name: "id: in scope without a request, outside once for two people", src: oktaclient.ManagerSource{IDAttribute: "managerId"},
			want: map[string]map[string]string{
				o.alice: bob, o.bob: boss, o.cy: boss, o.eve: none, o.dee: none, o.fay: none, o.jo: {name: "Ivy Ma"},
			},
			wantPrb: []string{o.dee + " manager_email=" + noSuchUser, o.dee + " manager_name=" + noSuchUser, o.jo + " manager_email=" + o.ivy},
			lookups: sorted("/api/v1/users/"+o.boss, "/api/v1/users/"+noSuchUser),
		},
		{name: "email: outside the scope once for three people", src: oktaclient.ManagerSource{EmailAttribute: "managerEmail"},
			want: map[string]map[string]string{
				o.alice: bob, o.bob: boss, o.cy: boss, o.eve: boss, o.dee: none,
				o.fay: {name: "Hal Kay", email: "hal@corp.example"}, o.jo: {name: "Ivy Ma"},
			},
			wantPrb: []string{o.dee + " manager_email=ghost@example.com", o.dee + " manager_name=ghost@example.com", o.jo + " manager_email=ivy@example.com"},
			// An email that is no login is searched for: still one lookup, of two requests.
			lookups: sorted("/api/v1/users/boss@corp.example", "/api/v1/users/ghost@example.com", "/api/v1/users",
				"/api/v1/users/hal@corp.example", "/api/v1/users"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConfigClient(t, managerConfig(o.srv, tt.src))
			o.srv.ResetRequests()
			state, err := c.Pull(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := managerFields(state.Users); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("manager fields = %v\nwant %v", got, tt.want)
			}
			if got := managerProblems(state.Problems); !slices.Equal(got, tt.wantPrb) {
				t.Errorf("problems = %q\nwant %q", got, tt.wantPrb)
			}
			if got := userLookups(o.srv); !slices.Equal(got, tt.lookups) {
				t.Errorf("user requests = %q\nwant %q", got, tt.lookups)
			}
		})
	}
}

func TestPullFollowsManagersRenames(t *testing.T) {
	o := newManagerOrg(t)
	cfg := managerConfig(o.srv, oktaclient.ManagerSource{EmailAttribute: "managerEmail"})
	c := newConfigClient(t, cfg)
	first, err := c.Pull(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	o.srv.SetProfile(o.boss, "lastName", "Boss-Smith") // outside the scope
	o.srv.SetProfile(o.bob, "firstName", "Robert")     // in scope
	second, err := c.Pull(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	plan := reconcile.Diff(second, first, nil, reconcile.Options{Fields: []string{reconcile.FieldManagerName}})
	got := map[string]string{}
	for _, op := range plan.Ops {
		for _, ch := range op.Changes {
			if ch.Field == reconcile.FieldManagerName {
				got[op.OktaID] = ch.Before + " → " + ch.After
			}
		}
	}
	want := map[string]string{
		o.alice: "Bob Stone → Robert Stone",
		o.bob:   "Big Boss → Big Boss-Smith", o.cy: "Big Boss → Big Boss-Smith", o.eve: "Big Boss → Big Boss-Smith",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("manager_name changes = %v\nwant %v", got, want)
	}
}

func TestPullFailsWhenAManagerCannotBeRead(t *testing.T) {
	o := newManagerOrg(t)
	o.srv.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/users/" + o.boss, Status: 500})
	state, err := newConfigClient(t, managerConfig(o.srv, oktaclient.ManagerSource{IDAttribute: "managerId"})).Pull(context.Background())
	if err == nil || !strings.Contains(err.Error(), o.boss) {
		t.Fatalf("err = %v, want one naming the manager %s", err, o.boss)
	}
	if len(state.Users) != 0 {
		t.Errorf("a failed pull returned %d users", len(state.Users))
	}
}

func TestValidateManagerSource(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	tests := []struct {
		name    string
		fields  map[string]string
		src     oktaclient.ManagerSource
		wantErr bool
	}{
		{name: "none", fields: map[string]string{"job_title": "title"}},
		{name: "id for both fields", fields: map[string]string{"manager_name": "manager", "manager_email": "managerEmail"},
			src: oktaclient.ManagerSource{IDAttribute: "managerId"}},
		{name: "email for the email alone", fields: map[string]string{"manager_email": "managerEmail"},
			src: oktaclient.ManagerSource{EmailAttribute: "managerEmail"}},
		{name: "two sources", fields: map[string]string{"manager_name": "manager"},
			src: oktaclient.ManagerSource{Attribute: "manager", IDAttribute: "managerId"}, wantErr: true},
		{name: "no manager field mapped", fields: map[string]string{"job_title": "title"},
			src: oktaclient.ManagerSource{IDAttribute: "managerId"}, wantErr: true},
		{name: "a display name cannot give an email", fields: map[string]string{"manager_email": "managerEmail"},
			src: oktaclient.ManagerSource{Attribute: "manager"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(srv)
			cfg.Mapping.Fields, cfg.Manager = tt.fields, tt.src
			err := cfg.Validate()
			if tt.wantErr != (err != nil) || err != nil && !strings.HasPrefix(err.Error(), "mapping.manager") {
				t.Fatalf("got %v, want an error naming mapping.manager: %v", err, tt.wantErr)
			}
		})
	}
}
