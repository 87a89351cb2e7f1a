package lmstest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms/lmstest"
)

func newLearnAmpFake(t *testing.T) *lmstest.LearnAmp {
	t.Helper()
	f := lmstest.NewLearnAmp()
	t.Cleanup(f.Close)
	return f
}

// laSend sends a request and decodes the JSON object it answers, if any.
func laSend(t *testing.T, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s %s: %d %s: %v", req.Method, req.URL, resp.StatusCode, data, err)
		}
	}
	return resp, m
}

// laToken asks a token for scope ("" asks none) and returns the answer.
func laToken(t *testing.T, f *lmstest.LearnAmp, secret, scope string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {f.ClientID}, "client_secret": {secret}}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, _ := http.NewRequest(http.MethodPost, f.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, m := laSend(t, req)
	return resp.StatusCode, m
}

// laDo sends an API request with a token holding every scope.
func laDo(t *testing.T, f *lmstest.LearnAmp, method, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	_, tok := laToken(t, f, f.ClientSecret, strings.Join(f.Scopes, " "))
	return laDoWith(t, f, tok["access_token"].(string), method, path, body)
}

func laDoWith(t *testing.T, f *lmstest.LearnAmp, token, method, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, f.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	return laSend(t, req)
}

func TestLearnAmpTokens(t *testing.T) {
	f := newLearnAmpFake(t)
	status, m := laToken(t, f, f.ClientSecret, "users:read teams:read")
	if status != 200 || m["token_type"] != "Bearer" || m["expires_in"] != 7200.0 || m["scope"] != "users:read teams:read" || m["access_token"] == "" {
		t.Fatalf("token answer %d %v", status, m)
	}
	tok := m["access_token"].(string)
	if got := f.IssuedTokens(); !reflect.DeepEqual(got, []string{tok}) {
		t.Errorf("issued %q, want [%s]", got, tok)
	}

	tests := []struct {
		name, secret, scope string
		wantStatus          int
		wantError           string
	}{
		{"no scope asked gets public", f.ClientSecret, "", 200, ""},
		{"a wrong secret", "nope", "users:read", 401, "invalid_client"},
		{"a scope the credentials lack", f.ClientSecret, "users:delete", 400, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m := laToken(t, f, tt.secret, tt.scope)
			if status != tt.wantStatus || tt.wantError != "" && m["error"] != tt.wantError || tt.wantError == "" && m["scope"] != "public" {
				t.Errorf("got %d %v, want %d %q", status, m, tt.wantStatus, tt.wantError)
			}
		})
	}

	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Now = func() time.Time { return now }
	_, m = laToken(t, f, f.ClientSecret, "users:read")
	fresh := m["access_token"].(string)
	auth := []struct {
		name, token, path string
		before            func()
		wantStatus        int
		wantMessage       string
	}{
		{"a valid token", fresh, "/v1/users", func() {}, 200, ""},
		{"a token without the endpoint's scope", fresh, "/v1/teams", func() {}, 403, "This endpoint requires the teams:read scope."},
		{"an unknown token", "forged", "/v1/users", func() {}, 401, "The access token is invalid"},
		{"a token past its lifetime", fresh, "/v1/users", func() { now = now.Add(2 * time.Hour) }, 401, "The access token expired"},
		{"an expired token", tok, "/v1/users", f.ExpireTokens, 401, "The access token expired"},
	}
	for _, tt := range auth {
		t.Run(tt.name, func(t *testing.T) {
			tt.before()
			resp, m := laDoWith(t, f, tt.token, "GET", tt.path, "")
			if resp.StatusCode != tt.wantStatus || tt.wantMessage != "" && m["error_description"] != tt.wantMessage {
				t.Errorf("got %d %v, want %d %q", resp.StatusCode, m, tt.wantStatus, tt.wantMessage)
			}
		})
	}
}

