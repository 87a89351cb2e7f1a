package lms_test

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms"
	"github.com/oktalms/oktalms/lms/lmstest"
	"github.com/oktalms/oktalms/reconcile"
)

// newGroupFake returns a fake with users 1, 2 and 3.
func newGroupFake(t *testing.T) *lmstest.Lessonly {
	t.Helper()
	fake := newFake(t)
	for _, name := range []string{"Ann", "Bob", "Cy"} {
		fake.AddUser(lmstest.LessonlyUser{Name: name, Email: strings.ToLower(name) + "@example.com"})
	}
	return fake
}

func TestLessonlyGroupWrites(t *testing.T) {
	fake := newGroupFake(t)
	fake.Now = func() time.Time { return time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC) }
	c := newLessonly(t, fake)
	ctx := context.Background()
	// The steps run in order on one group, which a fresh fake numbers 1.
	tests := []struct {
		name              string
		call              func() error
		request, body     string // the one write sent; "" for none
		groupName         string
		members, managers []int
		archived          bool
	}{
		{name: "create", call: func() error {
			id, err := c.CreateGroup(ctx, "Sales")
			if err == nil && id != "1" {
				t.Errorf("created group %q, want 1", id)
			}
			return err
		}, request: "POST /api/v1/groups", body: `{"name":"Sales"}`, groupName: "Sales"},
		{name: "rename keeps the id", call: func() error { return c.RenameGroup(ctx, "1", "Sales EMEA") },
			request: "PUT /api/v1/groups/1", body: `{"name":"Sales EMEA"}`, groupName: "Sales EMEA"},
		{name: "add members", call: func() error { return c.AddMembers(ctx, "1", []string{"1", "2"}) },
			request: "PUT /api/v1/groups/1", body: `{"members":[{"id":1},{"id":2}]}`,
			groupName: "Sales EMEA", members: []int{1, 2}},
		{name: "remove a member", call: func() error { return c.RemoveMembers(ctx, "1", []string{"1"}) },
			request: "PUT /api/v1/groups/1", body: `{"members":[{"id":1,"remove":"true"}]}`,
			groupName: "Sales EMEA", members: []int{2}},
		{name: "add managers", call: func() error { return c.AddManagers(ctx, "1", []string{"3", "2"}) },
			request: "PUT /api/v1/groups/1", body: `{"managers":[{"id":3},{"id":2}]}`,
			groupName: "Sales EMEA", members: []int{2}, managers: []int{2, 3}},
		{name: "remove a manager", call: func() error { return c.RemoveManagers(ctx, "1", []string{"3"}) },
			request: "PUT /api/v1/groups/1", body: `{"managers":[{"id":3,"remove":"true"}]}`,
			groupName: "Sales EMEA", members: []int{2}, managers: []int{2}},
		{name: "no users, no request", call: func() error { return c.AddMembers(ctx, "1", nil) },
			groupName: "Sales EMEA", members: []int{2}, managers: []int{2}},
		{name: "archive", call: func() error { return c.ArchiveGroup(ctx, "1") },
			request: "PUT /api/v1/groups/1/archive", groupName: "Sales EMEA", members: []int{2}, managers: []int{2}, archived: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.ResetRequests()
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			var sent []string
			for _, r := range fake.Requests() {
				sent = append(sent, r.Method+" "+r.Path+" "+string(r.Body))
			}
			var want []string
			if tt.request != "" {
				want = []string{tt.request + " " + tt.body}
			}
			if !slices.Equal(sent, want) {
				t.Errorf("requests = %q, want %q", sent, want)
			}
			groups := fake.Groups()
			if len(groups) != 1 {
				t.Fatalf("%d groups, want 1: %+v", len(groups), groups)
			}
			g := groups[0]
			if g.ID != 1 || g.Name != tt.groupName || !slices.Equal(g.Members, tt.members) ||
				!slices.Equal(g.Managers, tt.managers) || (g.ArchivedAt != nil) != tt.archived {
				t.Errorf("group = %+v, want 1 %q members %v managers %v archived %v",
					g, tt.groupName, tt.members, tt.managers, tt.archived)
			}
		})
	}
}

