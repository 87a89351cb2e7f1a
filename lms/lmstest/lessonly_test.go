package lmstest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms/lmstest"
)

func newFake(t *testing.T) *lmstest.Lessonly {
	t.Helper()
	f := lmstest.NewLessonly()
	t.Cleanup(f.Close)
	return f
}

// send performs req and decodes the JSON object it answers.
func send(t *testing.T, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("%s %s: Content-Type %q", req.Method, req.URL, ct)
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s %s: decoding body: %v", req.Method, req.URL, err)
	}
	return resp, m
}

func newRequest(t *testing.T, f *lmstest.Lessonly, method, path, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(f.Subdomain, f.APIKey)
	return req
}

// do sends an authenticated request and returns the status and JSON body.
func do(t *testing.T, f *lmstest.Lessonly, method, path, body string) (int, map[string]any) {
	t.Helper()
	resp, m := send(t, newRequest(t, f, method, path, body))
	return resp.StatusCode, m
}

func wantError(t *testing.T, status int, m map[string]any, wantStatus int, wantMsg string) {
	t.Helper()
	if status != wantStatus || m["type"] != "error" || m["error"] != wantMsg {
		t.Errorf("got %d %v, want %d error %q", status, m, wantStatus, wantMsg)
	}
}

func ids(m map[string]any) []int {
	var out []int
	for _, u := range m["users"].([]any) {
		out = append(out, int(u.(map[string]any)["id"].(float64)))
	}
	return out
}

func TestLessonlyAuth(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name       string
		user, pass string
		noAuth     bool
		want       int
	}{
		{name: "correct", user: "acme", pass: "test-lessonly-key", want: http.StatusOK},
		{name: "missing", noAuth: true, want: http.StatusUnauthorized},
		{name: "wrong key", user: "acme", pass: "nope", want: http.StatusUnauthorized},
		{name: "wrong subdomain", user: "other", pass: "test-lessonly-key", want: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, f, http.MethodGet, "/api/v1/users", "")
			if tt.noAuth {
				req.Header.Del("Authorization")
			} else {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			resp, m := send(t, req)
			if tt.want == http.StatusOK {
				if resp.StatusCode != http.StatusOK || m["type"] != "users" {
					t.Errorf("got %d %v", resp.StatusCode, m)
				}
				return
			}
			wantError(t, resp.StatusCode, m, tt.want, "Unauthorized")
		})
	}
}

func TestLessonlyPaging(t *testing.T) {
	f := newFake(t)
	archived := time.Date(2019, 2, 1, 2, 51, 40, 0, time.UTC)
	for i := range 5 {
		u := lmstest.LessonlyUser{Name: fmt.Sprint("User ", i), Email: fmt.Sprintf("u%d@example.com", i)}
		if i == 2 {
			u.ArchivedAt = &archived
		}
		f.AddUser(u)
	}
	tests := []struct {
		query                string
		page, perPage, pages int
		ids                  []int
	}{
		{"?page=1&per_page=2", 1, 2, 3, []int{1, 2}},
		{"?page=2&per_page=2", 2, 2, 3, []int{3, 4}},
		{"?page=3&per_page=2", 3, 2, 3, []int{5}},
		{"?page=4&per_page=2", 4, 2, 3, nil},
		{"", 1, 50, 1, []int{1, 2, 3, 4, 5}},
		{"?page=0&per_page=-3", 1, 50, 1, []int{1, 2, 3, 4, 5}},
		{"?per_page=5000", 1, 1000, 1, []int{1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			status, m := do(t, f, http.MethodGet, "/api/v1/users"+tt.query, "")
			if status != http.StatusOK || m["type"] != "users" {
				t.Fatalf("got %d %v", status, m)
			}
			got := []float64{m["total_users"].(float64), m["total_pages"].(float64), m["page"].(float64), m["per_page"].(float64)}
			want := []float64{5, float64(tt.pages), float64(tt.page), float64(tt.perPage)}
			if !slices.Equal(got, want) {
				t.Errorf("total_users, total_pages, page, per_page = %v, want %v", got, want)
			}
			if !slices.Equal(ids(m), tt.ids) {
				t.Errorf("ids %v, want %v", ids(m), tt.ids)
			}
		})
	}
}