func TestLearnAmpPagingAndFilters(t *testing.T) {
	f := newLearnAmpFake(t)
	for i := range 30 {
		f.AddUser(lmstest.LearnAmpUser{Email: "u" + strconv.Itoa(i) + "@example.com", FirstName: "U", LastName: strconv.Itoa(i)})
	}
	gone := f.AddUser(lmstest.LearnAmpUser{Email: "Gone@Example.com", FirstName: "G", LastName: "One", Status: "deactivated", IntegrationExternalID: "00ug"})

	tests := []struct {
		query                       string
		wantTotal, wantPer, wantLen int
		wantPages                   string
	}{
		{"", 30, 25, 25, "2"}, // deactivated users are left out unless asked for
		{"?page=2", 30, 25, 5, "2"},
		{"?perPage=1000", 30, 100, 30, "1"},
		{"?page=3&perPage=15", 30, 15, 0, "2"},
		{"?filters[status][]=confirmed&filters[status][]=deactivated&perPage=100", 31, 100, 31, "1"},
		{"?filters[email]=GONE@example.com&filters[status][]=deactivated", 1, 25, 1, "1"},
		{"?filters[integration_external_id]=00ug", 0, 25, 0, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, m := laDo(t, f, "GET", "/v1/users"+tt.query, "")
			h := resp.Header
			if h.Get("Total") != strconv.Itoa(tt.wantTotal) || h.Get("Per-Page") != strconv.Itoa(tt.wantPer) ||
				h.Get("Total-Pages") != tt.wantPages || len(m["users"].([]any)) != tt.wantLen {
				t.Errorf("Total %s, Per-Page %s, Total-Pages %s, %d users; want %d, %d, %s, %d", h.Get("Total"), h.Get("Per-Page"),
					h.Get("Total-Pages"), len(m["users"].([]any)), tt.wantTotal, tt.wantPer, tt.wantPages, tt.wantLen)
			}
		})
	}

	_, m := laDo(t, f, "GET", "/v1/users/by_integration_external_id/00ug", "")
	if m["id"] != float64(gone) || m["status"].(map[string]any)["status"] != "Deactivated" {
		t.Errorf("by external id: %v", m)
	}
}

