package oktaclient_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oktalms/oktalms/oktaclient"
	"github.com/oktalms/oktalms/oktaclient/oktatest"
	"github.com/oktalms/oktalms/reconcile"
)

// testConfig is a valid configuration whose scope is the group "Staff".
func testConfig(srv *oktatest.Server) oktaclient.Config {
	return oktaclient.Config{
		OrgURL: srv.URL, Token: srv.Token, Groups: []string{"Staff"}, Mapping: testMapping(),
		RequestTimeout: 5 * time.Second, MaxRetries: 2, RetryBaseDelay: time.Millisecond, UserAgent: "oktalms/test",
	}
}

func newConfigClient(t *testing.T, cfg oktaclient.Config) *oktaclient.Client {
	t.Helper()
	c, err := oktaclient.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// groupOrg is an org whose scope is Staff (alice, bob, and cy, suspended),
// with groups to mirror that hold people out of scope too.
type groupOrg struct {
	srv                                         *oktatest.Server
	alice, bob, cy, outsider                    string
	staff, sales, support, salesMgrs, unrelated string
}

func newGroupOrg(t *testing.T) groupOrg {
	srv := oktatest.NewServer()
	t.Cleanup(srv.Close)
	o := groupOrg{srv: srv,
		staff: srv.AddGroup("Staff"), sales: srv.AddGroup("LMS-Sales"), support: srv.AddGroup("lms-Support"),
		salesMgrs: srv.AddGroup("LMS-Sales Managers"), unrelated: srv.AddGroup("Sales"),
		alice:    srv.AddUser(oktatest.User{Profile: profile("Alice", "Ng")}),
		bob:      srv.AddUser(oktatest.User{Profile: profile("Bob", "Stone")}),
		cy:       srv.AddUser(oktatest.User{Status: "SUSPENDED", Profile: profile("Cy", "Ro")}),
		outsider: srv.AddUser(oktatest.User{Profile: profile("Out", "Sider")}),
	}
	member := func(g string, users ...string) {
		for _, u := range users {
			srv.AddMember(g, u)
		}
	}
	member(o.staff, o.alice, o.bob, o.cy)
	member(o.sales, o.alice, o.bob, o.outsider)
	member(o.support, o.cy)
	member(o.salesMgrs, o.bob, o.outsider)
	member(o.unrelated, o.alice)
	return o
}

// sorted returns the ids sorted, as Pull lists members.
func sorted(ids ...string) []string { return slices.Sorted(slices.Values(ids)) }

func TestPullListsSyncedGroups(t *testing.T) {
	o := newGroupOrg(t)
	sales := reconcile.Group{OktaID: o.sales, Name: "LMS-Sales", Members: sorted(o.alice, o.bob)}
	salesManaged := sales
	salesManaged.Managers = []string{o.bob}
	support := reconcile.Group{OktaID: o.support, Name: "lms-Support", Members: []string{o.cy}}
	salesMgrs := reconcile.Group{OktaID: o.salesMgrs, Name: "LMS-Sales Managers", Members: []string{o.bob}}

	tests := []struct {
		name     string
		sync     []string
		managers string
		want     []reconcile.Group
	}{
		{name: "none", want: nil},
		{name: "by name, any letter case", sync: []string{"lms-sales"}, want: []reconcile.Group{sales}},
		{name: "by id", sync: []string{o.support}, want: []reconcile.Group{support}},
		{name: "by prefix", sync: []string{"LMS-*"}, want: []reconcile.Group{sales, support, salesMgrs}},
		{name: "twice", sync: []string{"LMS-Sales", o.sales, "LMS-Sa*"}, want: []reconcile.Group{sales, salesMgrs}},
		{name: "managers group by the template", sync: []string{"LMS-Sales", "lms-Support"}, managers: "{name} Managers",
			want: []reconcile.Group{salesManaged, support}},
		{name: "a prefix leaves out managers groups", sync: []string{"LMS-*"}, managers: "{name} Managers",
			want: []reconcile.Group{salesManaged, support}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(o.srv)
			cfg.SyncGroups, cfg.ManagersGroup = tt.sync, tt.managers
			state, err := newConfigClient(t, cfg).Pull(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tt.want)
			slices.SortFunc(want, func(a, b reconcile.Group) int { return strings.Compare(a.OktaID, b.OktaID) })
			if !reflect.DeepEqual(state.Groups, want) {
				t.Errorf("groups = %+v\nwant     %+v", state.Groups, want)
			}
			if len(state.Users) != 3 {
				t.Errorf("got %d users, want the 3 in scope: synced groups must not widen the scope", len(state.Users))
			}
		})
	}
}