func TestLessonlyUserShape(t *testing.T) {
	f := newFake(t)
	archived := time.Date(2019, 2, 1, 2, 51, 40, 436e6, time.FixedZone("EST", -5*3600))
	f.AddUser(lmstest.LessonlyUser{ID: 78, Name: "Ann", Email: "ann@example.com", ArchivedAt: &archived})
	_, m := do(t, f, http.MethodGet, "/api/v1/users/78", "")
	want := map[string]any{
		"type": "user", "id": 78.0, "resource_type": "user", "ext_uid": nil, "email": "ann@example.com",
		"name": "Ann", "role": "learner", "role_id": nil, "archived_at": "2019-02-01T02:51:40.436-05:00",
		"archived_by_user_id": nil, "job_title": "", "business_unit": "", "department": "", "location": "",
		"locale": "en", "hire_date": nil, "manager_name": "", "custom_user_field_data": []any{},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got  %v\nwant %v", m, want)
	}
}

func TestLessonlyVersions(t *testing.T) {
	f := newFake(t)
	id := f.AddUser(lmstest.LessonlyUser{Name: "Ann", Email: "ann@example.com", Custom: map[string]string{"Employee ID": "42"}})
	wantData := []any{map[string]any{"id": 1.0, "custom_user_field_id": 1.0, "name": "Employee ID", "value": "42"}}
	wantGroups := map[string]any{"member": []any{}, "manager": []any{}}
	tests := []struct {
		path            string
		list, hasGroups bool
		hasCustom       bool
	}{
		{"/api/v1/users", true, false, false},
		{"/api/v1.1/users", true, true, true},
		{fmt.Sprint("/api/v1/users/", id), false, false, true},
		{fmt.Sprint("/api/v1.1/users/", id), false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, m := do(t, f, http.MethodGet, tt.path, "")
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			u := m
			if tt.list {
				u = m["users"].([]any)[0].(map[string]any)
			} else if m["type"] != "user" {
				t.Errorf("type %v, want user", m["type"])
			}
			data, ok := u["custom_user_field_data"]
			if ok != tt.hasCustom || ok && !reflect.DeepEqual(data, wantData) {
				t.Errorf("custom_user_field_data = %v (present %v), want present %v", data, ok, tt.hasCustom)
			}
			groups, ok := u["groups"]
			if ok != tt.hasGroups || ok && !reflect.DeepEqual(groups, wantGroups) {
				t.Errorf("groups = %v (present %v), want present %v", groups, ok, tt.hasGroups)
			}
		})
	}
}

func TestLessonlyFilters(t *testing.T) {
	f := newFake(t)
	f.AddUser(lmstest.LessonlyUser{Name: "Ann", Email: "Ann@Example.com", ExtUID: "00u1"})
	f.AddUser(lmstest.LessonlyUser{Name: "Bob", Email: "bob@example.com", ExtUID: "00u2"})
	tests := []struct {
		query string
		ids   []int
	}{
		{"filter[email]=ann@example.COM", []int{1}},
		{"filter[email]=bob%40example.com", []int{2}},
		{"filter[email]=nobody@example.com", nil},
		{"filter[ext_uid]=00u2", []int{2}},
		{"filter[ext_uid]=00U2", nil},
		{"filter[email]=ann@example.com&filter[ext_uid]=00u2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			_, m := do(t, f, http.MethodGet, "/api/v1/users?"+tt.query, "")
			if !slices.Equal(ids(m), tt.ids) || m["total_users"] != float64(len(tt.ids)) {
				t.Errorf("ids %v total %v, want %v", ids(m), m["total_users"], tt.ids)
			}
		})
	}
}

