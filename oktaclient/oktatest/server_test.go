package oktatest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oktalms/oktalms/oktaclient/oktatest"
)

// get requests path (which may include a query) with the given Authorization
// header and returns the response with its body already read.
func get(t *testing.T, srv *oktatest.Server, path, auth string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func sswsGet(t *testing.T, srv *oktatest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	return get(t, srv, path, "SSWS "+srv.Token)
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return v
}

// checkError asserts that body is Okta's error object with the given code.
func checkError(t *testing.T, resp *http.Response, body []byte, status int, code, summary string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d", resp.StatusCode, status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	e := decode[map[string]any](t, body)
	if e["errorCode"] != code || e["errorLink"] != code || e["errorSummary"] != summary {
		t.Errorf("error body = %s, want code %s, summary %q", body, code, summary)
	}
	if id, _ := e["errorId"].(string); !strings.HasPrefix(id, "oae") {
		t.Errorf("errorId = %q, want oae…", id)
	}
	if causes, ok := e["errorCauses"].([]any); !ok || len(causes) != 0 {
		t.Errorf("errorCauses = %#v, want []", e["errorCauses"])
	}
}

func TestAuth(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()

	tokenResp, err := http.Post(srv.URL+"/oauth2/v1/token?"+url.Values{
		"grant_type":       {"client_credentials"},
		"client_assertion": {"any.signed.jwt"},
		"scope":            {"okta.users.read okta.groups.read"},
	}.Encode(), "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tokenResp.Body.Close()
	var tok struct {
		TokenType   string `json:"token_type"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(tokenResp.Body).Decode(&tok); err != nil || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
		t.Fatalf("token response %+v, %v", tok, err)
	}

	tests := []struct {
		name, auth string
		want       int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "SSWS nope", http.StatusUnauthorized},
		{"token without scheme", srv.Token, http.StatusUnauthorized},
		{"unissued bearer", "Bearer " + srv.Token, http.StatusUnauthorized},
		{"ssws", "SSWS " + srv.Token, http.StatusOK},
		{"issued bearer", "Bearer " + tok.AccessToken, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, srv, "/api/v1/groups", tt.auth)
			if tt.want == http.StatusOK {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status = %d, body %s", resp.StatusCode, body)
				}
				return
			}
			checkError(t, resp, body, tt.want, "E0000011", "Invalid token provided")
		})
	}
}

var linkRE = regexp.MustCompile(`^<([^>]+)>; rel="(self|next)"$`)

// links parses Okta's Link header lines, insisting on one relation per line.
func links(t *testing.T, h http.Header) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range h.Values("Link") {
		m := linkRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("malformed Link line %q", line)
		}
		out[m[2]] = m[1]
	}
	return out
}

func TestGroupUsersPaging(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	gid := srv.AddGroup("Everyone")
	ids := srv.GenerateUsers(5, []string{gid})
	srv.SetStatus(ids[0], "DEPROVISIONED") // still a member, as in real Okta
	slices.Sort(ids)
	base := srv.URL + "/api/v1/groups/" + gid + "/users"

	type page struct {
		ids  []string
		next string
	}
	tests := []struct {
		name, query string
		self        string
		pages       []page
	}{
		{"three pages", "?limit=2", base + "?limit=2", []page{
			{ids[0:2], base + "?after=" + ids[1] + "&limit=2"},
			{ids[2:4], base + "?after=" + ids[3] + "&limit=2"},
			{ids[4:5], ""},
		}},
		{"default limit", "", base + "?limit=1000", []page{{ids, ""}}},
		{"clamped limit", "?limit=5000", base + "?limit=1000", []page{{ids, ""}}},
		{"invalid limit", "?limit=x", base + "?limit=1000", []page{{ids, ""}}},
		{"after cursor", "?after=" + ids[2], base + "?limit=1000", []page{{ids[3:], ""}}},
		{"exact fit", "?limit=5", base + "?limit=5", []page{{ids, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/v1/groups/" + gid + "/users" + tt.query
			for i, want := range tt.pages {
				resp, body := sswsGet(t, srv, path)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("page %d: status %d: %s", i, resp.StatusCode, body)
				}
				var got []string
				for _, u := range decode[[]map[string]any](t, body) {
					got = append(got, u["id"].(string))
				}
				if !slices.Equal(got, want.ids) {
					t.Errorf("page %d ids = %v, want %v", i, got, want.ids)
				}
				l := links(t, resp.Header)
				if i == 0 && l["self"] != tt.self {
					t.Errorf("self = %q, want %q", l["self"], tt.self)
				}
				if l["next"] != want.next {
					t.Fatalf("page %d next = %q, want %q", i, l["next"], want.next)
				}
				path = strings.TrimPrefix(want.next, srv.URL)
			}
		})
	}
}

func TestUserJSON(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	id := srv.AddUser(oktatest.User{Status: "STAGED", Profile: map[string]any{
		"login": "a@example.com", "tags": []any{"x"}, "manager": nil,
	}})
	srv.SetProfile(id, "title", "CTO")
	srv.SetProfile(id, "login", nil)

	resp, body := sswsGet(t, srv, "/api/v1/users/"+id)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	u := decode[map[string]any](t, body)
	wantProfile := map[string]any{"tags": []any{"x"}, "manager": nil, "title": "CTO"}
	if u["id"] != id || u["status"] != "STAGED" || !reflect.DeepEqual(u["profile"], wantProfile) {
		t.Errorf("user = %s", body)
	}
	if u["activated"] != nil || u["lastLogin"] != nil || u["created"] != "2021-03-04T09:00:01.000Z" {
		t.Errorf("timestamps wrong: %s", body)
	}
	if typ, _ := u["type"].(map[string]any); !strings.HasPrefix(typ["id"].(string), "oty") {
		t.Errorf("type = %v", u["type"])
	}
	if !regexp.MustCompile(`^00u[0-9A-Za-z]{17}$`).MatchString(id) {
		t.Errorf("id %q is not Okta-shaped", id)
	}

	got, _ := srv.User(id)
	got.Profile["title"] = "mutated"
	if again, _ := srv.User(id); again.Profile["title"] != "CTO" {
		t.Error("User returned the server's own profile map")
	}
}

func TestDeleteUserLeavesGroups(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	gid := srv.AddGroup("Team")
	ids := srv.GenerateUsers(2, []string{gid})
	srv.DeleteUser(ids[0])
	if _, ok := srv.User(ids[0]); ok {
		t.Error("deleted user still present")
	}
	_, body := sswsGet(t, srv, "/api/v1/groups/"+gid+"/users")
	users := decode[[]map[string]any](t, body)
	if len(users) != 1 || users[0]["id"] != ids[1] {
		t.Errorf("members after delete = %s", body)
	}
}

func TestGenerateUsersDeterministic(t *testing.T) {
	profiles := func() []oktatest.User {
		srv := oktatest.NewServer()
		defer srv.Close()
		groups := []string{srv.AddGroup("A"), srv.AddGroup("B")}
		var out []oktatest.User
		for _, id := range srv.GenerateUsers(3, groups) {
			u, _ := srv.User(id)
			out = append(out, u)
		}
		return out
	}
	first, second := profiles(), profiles()
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("runs differ:\n%v\n%v", first, second)
	}
	emailRE := regexp.MustCompile(`^[a-z]+\.[a-z]+\.(\d+)@example\.com$`)
	for i, u := range first {
		m := emailRE.FindStringSubmatch(u.Profile["email"].(string))
		if m == nil || m[1] != strconv.Itoa(i+1) || u.Profile["login"] != u.Profile["email"] {
			t.Errorf("user %d profile %v", i, u.Profile)
		}
		if u.Status != "ACTIVE" || u.Profile["hireDate"] != "2021-03-04" || u.Profile["title"] == "" || u.Profile["department"] == "" {
			t.Errorf("user %d = %+v", i, u)
		}
	}
}

func TestGroupSearch(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	for _, name := range []string{"Engineering", "Engineering Managers", "Sales", "LMS Learners"} {
		srv.AddGroup(name)
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"eng", []string{"Engineering", "Engineering Managers"}},
		{"ENGINEERING M", []string{"Engineering Managers"}},
		{"lms", []string{"LMS Learners"}},
		{"", []string{"Engineering", "Engineering Managers", "LMS Learners", "Sales"}},
		{"Managers", []string{}}, // prefix, not substring
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			resp, body := sswsGet(t, srv, "/api/v1/groups?"+url.Values{"q": {tt.q}}.Encode())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			groups := decode[[]map[string]any](t, body)
			got := []string{}
			for _, g := range groups {
				if g["type"] != "OKTA_GROUP" || !reflect.DeepEqual(g["objectClass"], []any{"okta:user_group"}) {
					t.Errorf("group = %v", g)
				}
				got = append(got, g["profile"].(map[string]any)["name"].(string))
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("q=%q: got %v, want %v", tt.q, got, tt.want)
			}
			if self := links(t, resp.Header)["self"]; tt.q != "" && !strings.Contains(self, "q=") {
				t.Errorf("self link %q lost the query", self)
			}
		})
	}
}

func TestGroupQueryIsOneAnswerExactMatchesFirst(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	for _, name := range []string{"Eng B", "Eng A", "Engine", "Eng", "Eng C"} {
		srv.AddGroup(name)
	}
	resp, body := sswsGet(t, srv, "/api/v1/groups?q=eng&limit=2")
	groups := decode[[]map[string]any](t, body)
	if len(groups) != 2 || groups[0]["profile"].(map[string]any)["name"] != "Eng" {
		t.Errorf("q=eng&limit=2 answered %v, want 2 groups, Eng first", groups)
	}
	if next, ok := links(t, resp.Header)["next"]; ok {
		t.Errorf("a query answered a next link %q; Okta does not page queries", next)
	}
}

func TestRenameGroupKeepsIDAndMembers(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	gid := srv.AddGroup("Sales")
	uid := srv.AddUser(oktatest.User{Profile: map[string]any{"login": "a@example.com"}})
	srv.AddMember(gid, uid)
	srv.RenameGroup(gid, "Revenue")

	_, body := sswsGet(t, srv, "/api/v1/groups/"+gid)
	if name := decode[map[string]any](t, body)["profile"].(map[string]any)["name"]; name != "Revenue" {
		t.Errorf("renamed group is named %v, want Revenue", name)
	}
	for q, want := range map[string]int{"Revenue": 1, "Sales": 0} {
		_, body := sswsGet(t, srv, "/api/v1/groups?"+url.Values{"q": {q}}.Encode())
		if got := len(decode[[]map[string]any](t, body)); got != want {
			t.Errorf("q=%s found %d groups, want %d", q, got, want)
		}
	}
	_, body = sswsGet(t, srv, "/api/v1/groups/"+gid+"/users")
	if users := decode[[]map[string]any](t, body); len(users) != 1 || users[0]["id"] != uid {
		t.Errorf("members after the rename = %v, want only %s", users, uid)
	}
}

func TestNotFound(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	tests := []struct {
		path, summary string
	}{
		{"/api/v1/groups/00gmissing", "Not found: Resource not found: 00gmissing (UserGroup)"},
		{"/api/v1/groups/00gmissing/users", "Not found: Resource not found: 00gmissing (UserGroup)"},
		{"/api/v1/users/00umissing", "Not found: Resource not found: 00umissing (User)"},
		{"/api/v1/apps", "Not found: Resource not found: /api/v1/apps"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := sswsGet(t, srv, tt.path)
			checkError(t, resp, body, http.StatusNotFound, "E0000007", tt.summary)
		})
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault oktatest.Fault
		path  string
		want  []int
	}{
		{"skip then times", oktatest.Fault{PathPrefix: "/api/v1/groups", Skip: 1, Times: 2, Status: 503},
			"/api/v1/groups", []int{200, 503, 503, 200, 200}},
		{"forever", oktatest.Fault{Status: 500}, "/api/v1/groups", []int{500, 500, 500}},
		{"default status", oktatest.Fault{Times: 1}, "/api/v1/groups", []int{500, 200}},
		{"other prefix untouched", oktatest.Fault{PathPrefix: "/api/v1/users", Status: 500},
			"/api/v1/groups", []int{200, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oktatest.NewServer()
			defer srv.Close()
			srv.InjectFault(tt.fault)
			var got []int
			for range tt.want {
				resp, body := sswsGet(t, srv, tt.path)
				got = append(got, resp.StatusCode)
				if resp.StatusCode >= 500 {
					checkError(t, resp, body, resp.StatusCode, "E0000009", "Internal Server Error")
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("statuses = %v, want %v", got, tt.want)
			}
			srv.ClearFaults()
			if resp, _ := sswsGet(t, srv, tt.path); resp.StatusCode != http.StatusOK {
				t.Errorf("after ClearFaults: %d", resp.StatusCode)
			}
		})
	}
}

func TestFaultTooManyRequests(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	srv.InjectFault(oktatest.Fault{Status: http.StatusTooManyRequests, Times: 1})
	before := time.Now().Unix()
	resp, body := get(t, srv, "/api/v1/groups", "") // faults win over auth
	checkError(t, resp, body, http.StatusTooManyRequests, "E0000047",
		"API call exceeded rate limit due to too many requests.")
	reset, _ := strconv.ParseInt(resp.Header.Get("X-Rate-Limit-Reset"), 10, 64)
	if reset < before+1 || reset > time.Now().Unix()+1 {
		t.Errorf("X-Rate-Limit-Reset = %d, want about now+1 (%d)", reset, before+1)
	}
	if resp.Header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Errorf("X-Rate-Limit-Remaining = %q", resp.Header.Get("X-Rate-Limit-Remaining"))
	}
}

func TestDropConnection(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	srv.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/groups", DropConnection: true})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/groups", nil)
	req.Header.Set("Authorization", "SSWS "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want a transport error", resp.StatusCode)
	}
	srv.ClearFaults()
	if resp, _ := sswsGet(t, srv, "/api/v1/groups"); resp.StatusCode != http.StatusOK {
		t.Errorf("after ClearFaults: %d", resp.StatusCode)
	}
}

func TestLatency(t *testing.T) {
	tests := []struct {
		name            string
		latency, budget time.Duration
		wantErr         error
	}{
		{"delays answer", 50 * time.Millisecond, 5 * time.Second, nil},
		{"honours cancellation", 10 * time.Second, 50 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oktatest.NewServer()
			srv.SetLatency(tt.latency)
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), tt.budget)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/groups", nil)
			req.Header.Set("Authorization", "SSWS "+srv.Token)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			// Close waits for in-flight handlers, so it returning promptly
			// shows the handler stopped sleeping once the client gave up.
			srv.Close()
			elapsed := time.Since(start)
			if elapsed < min(tt.latency, tt.budget) || elapsed > 5*time.Second {
				t.Errorf("took %v", elapsed)
			}
		})
	}
}

func TestRateLimitHeaders(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	type limits struct{ limit, remaining, reset int64 }
	read := func(resp *http.Response) limits {
		var l limits
		for name, dst := range map[string]*int64{
			"X-Rate-Limit-Limit": &l.limit, "X-Rate-Limit-Remaining": &l.remaining, "X-Rate-Limit-Reset": &l.reset,
		} {
			v, err := strconv.ParseInt(resp.Header.Get(name), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			*dst = v
		}
		if resp.Header.Get("Date") == "" {
			t.Error("no Date header")
		}
		return l
	}
	tests := []struct{ name, path, auth string }{
		{"success", "/api/v1/groups", "SSWS " + srv.Token},
		{"unauthorized", "/api/v1/groups", ""},
		{"not found", "/nope", "SSWS " + srv.Token},
	}
	var prev limits
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := get(t, srv, tt.path, tt.auth)
			l := read(resp)
			now := time.Now().Unix()
			if l.limit != 600 || l.reset <= now-1 || l.reset > now+60 {
				t.Errorf("limits = %+v at %d", l, now)
			}
			// A new minute window may start between requests.
			if i > 0 && l.reset == prev.reset && l.remaining != prev.remaining-1 {
				t.Errorf("remaining %d after %d", l.remaining, prev.remaining)
			}
			prev = l
		})
	}
}

func TestRequests(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	sswsGet(t, srv, "/api/v1/groups?q=a")
	get(t, srv, "/api/v1/users/x", "")
	want := []oktatest.Request{
		{Method: "GET", Path: "/api/v1/groups", RawQuery: "q=a"},
		{Method: "GET", Path: "/api/v1/users/x"},
	}
	if got := srv.Requests(); !reflect.DeepEqual(got, want) {
		t.Errorf("Requests() = %v, want %v", got, want)
	}
	srv.ResetRequests()
	if got := srv.Requests(); len(got) != 0 {
		t.Errorf("after reset: %v", got)
	}
}

// TestConcurrentUse is meant for -race: seeding while clients read.
func TestConcurrentUse(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	gid := srv.AddGroup("G")
	id := srv.GenerateUsers(1, []string{gid})[0]
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				srv.SetProfile(id, "n", float64(i*j))
				srv.AddMember(gid, srv.AddUser(oktatest.User{}))
			}
		})
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/groups/"+gid+"/users", nil)
			req.Header.Set("Authorization", "SSWS "+srv.Token)
			for range 20 {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err) // not Fatal: this is not the test goroutine
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
}