func TestPullShowsARenamedGroupUnderItsNewName(t *testing.T) {
	o := newGroupOrg(t)
	cfg := testConfig(o.srv)
	cfg.SyncGroups = []string{o.sales}
	c := newConfigClient(t, cfg)
	pull := func() reconcile.Group {
		t.Helper()
		state, err := c.Pull(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(state.Groups) != 1 {
			t.Fatalf("groups = %+v, want one", state.Groups)
		}
		return state.Groups[0]
	}
	before := pull()
	o.srv.RenameGroup(o.sales, "LMS-Revenue")
	after := pull()
	if after.OktaID != before.OktaID || after.Name != "LMS-Revenue" || !slices.Equal(after.Members, before.Members) {
		t.Errorf("after the rename: %+v, want %+v named LMS-Revenue", after, before)
	}
}

func TestPullListsEachGroupOnce(t *testing.T) {
	o := newGroupOrg(t)
	cfg := testConfig(o.srv)
	// Staff plays every part: scope, role, synced and (by the template) managers group.
	cfg.SyncGroups = []string{"Staff", "LMS-Sales"}
	cfg.ManagersGroup = "{name}"
	cfg.Roles = []oktaclient.RoleRule{{Group: "Staff", Role: "creator"}, {Group: o.sales, Role: "admin"}}
	o.srv.ResetRequests()
	if _, err := newConfigClient(t, cfg).Pull(context.Background()); err != nil {
		t.Fatal(err)
	}
	listed := map[string]int{}
	for _, r := range o.srv.Requests() {
		if strings.HasSuffix(r.Path, "/users") {
			listed[r.Path]++
		}
	}
	want := map[string]int{"/api/v1/groups/" + o.staff + "/users": 1, "/api/v1/groups/" + o.sales + "/users": 1}
	if !reflect.DeepEqual(listed, want) {
		t.Errorf("member listings = %v, want %v", listed, want)
	}
}

func TestPullGivesRoles(t *testing.T) {
	o := newGroupOrg(t)
	tests := []struct {
		name  string
		rules []oktaclient.RoleRule
		want  map[string]string // Okta id → role
	}{
		{name: "no rules: the default role", want: map[string]string{o.alice: "learner", o.bob: "learner", o.cy: "learner"}},
		{name: "first match wins",
			rules: []oktaclient.RoleRule{{Group: "LMS-Sales Managers", Role: "manager"}, {Group: o.sales, Role: "creator"}},
			want:  map[string]string{o.alice: "creator", o.bob: "manager", o.cy: "learner"}},
		{name: "the order of the rules decides",
			rules: []oktaclient.RoleRule{{Group: o.sales, Role: "creator"}, {Group: "LMS-Sales Managers", Role: "manager"}},
			want:  map[string]string{o.alice: "creator", o.bob: "creator", o.cy: "learner"}},
		{name: "a scope group gives a role too",
			rules: []oktaclient.RoleRule{{Group: "lms-support", Role: "admin"}, {Group: "Staff", Role: "creator"}},
			want:  map[string]string{o.alice: "creator", o.bob: "creator", o.cy: "admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(o.srv)
			cfg.Roles = tt.rules
			state, err := newConfigClient(t, cfg).Pull(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, u := range state.Users {
				got[u.OktaID] = u.Role
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("roles = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPullFailsOnAMissingGroup(t *testing.T) {
	const noSuchID = "00g0000000000000none"
	tests := []struct {
		name    string
		edit    func(groupOrg, *oktaclient.Config)
		wantErr string
	}{
		{name: "role group by name", edit: func(_ groupOrg, c *oktaclient.Config) {
			c.Roles = []oktaclient.RoleRule{{Group: "Staff", Role: "creator"}, {Group: "Admins", Role: "admin"}}
		}, wantErr: `mapping.roles[1].group: no Okta group is named "Admins"`},
		{name: "role group by id", edit: func(_ groupOrg, c *oktaclient.Config) {
			c.Roles = []oktaclient.RoleRule{{Group: noSuchID, Role: "admin"}}
		}, wantErr: "mapping.roles[0].group: no Okta group has the id " + noSuchID},
		{name: "synced group", edit: func(_ groupOrg, c *oktaclient.Config) {
			c.SyncGroups = []string{"LMS-*", "LMS-Marketing"}
		}, wantErr: `groups.sync[1]: no Okta group is named "LMS-Marketing"`},
		{name: "a prefix matching more groups than Okta answers", edit: func(o groupOrg, c *oktaclient.Config) {
			for i := range 200 {
				o.srv.AddGroup(fmt.Sprintf("LMS-Team %d", i))
			}
			c.SyncGroups = []string{"Staff", "LMS-*"}
		}, wantErr: `groups.sync[1]: "LMS-*": 200 or more Okta groups start with "LMS-"`},
		{name: "two managers groups of one name", edit: func(o groupOrg, c *oktaclient.Config) {
			o.srv.AddGroup("LMS-Sales Managers")
			c.SyncGroups, c.ManagersGroup = []string{"LMS-Sales"}, "{name} Managers"
		}, wantErr: `groups.managers: 2 Okta groups are named "LMS-Sales Managers"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newGroupOrg(t)
			cfg := testConfig(o.srv)
			tt.edit(o, &cfg)
			state, err := newConfigClient(t, cfg).Pull(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
			}
			if len(state.Users) != 0 || len(state.Groups) != 0 {
				t.Errorf("a failed pull returned %d users and %d groups; it must return none", len(state.Users), len(state.Groups))
			}
		})
	}
}

func TestPullFailsWhenASyncedGroupCannotBeListed(t *testing.T) {
	o := newGroupOrg(t)
	o.srv.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/groups/" + o.sales + "/users", Status: 500})
	cfg := testConfig(o.srv)
	cfg.SyncGroups = []string{"LMS-*"}
	state, err := newConfigClient(t, cfg).Pull(context.Background())
	if err == nil || !strings.Contains(err.Error(), "LMS-Sales") {
		t.Fatalf("err = %v, want one naming LMS-Sales", err)
	}
	if len(state.Users) != 0 {
		t.Errorf("a failed pull returned %d users", len(state.Users))
	}
}

func TestValidateGroupsAndRoles(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	tests := []struct {
		name    string
		edit    func(*oktaclient.Config)
		wantErr string // the config key the error starts with; "" for none
	}{
		{name: "names, ids and prefixes", edit: func(c *oktaclient.Config) {
			c.SyncGroups = []string{"Sales", "00gabcdefghijklmnopq", "LMS-*"}
			c.ManagersGroup = "{name} Managers"
			c.Roles = []oktaclient.RoleRule{{Group: "Admins", Role: "admin"}}
		}},
		{name: "empty sync group", edit: func(c *oktaclient.Config) { c.SyncGroups = []string{"Sales", " "} }, wantErr: "groups.sync[1]:"},
		{name: "star inside", edit: func(c *oktaclient.Config) { c.SyncGroups = []string{"LMS-*-EU"} }, wantErr: "groups.sync[0]:"},
		{name: "every group", edit: func(c *oktaclient.Config) { c.SyncGroups = []string{"*"} }, wantErr: "groups.sync[0]:"},
		{name: "managers without {name}", edit: func(c *oktaclient.Config) {
			c.SyncGroups, c.ManagersGroup = []string{"Sales"}, "Managers"
		}, wantErr: "groups.managers:"},
		{name: "managers of nothing", edit: func(c *oktaclient.Config) { c.ManagersGroup = "{name} Managers" }, wantErr: "groups.managers:"},
		{name: "rule without group", edit: func(c *oktaclient.Config) {
			c.Roles = []oktaclient.RoleRule{{Group: "Admins", Role: "admin"}, {Role: "creator"}}
		}, wantErr: "mapping.roles[1].group:"},
		{name: "rule without role", edit: func(c *oktaclient.Config) {
			c.Roles = []oktaclient.RoleRule{{Group: "Admins", Role: " "}}
		}, wantErr: "mapping.roles[0].role:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(srv)
			tt.edit(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error starting %q", err, tt.wantErr)
			}
		})
	}
}