func TestLessonlyCreate(t *testing.T) {
	f := newFake(t)
	status, m := do(t, f, http.MethodPost, "/api/v1/users", `{"name":"Ann Lee","email":"Ann@example.com","role":"learner",
		"ext_uid":"00u1","job_title":"Engineer","hire_date":"2021-03-04","notify":"false"}`)
	if status != http.StatusCreated || m["type"] != "create_user" || m["id"] != 1.0 || m["locale"] != "en" ||
		m["ext_uid"] != "00u1" || m["hire_date"] != "2021-03-04" || m["job_title"] != "Engineer" {
		t.Fatalf("got %d %v", status, m)
	}
	want := lmstest.LessonlyUser{ID: 1, Name: "Ann Lee", Email: "Ann@example.com", Role: "learner", ExtUID: "00u1",
		JobTitle: "Engineer", Locale: "en", HireDate: "2021-03-04"}
	if got, _ := f.User(1); !reflect.DeepEqual(got, want) {
		t.Errorf("stored %+v, want %+v", got, want)
	}
}

func TestLessonlyCreateInvalid(t *testing.T) {
	f := newFake(t)
	f.AddUser(lmstest.LessonlyUser{Name: "Ann", Email: "ann@example.com"})
	fieldID := f.DefineCustomField("Employee ID")
	tests := []struct {
		name, body, msg string
	}{
		{"duplicate email other case", `{"name":"Ann","email":"ANN@example.com","role":"learner"}`, lmstest.LessonlyEmailTaken},
		{"missing name", `{"email":"x@example.com","role":"learner"}`, "Name can't be blank"},
		{"null name", `{"name":null,"email":"x@example.com","role":"learner"}`, "Name can't be blank"},
		{"missing email", `{"name":"X","role":"learner"}`, "Email can't be blank"},
		{"missing role", `{"name":"X","email":"x@example.com"}`, "Role can't be blank"},
		{"invalid role", `{"name":"X","email":"x@example.com","role":"owner"}`, "Role must be one of learner, creator, manager, admin"},
		{"leading space", `{"name":" X","email":"x@example.com","role":"learner"}`, "Name can't begin with a space"},
		{"bad hire_date", `{"name":"X","email":"x@example.com","role":"learner","hire_date":"03/04/2021"}`, "Hire date must be a date formatted YYYY-MM-DD"},
		{"unpadded hire_date", `{"name":"X","email":"x@example.com","role":"learner","hire_date":"2021-3-4"}`, "Hire date must be a date formatted YYYY-MM-DD"},
		{"non-string field", `{"name":"X","email":"x@example.com","role":"learner","department":7}`, "department must be a string"},
		{"not JSON", `name=X`, "Request body must be a JSON object"},
		{"unknown custom field id", fmt.Sprintf(`{"name":"X","email":"x@example.com","role":"learner",
			"custom_user_fields":[{"custom_user_field_id":%d,"value":"1"}]}`, fieldID+1), fmt.Sprintf("Custom user field %d does not exist", fieldID+1)},
		{"custom field without id or name", `{"name":"X","email":"x@example.com","role":"learner",
			"custom_user_fields":[{"value":"1"}]}`, "custom_user_fields entries need a custom_user_field_id"},
		{"custom field value not a string", `{"name":"X","email":"x@example.com","role":"learner",
			"custom_user_fields":[{"custom_user_field_id":1,"value":42}]}`, `custom_user_fields must be a list of {"custom_user_field_id", "value"}`},
		// The unknown id is refused even after a valid new name: nothing may be defined.
		{"new name then unknown id", `{"name":"X","email":"x@example.com","role":"learner",
			"custom_user_fields":[{"name":"Typo","value":"1"},{"custom_user_field_id":9,"value":"1"}]}`, "Custom user field 9 does not exist"},
	}
	for _, c := range "!@#$%^&*+=()|[];" {
		tests = append(tests, struct{ name, body, msg string }{
			"restricted " + string(c),
			fmt.Sprintf(`{"name":"X%cY","email":"x@example.com","role":"learner"}`, c),
			"Name can't contain any of !@#$%^&*+=()|[];",
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m := do(t, f, http.MethodPost, "/api/v1/users", tt.body)
			wantError(t, status, m, http.StatusBadRequest, tt.msg)
		})
	}
	if n := len(f.Users()); n != 1 {
		t.Errorf("%d users after refused creates, want 1", n)
	}
	if names := f.CustomFieldNames(); !slices.Equal(names, []string{"Employee ID"}) {
		t.Errorf("custom fields %v after refused creates", names)
	}
	if got := f.WelcomeEmails(); len(got) != 0 {
		t.Errorf("welcome emails %v after refused creates", got)
	}
}

