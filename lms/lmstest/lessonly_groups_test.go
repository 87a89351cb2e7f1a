package lmstest_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms/lmstest"
)

// groupFake returns a fake with users 1 (ext_uid 00u1), 2 and 3.
func groupFake(t *testing.T) *lmstest.Lessonly {
	t.Helper()
	f := newFake(t)
	f.AddUser(lmstest.LessonlyUser{Name: "Ann", Email: "ann@example.com", ExtUID: "00u1"})
	f.AddUser(lmstest.LessonlyUser{Name: "Bob", Email: "bob@example.com"})
	f.AddUser(lmstest.LessonlyUser{Name: "Cy", Email: "cy@example.com"})
	return f
}

func TestLessonlyGroupShapes(t *testing.T) {
	f := groupFake(t)
	now := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	f.Now = func() time.Time { return now }
	ann := map[string]any{"id": 1.0, "ext_uid": "00u1", "name": "Ann"}
	bob := map[string]any{"id": 2.0, "ext_uid": nil, "name": "Bob"}
	tests := []struct {
		method, path, body string
		status             int
		want               map[string]any
	}{
		{http.MethodPost, "/api/v1/groups", `{"name":"Sales","members":[{"id":1}]}`, http.StatusCreated, map[string]any{
			"type": "create_group", "resource_type": "group", "id": 1.0, "name": "Sales",
			"members": []any{ann}, "managers": []any{}, "archived_at": nil, "archived_by_user_id": nil}},
		{http.MethodPost, "/api/v1/groups", `{"name":"Sales"}`, http.StatusCreated, map[string]any{
			"type": "create_group", "resource_type": "group", "id": 2.0, "name": "Sales", // names may repeat
			"members": []any{}, "managers": []any{}, "archived_at": nil, "archived_by_user_id": nil}},
		{http.MethodPut, "/api/v1/groups/1", `{"name":"Sales EMEA","managers":[{"id":2}]}`, http.StatusOK, map[string]any{
			"type": "update_group", "resource_type": "group", "id": 1.0, "name": "Sales EMEA",
			"members": []any{ann}, "managers": []any{bob}, "archived_at": nil, "archived_by_user_id": nil}},
		{http.MethodPut, "/api/v1/groups/2/archive", "", http.StatusOK, map[string]any{
			"type": "group", "id": 2.0, "name": "Sales", "members": []any{}, "managers": []any{},
			"archived_at": "2024-05-06T07:08:09.123Z", "archived_by_user_id": nil}},
		{http.MethodGet, "/api/v1/groups/1", "", http.StatusOK, map[string]any{
			"type": "group", "id": 1.0, "name": "Sales EMEA", "members": []any{ann}, "managers": []any{bob},
			"archived_at": nil, "archived_by_user_id": nil}},
		{http.MethodGet, "/api/v1/groups", "", http.StatusOK, map[string]any{"type": "groups", "groups": []any{
			map[string]any{"id": 1.0, "name": "Sales EMEA", "archived_at": nil, "archived_by_user_id": nil},
			map[string]any{"id": 2.0, "name": "Sales", "archived_at": "2024-05-06T07:08:09.123Z", "archived_by_user_id": nil},
		}}},
		{http.MethodPut, "/api/v1/groups/2/restore", "", http.StatusOK, map[string]any{
			"type": "group", "id": 2.0, "name": "Sales", "members": []any{}, "managers": []any{},
			"archived_at": nil, "archived_by_user_id": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			status, m := do(t, f, tt.method, tt.path, tt.body)
			if status != tt.status || !reflect.DeepEqual(m, tt.want) {
				t.Errorf("got  %d %v\nwant %d %v", status, m, tt.status, tt.want)
			}
		})
	}
	want := []lmstest.LessonlyGroup{
		{ID: 1, Name: "Sales EMEA", Members: []int{1}, Managers: []int{2}},
		{ID: 2, Name: "Sales"},
	}
	if got := f.Groups(); !reflect.DeepEqual(got, want) {
		t.Errorf("Groups() = %+v\nwant %+v", got, want)
	}
}

func TestLessonlyGroupEdits(t *testing.T) {
	tests := []struct {
		name, body        string
		members, managers []int
	}{
		{"add", `{"members":[{"id":3},{"id":2}]}`, []int{1, 2, 3}, []int{3}},
		{"add a member again", `{"members":[{"id":1}]}`, []int{1}, []int{3}},
		{"remove", `{"members":[{"id":1,"remove":"true"}],"managers":[{"id":3,"remove":"true"}]}`, nil, nil},
		{"remove a non-member", `{"members":[{"id":2,"remove":"true"}]}`, []int{1}, []int{3}},
		{"add and remove in order", `{"members":[{"id":2},{"id":2,"remove":"true"},{"id":3}]}`, []int{1, 3}, []int{3}},
		{"members and managers are separate lists", `{"managers":[{"id":1}]}`, []int{1}, []int{1, 3}},
		// Only the documented string removes: a JSON true adds, as the real
		// API may well do, and a client sending it would be caught here.
		{"boolean remove adds", `{"members":[{"id":2,"remove":true}]}`, []int{1, 2}, []int{3}},
		{`"remove":"false" adds`, `{"members":[{"id":2,"remove":"false"}]}`, []int{1, 2}, []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := groupFake(t)
			id := f.AddGroup("Sales", 1)
			if status, m := do(t, f, http.MethodPut, fmt.Sprint("/api/v1/groups/", id), `{"managers":[{"id":3}]}`); status != http.StatusOK {
				t.Fatalf("seeding the manager: %d %v", status, m)
			}
			if status, m := do(t, f, http.MethodPut, fmt.Sprint("/api/v1/groups/", id), tt.body); status != http.StatusOK {
				t.Fatalf("got %d %v", status, m)
			}
			g, _ := f.Group(id)
			if !slices.Equal(g.Members, tt.members) || !slices.Equal(g.Managers, tt.managers) {
				t.Errorf("members %v managers %v, want %v and %v", g.Members, g.Managers, tt.members, tt.managers)
			}
		})
	}
}