func TestLearnAmpUserWrites(t *testing.T) {
	f := newLearnAmpFake(t)
	f.DefineCustomField("Employee ID")
	boss := f.AddUser(lmstest.LearnAmpUser{Email: "boss@example.com", FirstName: "B", LastName: "Oss", IntegrationExternalID: "00uboss"})
	f.AddUser(lmstest.LearnAmpUser{Email: "left@example.com", FirstName: "L", LastName: "Eft", Status: "deactivated"})
	valid := `"email":"new@example.com","firstName":"N","lastName":"Ew"`

	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantError                string
		wantFull                 map[string]any
	}{
		{name: "missing names", method: "POST", path: "/v1/users", body: `{"email":"x@example.com","lastName":""}`, wantStatus: 400,
			wantError: "firstName is missing, lastName is empty",
			wantFull:  map[string]any{"firstName": []any{"is missing"}, "lastName": []any{"is empty"}}},
		{name: "a role the API cannot give", method: "POST", path: "/v1/users", body: `{` + valid + `,"role":"owner"}`, wantStatus: 400,
			wantError: "role does not have a valid value"},
		{name: "a hire date that is no date", method: "POST", path: "/v1/users", body: `{` + valid + `,"hireDate":"04/03/2021"}`, wantStatus: 400,
			wantError: "hireDate is invalid"},
		{name: "a deactivated manager", method: "POST", path: "/v1/users", body: `{` + valid + `,"managerEmail":"left@example.com"}`, wantStatus: 400,
			wantError: lmstest.LearnAmpUnknownManager},
		{name: "an unknown custom field", method: "POST", path: "/v1/users", body: `{` + valid + `,"customFields":[{"name":"Emp","value":"1"}]}`,
			wantStatus: 404, wantError: "Custom field not found: Emp"},
		{name: "an email taken", method: "POST", path: "/v1/users", body: `{"email":"BOSS@example.com","firstName":"N","lastName":"Ew"}`,
			wantStatus: 400, wantError: lmstest.LearnAmpEmailTaken, wantFull: map[string]any{"email": []any{"has already been taken"}}},
		{name: "an external id taken", method: "PUT", path: "/v1/users/" + strconv.Itoa(boss+1), body: `{"integrationExternalId":"00uboss"}`,
			wantStatus: 400, wantError: lmstest.LearnAmpExternalIDTaken},
		{name: "an unknown user", method: "PUT", path: "/v1/users/999/deactivate", wantStatus: 404, wantError: "Not found"},
		{name: "an unknown route", method: "DELETE", path: "/v1/users/1", wantStatus: 404, wantError: "Not found"},
		{name: "a create", method: "POST", path: "/v1/users", wantStatus: 201,
			body: `{` + valid + `,"managerEmail":"Boss@Example.com","customFields":[{"name":"Employee ID","value":"7"}],"skipInvitation":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, m := laDo(t, f, tt.method, tt.path, tt.body)
			if resp.StatusCode != tt.wantStatus || tt.wantError != "" && m["error"] != tt.wantError ||
				tt.wantFull != nil && !reflect.DeepEqual(m["fullErrors"], tt.wantFull) {
				t.Errorf("got %d %v, want %d %q %v", resp.StatusCode, m, tt.wantStatus, tt.wantError, tt.wantFull)
			}
		})
	}
	if got := f.Invitations(); len(got) != 0 {
		t.Errorf("invitations %q after a create with skipInvitation", got)
	}
	users := f.Users()
	created := users[len(users)-1]
	if created.Email != "new@example.com" || created.ManagerID != boss || created.CustomFields["Employee ID"] != "7" || created.Status != "not_invited" {
		t.Errorf("created %+v", created)
	}

	// A create without skipInvitation invites; deactivating and
	// reactivating answer 204 and bring the status back.
	resp, m := laDo(t, f, "POST", "/v1/users", `{"email":"inv@example.com","firstName":"I","lastName":"Nv"}`)
	id := strconv.Itoa(int(m["id"].(float64)))
	if resp.StatusCode != 201 || !reflect.DeepEqual(f.Invitations(), []string{"inv@example.com"}) {
		t.Errorf("create with an invitation: %d, invitations %q", resp.StatusCode, f.Invitations())
	}
	for _, step := range []struct{ action, wantStatus string }{{"deactivate", "deactivated"}, {"reactivate", "invite_pending"}} {
		resp, _ := laDo(t, f, "PUT", "/v1/users/"+id+"/"+step.action, "")
		u, _ := f.User(int(m["id"].(float64)))
		if resp.StatusCode != 204 || u.Status != step.wantStatus {
			t.Errorf("%s: %d, status %q, want 204 and %q", step.action, resp.StatusCode, u.Status, step.wantStatus)
		}
	}
}

func TestLearnAmpTeamMembers(t *testing.T) {
	f := newLearnAmpFake(t)
	a := f.AddUser(lmstest.LearnAmpUser{Email: "a@example.com", FirstName: "A", LastName: "A"})
	teamID := f.AddTeam("Sales")
	team := strconv.Itoa(teamID)
	steps := []struct {
		method, path, body string
		wantStatus         int
	}{
		{"POST", "/v1/teams/" + team + "/users", `{"userId":` + strconv.Itoa(a) + `}`, 201},
		{"POST", "/v1/teams/" + team + "/users", `{"userId":` + strconv.Itoa(a) + `}`, 201}, // again: the same membership
		{"POST", "/v1/teams/" + team + "/users", `{"userId":999}`, 404},
		{"POST", "/v1/teams/" + team + "/users", `{}`, 400},
		{"GET", "/v1/teams/" + team + "/users", "", 200},
		{"DELETE", "/v1/teams/" + team + "/users/" + strconv.Itoa(a), "", 204},
		{"DELETE", "/v1/teams/" + team + "/users/" + strconv.Itoa(a), "", 404},
		{"POST", "/v1/teams", `{"name":""}`, 400},
	}
	for _, s := range steps {
		if resp, m := laDo(t, f, s.method, s.path, s.body); resp.StatusCode != s.wantStatus {
			t.Errorf("%s %s %s: got %d %v, want %d", s.method, s.path, s.body, resp.StatusCode, m, s.wantStatus)
		}
	}
	if got, _ := f.Team(teamID); len(got.Members) != 0 || got.Name != "Sales" {
		t.Errorf("team = %+v, want Sales with no members", got)
	}
}

func TestLearnAmpRateLimit(t *testing.T) {
	f := newLearnAmpFake(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Now = func() time.Time { return now }
	_, tok := laToken(t, f, f.ClientSecret, "users:read")
	f.SetRateLimit(1)
	token := tok["access_token"].(string)
	if resp, _ := laDoWith(t, f, token, "GET", "/v1/users", ""); resp.StatusCode != 200 {
		t.Fatalf("first request: %d", resp.StatusCode)
	}
	now = now.Add(20 * time.Second)
	if resp, _ := laDoWith(t, f, token, "GET", "/v1/users", ""); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "40" {
		t.Errorf("second request: %d, Retry-After %q; want 429, 40", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	now = now.Add(40 * time.Second)
	if resp, _ := laDoWith(t, f, token, "GET", "/v1/users", ""); resp.StatusCode != 200 {
		t.Errorf("in the next window: %d", resp.StatusCode)
	}
}