func TestLessonlyListGroups(t *testing.T) {
	fake := newGroupFake(t)
	sales := fake.AddGroup("Sales", 2, 1)
	fake.AddGroup("Cafe\u0301") // a decomposed é, as some clients type it
	old := fake.AddGroup("Old", 3)
	c := newLessonly(t, fake)
	ctx := context.Background()
	if err := c.AddManagers(ctx, strconv.Itoa(sales), []string{"3"}); err != nil {
		t.Fatal(err)
	}
	if err := c.ArchiveGroup(ctx, strconv.Itoa(old)); err != nil {
		t.Fatal(err)
	}
	fake.ResetRequests()

	got, err := c.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []reconcile.Group{
		{LMSID: "1", Name: "Sales", Members: []string{"1", "2"}, Managers: []string{"3"}},
		{LMSID: "2", Name: "Caf\u00e9"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups = %+v\nwant %+v", got, want)
	}
	var paths []string
	for _, r := range fake.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	// One listing, then one read per live group: the archived one is not read.
	wantPaths := []string{"GET /api/v1/groups", "GET /api/v1/groups/1", "GET /api/v1/groups/2"}
	if !slices.Equal(paths, wantPaths) {
		t.Errorf("requests = %q, want %q", paths, wantPaths)
	}
}

func TestLessonlyGroupErrors(t *testing.T) {
	rateLimited := `{"type":"error","error":"Rate Limit Exceeded"}`
	tests := []struct {
		name     string
		fault    *lmstest.Fault
		call     func(context.Context, *lms.Lessonly) error
		wantErr  string // "" = success
		requests int    // requests the fake received
	}{
		{name: "unknown group is a quoted 404", requests: 1,
			call:    func(ctx context.Context, c *lms.Lessonly) error { return c.RenameGroup(ctx, "99", "X") },
			wantErr: `rename Lessonly group 99 to "X": PUT /api/v1/groups/99: 404 Group not found`},
		{name: "archive of an unknown group", requests: 1,
			call:    func(ctx context.Context, c *lms.Lessonly) error { return c.ArchiveGroup(ctx, "99") },
			wantErr: "archive Lessonly group 99: PUT /api/v1/groups/99/archive: 404 Group not found"},
		{name: "manager of an unknown group", requests: 1,
			call:    func(ctx context.Context, c *lms.Lessonly) error { return c.RemoveManagers(ctx, "99", []string{"1"}) },
			wantErr: "remove 1 manager from Lessonly group 99: PUT /api/v1/groups/99: 404 Group not found"},
		{name: "unknown member is a quoted 400, not retried", requests: 1,
			call:    func(ctx context.Context, c *lms.Lessonly) error { return c.AddMembers(ctx, "1", []string{"2", "99"}) },
			wantErr: "add 2 members to Lessonly group 1: PUT /api/v1/groups/1: 400 User 99 not found"},
		{name: "blank name", requests: 1,
			call:    func(ctx context.Context, c *lms.Lessonly) error { _, err := c.CreateGroup(ctx, ""); return err },
			wantErr: `create Lessonly group "": POST /api/v1/groups: 400 Name can't be blank`},
		{name: "non-numeric group id is never sent",
			call:    func(ctx context.Context, c *lms.Lessonly) error { return c.AddMembers(ctx, "abc", []string{"1"}) },
			wantErr: `add 1 member to Lessonly group abc: group "abc" is not a Lessonly id`},
		{name: "non-numeric user id is never sent",
			call: func(ctx context.Context, c *lms.Lessonly) error {
				return c.RemoveMembers(ctx, "1", []string{"1", "00u1"})
			},
			wantErr: `remove 2 members from Lessonly group 1: user "00u1" is not a Lessonly id`},
		{name: "403 rate limit on a write is retried", requests: 3,
			fault: &lmstest.Fault{Method: "PUT", Times: 2, Status: 403, Body: rateLimited},
			call:  func(ctx context.Context, c *lms.Lessonly) error { return c.AddManagers(ctx, "1", []string{"2"}) }},
		{name: "403 rate limit on a group read is retried", requests: 3,
			fault: &lmstest.Fault{Method: "GET", PathPrefix: "/api/v1/groups/", Times: 1, Status: 403, Body: rateLimited},
			call:  func(ctx context.Context, c *lms.Lessonly) error { _, err := c.ListGroups(ctx); return err }},
		// Never a partial listing: a diff against it would remove people.
		{name: "a failed group read fails the listing", requests: 2,
			fault:   &lmstest.Fault{Method: "GET", PathPrefix: "/api/v1/groups/1", Status: 404, Body: `{"type":"error","error":"Group not found"}`},
			call:    func(ctx context.Context, c *lms.Lessonly) error { _, err := c.ListGroups(ctx); return err },
			wantErr: `read the members of Lessonly group 1 "Sales": GET /api/v1/groups/1: 404 Group not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newGroupFake(t)
			fake.AddGroup("Sales", 1)
			if tt.fault != nil {
				fake.InjectFault(*tt.fault)
			}
			err := tt.call(context.Background(), newLessonly(t, fake))
			if tt.wantErr == "" && err != nil {
				t.Fatalf("got %v, want success", err)
			}
			if tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("got  %v\nwant %s", err, tt.wantErr)
			}
			if got := len(fake.Requests()); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
		})
	}
}