// Emails are unique as strings.EqualFold compares them, the Kelvin sign
// included, and an update moves the account's email: the old one is free.
func TestLessonlyEmailStaysUnique(t *testing.T) {
	f := newFake(t)
	id := f.AddUser(lmstest.LessonlyUser{Name: "Kim", Email: "kim@example.com"})
	create := func(email string) int {
		t.Helper()
		status, _ := do(t, f, http.MethodPost, "/api/v1/users", fmt.Sprintf(`{"name":"X","email":%q,"role":"learner"}`, email))
		return status
	}
	if status := create("\u212Aim@example.com"); status != http.StatusBadRequest {
		t.Errorf("a create with the email in Kelvin-sign case answered %d, want 400", status)
	}
	if status, m := do(t, f, http.MethodPut, fmt.Sprint("/api/v1/users/", id), `{"email":"kim@new.example.com"}`); status != http.StatusOK {
		t.Fatalf("email update: %d %v", status, m)
	}
	if status := create("KIM@NEW.example.com"); status != http.StatusBadRequest {
		t.Errorf("a create with the new email answered %d, want 400", status)
	}
	if status := create("kim@example.com"); status != http.StatusCreated {
		t.Errorf("a create with the old email answered %d, want 201", status)
	}
}

func TestLessonlyNotify(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		notify  string // JSON value, "" to omit
		welcome bool
	}{
		{"", true},
		{`"false"`, false},
		{`"true"`, true},
		{`false`, true}, // only the string "false" counts
		{`null`, true},
	}
	for i, tt := range tests {
		t.Run(tt.notify, func(t *testing.T) {
			email := fmt.Sprintf("u%d@example.com", i)
			body := fmt.Sprintf(`{"name":"U","email":%q,"role":"learner"`, email)
			if tt.notify != "" {
				body += `,"notify":` + tt.notify
			}
			if status, m := do(t, f, http.MethodPost, "/api/v1/users", body+"}"); status != http.StatusCreated {
				t.Fatalf("got %d %v", status, m)
			}
			if got := slices.Contains(f.WelcomeEmails(), email); got != tt.welcome {
				t.Errorf("welcome email sent = %v, want %v", got, tt.welcome)
			}
		})
	}
}