func TestLessonlyGroupInvalid(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		status                   int
		msg                      string
	}{
		{"create without name", http.MethodPost, "/api/v1/groups", `{"members":[{"id":1}]}`, http.StatusBadRequest, "Name can't be blank"},
		{"create with blank name", http.MethodPost, "/api/v1/groups", `{"name":" "}`, http.StatusBadRequest, "Name can't be blank"},
		{"create with unknown member", http.MethodPost, "/api/v1/groups", `{"name":"X","members":[{"id":99}]}`, http.StatusBadRequest, "User 99 not found"},
		{"rename to blank", http.MethodPut, "/api/v1/groups/1", `{"name":""}`, http.StatusBadRequest, "Name can't be blank"},
		// The valid entries before the unknown one must not apply either.
		{"unknown member", http.MethodPut, "/api/v1/groups/1", `{"name":"New","members":[{"id":2},{"id":99}]}`, http.StatusBadRequest, "User 99 not found"},
		{"unknown manager", http.MethodPut, "/api/v1/groups/1", `{"managers":[{"id":98,"remove":"true"}]}`, http.StatusBadRequest, "User 98 not found"},
		{"not JSON", http.MethodPut, "/api/v1/groups/1", `name=X`, http.StatusBadRequest,
			`Request body must be a JSON object: {"name", "members": [{"id"}], "managers": [{"id"}]}`},
		{"members not a list", http.MethodPut, "/api/v1/groups/1", `{"members":{"id":2}}`, http.StatusBadRequest,
			`Request body must be a JSON object: {"name", "members": [{"id"}], "managers": [{"id"}]}`},
		{"unknown group", http.MethodGet, "/api/v1/groups/99", "", http.StatusNotFound, "Group not found"},
		{"non-numeric group", http.MethodPut, "/api/v1/groups/abc", `{"name":"X"}`, http.StatusNotFound, "Group not found"},
		{"archive unknown group", http.MethodPut, "/api/v1/groups/99/archive", "", http.StatusNotFound, "Group not found"},
		{"restore unknown group", http.MethodPut, "/api/v1/groups/99/restore", "", http.StatusNotFound, "Group not found"},
		{"no delete", http.MethodDelete, "/api/v1/groups/1", "", http.StatusNotFound, "Not Found"},
		{"no GET archive", http.MethodGet, "/api/v1/groups/1/archive", "", http.StatusNotFound, "Not Found"},
		{"no PUT on the collection", http.MethodPut, "/api/v1/groups", `{"name":"X"}`, http.StatusNotFound, "Not Found"},
		{"not in v1.1", http.MethodGet, "/api/v1.1/groups", "", http.StatusNotFound, "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := groupFake(t)
			f.AddGroup("Sales", 1)
			before := f.Groups()
			status, m := do(t, f, tt.method, tt.path, tt.body)
			wantError(t, status, m, tt.status, tt.msg)
			if after := f.Groups(); !reflect.DeepEqual(after, before) {
				t.Errorf("refused request changed the groups from %+v to %+v", before, after)
			}
		})
	}
}

func TestLessonlyGroupAccessors(t *testing.T) {
	f := groupFake(t)
	id := f.AddGroup("Sales", 3, 1, 3)
	g, ok := f.Group(id)
	if !ok || !reflect.DeepEqual(g, lmstest.LessonlyGroup{ID: id, Name: "Sales", Members: []int{1, 3}}) {
		t.Fatalf("Group(%d) = %+v, %v", id, g, ok)
	}
	g.Members[0] = 99
	f.Groups()[0].Members[1] = 99
	if again, _ := f.Group(id); !reflect.DeepEqual(again.Members, []int{1, 3}) {
		t.Errorf("a copy shares memory with the store: members now %v", again.Members)
	}
	if _, ok := f.Group(id + 1); ok {
		t.Error("Group found a group that does not exist")
	}
	defer func() {
		if recover() == nil {
			t.Error("AddGroup with an unknown user did not panic")
		}
	}()
	f.AddGroup("Ghosts", 99)
}

func TestLessonlyGroupRequests(t *testing.T) {
	f := groupFake(t)
	id := f.AddGroup("Sales")
	f.ResetRequests()
	do(t, f, http.MethodGet, "/api/v1/groups", "")
	do(t, f, http.MethodPut, fmt.Sprint("/api/v1/groups/", id), `{"members":[{"id":1}]}`)
	do(t, f, http.MethodPut, fmt.Sprint("/api/v1/groups/", id, "/archive"), "")
	want := []lmstest.Request{
		{Method: "PUT", Path: "/api/v1/groups/1", Body: []byte(`{"members":[{"id":1}]}`), Status: 200},
		{Method: "PUT", Path: "/api/v1/groups/1/archive", Status: 200},
	}
	if got := f.Mutations(); !reflect.DeepEqual(got, want) {
		t.Errorf("Mutations\n got %+v\nwant %+v", got, want)
	}
}