func TestLessonlyCustomFields(t *testing.T) {
	f := newFake(t)
	empID := f.DefineCustomField("Employee ID")
	f.DefineCustomField("Cost Center")
	if again := f.DefineCustomField("Employee ID"); again != empID {
		t.Errorf("redefining gave id %d, want %d", again, empID)
	}
	tests := []struct {
		name   string
		custom string
		want   map[string]string
		fields []string
	}{
		{"by id", fmt.Sprintf(`[{"custom_user_field_id":%d,"value":"42"}]`, empID),
			map[string]string{"Employee ID": "42"}, []string{"Cost Center", "Employee ID"}},
		{"by known name", `[{"name":"Cost Center","value":"R&D"}]`,
			map[string]string{"Cost Center": "R&D"}, []string{"Cost Center", "Employee ID"}},
		{"by unknown name defines a field", `[{"name":"Employe ID","value":"43"}]`,
			map[string]string{"Employe ID": "43"}, []string{"Cost Center", "Employe ID", "Employee ID"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"name":"U","email":"u%d@example.com","role":"learner","custom_user_fields":%s}`, i, tt.custom)
			status, m := do(t, f, http.MethodPost, "/api/v1/users", body)
			if status != http.StatusCreated {
				t.Fatalf("got %d %v", status, m)
			}
			u, _ := f.User(int(m["id"].(float64)))
			if !reflect.DeepEqual(u.Custom, tt.want) {
				t.Errorf("custom %v, want %v", u.Custom, tt.want)
			}
			if got := f.CustomFieldNames(); !slices.Equal(got, tt.fields) {
				t.Errorf("fields %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestLessonlyUpdate(t *testing.T) {
	seed := lmstest.LessonlyUser{Name: "Ann", Email: "ann@example.com", Role: "learner", ExtUID: "00u1",
		JobTitle: "Engineer", Department: "R&D", ManagerName: "Bob", HireDate: "2021-03-04", Locale: "en",
		Custom: map[string]string{"Employee ID": "42"}}
	tests := []struct {
		name   string
		body   string
		status int
		msg    string                        // for errors
		edit   func(u *lmstest.LessonlyUser) // expected change, for successes
	}{
		{"one field", `{"job_title":"Manager"}`, http.StatusOK, "", func(u *lmstest.LessonlyUser) { u.JobTitle = "Manager" }},
		{"empty string and null clear", `{"department":"","manager_name":null,"hire_date":null}`, http.StatusOK, "",
			func(u *lmstest.LessonlyUser) { u.Department, u.ManagerName, u.HireDate = "", "", "" }},
		{"own email in another case", `{"email":"ANN@example.com"}`, http.StatusOK, "",
			func(u *lmstest.LessonlyUser) { u.Email = "ANN@example.com" }},
		{"custom upsert and new", `{"custom_user_fields":[{"custom_user_field_id":1,"value":"43"},{"name":"Site","value":"HQ"}]}`,
			http.StatusOK, "", func(u *lmstest.LessonlyUser) { u.Custom = map[string]string{"Employee ID": "43", "Site": "HQ"} }},
		{"email of another user", `{"email":"BOB@example.com"}`, http.StatusBadRequest, lmstest.LessonlyEmailTaken, nil},
		{"clearing name", `{"name":""}`, http.StatusBadRequest, "Name can't be blank", nil},
		{"bad role", `{"role":"owner"}`, http.StatusBadRequest, "Role must be one of learner, creator, manager, admin", nil},
		{"bad hire_date", `{"hire_date":"2021-02-30"}`, http.StatusBadRequest, "Hire date must be a date formatted YYYY-MM-DD", nil},
		{"restricted name", `{"name":"Ann (contractor)"}`, http.StatusBadRequest, "Name can't contain any of !@#$%^&*+=()|[];", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			id := f.AddUser(seed)
			f.AddUser(lmstest.LessonlyUser{Name: "Bob", Email: "bob@example.com"})
			before, _ := f.User(id)
			status, m := do(t, f, http.MethodPut, fmt.Sprint("/api/v1/users/", id), tt.body)
			after, _ := f.User(id)
			if tt.edit == nil {
				wantError(t, status, m, tt.status, tt.msg)
				if !reflect.DeepEqual(after, before) {
					t.Errorf("refused update changed %+v to %+v", before, after)
				}
				return
			}
			if status != tt.status || m["type"] != "update_user" || m["id"] != float64(id) {
				t.Errorf("got %d %v", status, m)
			}
			want := before
			tt.edit(&want)
			if !reflect.DeepEqual(after, want) {
				t.Errorf("stored %+v\nwant   %+v", after, want)
			}
		})
	}
}

func TestLessonlyUpdateKeepsValueRowID(t *testing.T) {
	f := newFake(t)
	id := f.AddUser(lmstest.LessonlyUser{Name: "Ann", Email: "ann@example.com", Custom: map[string]string{"Employee ID": "42"}})
	path := fmt.Sprint("/api/v1.1/users/", id)
	_, m := do(t, f, http.MethodPut, path, `{"custom_user_fields":[{"custom_user_field_id":1,"value":"43"}]}`)
	want := []any{map[string]any{"id": 1.0, "custom_user_field_id": 1.0, "name": "Employee ID", "value": "43"}}
	if got := m["custom_user_field_data"]; !reflect.DeepEqual(got, want) {
		t.Errorf("custom_user_field_data %v, want %v", got, want)
	}
}

func TestLessonlyArchiveRestore(t *testing.T) {
	f := newFake(t)
	now := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	f.Now = func() time.Time { return now }
	id := f.AddUser(lmstest.LessonlyUser{Name: "Ann", Email: "ann@example.com"})
	tests := []struct {
		action     string
		archivedAt any
	}{
		{"archive", "2024-05-06T07:08:09.123Z"},
		{"archive", "2024-05-06T07:08:09.123Z"}, // again: the first time is kept
		{"restore", nil},
		{"restore", nil},
	}
	for i, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			now = now.Add(time.Duration(i) * time.Hour)
			status, m := do(t, f, http.MethodPut, fmt.Sprintf("/api/v1/users/%d/%s", id, tt.action), "")
			if status != http.StatusOK || m["type"] != "user" || m["archived_at"] != tt.archivedAt {
				t.Errorf("got %d %v, want archived_at %v", status, m, tt.archivedAt)
			}
			u, _ := f.User(id)
			if (u.ArchivedAt != nil) != (tt.archivedAt != nil) {
				t.Errorf("stored ArchivedAt %v", u.ArchivedAt)
			}
		})
	}
}

func TestLessonlyNotFound(t *testing.T) {
	f := newFake(t)
	f.AddUser(lmstest.LessonlyUser{Name: "Ann", Email: "ann@example.com"})
	tests := []struct {
		method, path, msg string
	}{
		{http.MethodGet, "/api/v1/users/999", "User not found"},
		{http.MethodGet, "/api/v1/users/abc", "User not found"},
		{http.MethodPut, "/api/v1/users/999", "User not found"},
		{http.MethodPut, "/api/v1/users/999/archive", "User not found"},
		{http.MethodPut, "/api/v1.1/users/999/restore", "User not found"},
		{http.MethodGet, "/api/v2/users", "Not Found"},
		{http.MethodGet, "/api/v1/widgets", "Not Found"},
		{http.MethodDelete, "/api/v1/users/1", "Not Found"},
		{http.MethodGet, "/api/v1/users/1/archive", "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			status, m := do(t, f, tt.method, tt.path, `{"name":"X"}`)
			wantError(t, status, m, http.StatusNotFound, tt.msg)
		})
	}
}

func TestLessonlyRateLimit(t *testing.T) {
	tests := []struct {
		name       string
		use429     bool
		status     int
		retryAfter string
	}{
		{"403 like Lessonly", false, http.StatusForbidden, ""},
		{"429 variant", true, http.StatusTooManyRequests, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			f.Now = func() time.Time { return now }
			f.SetRateLimit(3, tt.use429)
			for i := range 3 {
				if status, m := do(t, f, http.MethodGet, "/api/v1/users", ""); status != http.StatusOK {
					t.Fatalf("request %d: got %d %v", i, status, m)
				}
			}
			now = now.Add(59 * time.Second)
			resp, m := send(t, newRequest(t, f, http.MethodGet, "/api/v1/users", ""))
			wantError(t, resp.StatusCode, m, tt.status, "Rate Limit Exceeded")
			if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			now = now.Add(time.Second)
			if status, m := do(t, f, http.MethodGet, "/api/v1/users", ""); status != http.StatusOK {
				t.Errorf("after the window: got %d %v", status, m)
			}
			f.SetRateLimit(0, false)
			for range 5 {
				if status, _ := do(t, f, http.MethodGet, "/api/v1/users", ""); status != http.StatusOK {
					t.Fatalf("limit off: got %d", status)
				}
			}
		})
	}
}

func TestLessonlyFaults(t *testing.T) {
	type step struct {
		method, path string
		status       int // 0 = connection dropped
		msg          string
	}
	get := func(status int, msg string) step { return step{http.MethodGet, "/api/v1/users", status, msg} }
	tests := []struct {
		name  string
		fault lmstest.Fault
		steps []step
	}{
		{"skip then fail twice", lmstest.Fault{PathPrefix: "/api/v1/users", Skip: 1, Times: 2, Status: 503},
			[]step{get(200, ""), get(503, "Service Unavailable"), get(503, "Service Unavailable"), get(200, "")}},
		{"forever with default status", lmstest.Fault{},
			[]step{get(500, "Internal Server Error"), get(500, "Internal Server Error"), get(500, "Internal Server Error")}},
		{"custom body", lmstest.Fault{Times: 1, Status: 502, Body: `{"type":"error","error":"Bad gateway"}`},
			[]step{get(502, "Bad gateway"), get(200, "")}},
		{"method and prefix must match", lmstest.Fault{Method: http.MethodPost, PathPrefix: "/api/v1.1/"},
			[]step{get(200, ""), {http.MethodPost, "/api/v1/users", 400, "Name can't be blank"}, {http.MethodPost, "/api/v1.1/users", 500, "Internal Server Error"}}},
		// The client must see the drop even on what would be a reused
		// keep-alive connection, which Go's Transport retries silently.
		{"dropped connection", lmstest.Fault{Skip: 1, Times: 1, DropConnection: true},
			[]step{get(200, ""), get(0, ""), get(200, "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.InjectFault(tt.fault)
			for i, s := range tt.steps {
				req := newRequest(t, f, s.method, s.path, "{}")
				if s.status == 0 {
					if resp, err := http.DefaultClient.Do(req); err == nil {
						resp.Body.Close()
						t.Fatalf("step %d: got %d, want a dropped connection", i, resp.StatusCode)
					}
					continue
				}
				resp, m := send(t, req)
				if s.msg != "" {
					wantError(t, resp.StatusCode, m, s.status, s.msg)
				} else if resp.StatusCode != s.status {
					t.Errorf("step %d: got %d %v, want %d", i, resp.StatusCode, m, s.status)
				}
			}
			var got []int
			for _, r := range f.Requests() {
				got = append(got, r.Status)
			}
			var want []int
			for _, s := range tt.steps {
				want = append(want, s.status)
			}
			if !slices.Equal(got, want) {
				t.Errorf("recorded statuses %v, want %v", got, want)
			}
			f.ClearFaults()
			if status, _ := do(t, f, http.MethodGet, "/api/v1/users", ""); status != http.StatusOK {
				t.Errorf("after ClearFaults: got %d", status)
			}
		})
	}
}

func TestLessonlyRequests(t *testing.T) {
	f := newFake(t)
	id := f.AddUser(lmstest.LessonlyUser{Name: "Ann", Email: "ann@example.com"})
	create := `{"name":"Bob","email":"bob@example.com","role":"learner"}`
	do(t, f, http.MethodGet, "/api/v1/users?page=2", "")
	do(t, f, http.MethodPost, "/api/v1/users", create)
	do(t, f, http.MethodGet, fmt.Sprint("/api/v1/users/", id), "")
	do(t, f, http.MethodPut, fmt.Sprint("/api/v1/users/", id, "/archive"), "")
	req := newRequest(t, f, http.MethodPost, "/api/v1/users", create)
	req.SetBasicAuth("acme", "wrong")
	send(t, req)

	want := []lmstest.Request{
		{Method: "GET", Path: "/api/v1/users", RawQuery: "page=2", Status: 200},
		{Method: "POST", Path: "/api/v1/users", Body: []byte(create), Status: 201},
		{Method: "GET", Path: "/api/v1/users/1", Status: 200},
		{Method: "PUT", Path: "/api/v1/users/1/archive", Status: 200},
		{Method: "POST", Path: "/api/v1/users", Body: []byte(create), Status: 401},
	}
	if got := f.Requests(); !reflect.DeepEqual(got, want) {
		t.Errorf("Requests\n got %+v\nwant %+v", got, want)
	}
	wantMut := []lmstest.Request{want[1], want[3], want[4]}
	if got := f.Mutations(); !reflect.DeepEqual(got, wantMut) {
		t.Errorf("Mutations\n got %+v\nwant %+v", got, wantMut)
	}
	f.ResetRequests()
	do(t, f, http.MethodGet, "/api/v1/users", "")
	if n, m := len(f.Requests()), len(f.Mutations()); n != 1 || m != 0 {
		t.Errorf("after ResetRequests and a GET: %d requests, %d mutations", n, m)
	}
}

func TestLessonlyLatency(t *testing.T) {
	f := newFake(t)
	f.SetLatency(50 * time.Millisecond)
	start := time.Now()
	do(t, f, http.MethodGet, "/api/v1/users", "")
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered after %v, want at least 50ms", d)
	}
	client := &http.Client{Timeout: 10 * time.Millisecond}
	f.SetLatency(time.Second)
	if _, err := client.Do(newRequest(t, f, http.MethodGet, "/api/v1/users", "")); err == nil {
		t.Error("client timeout did not fire")
	}
}
