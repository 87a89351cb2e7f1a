package oktatest_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/oktaclient/oktatest"
)

func userIDs(t *testing.T, body []byte) []string {
	t.Helper()
	ids := []string{}
	for _, u := range decode[[]map[string]any](t, body) {
		ids = append(ids, u["id"].(string))
	}
	return ids
}

func TestGetUserByIDOrLogin(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	ann := srv.AddUser(oktatest.User{Profile: map[string]any{"login": "ann.lee@corp.example.com", "email": "ann@example.com"}})

	tests := []struct {
		name, ref string
		found     bool
	}{
		{"id", ann, true},
		{"login", "ann.lee@corp.example.com", true},
		{"login in other case", "Ann.Lee@CORP.example.com", true},
		{"email is not a login", "ann@example.com", false},
		{"unknown id", "00uunknown", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := sswsGet(t, srv, "/api/v1/users/"+url.PathEscape(tt.ref))
			if !tt.found {
				checkError(t, resp, body, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+tt.ref+" (User)")
				return
			}
			if u := decode[map[string]any](t, body); resp.StatusCode != http.StatusOK || u["id"] != ann {
				t.Errorf("status %d, body %s; want user %s", resp.StatusCode, body, ann)
			}
		})
	}
}

func TestSearchUsersByEmail(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	ann := srv.AddUser(oktatest.User{Profile: map[string]any{"login": "ann.lee@corp.example.com", "email": "ann@example.com"}})
	gone := srv.AddUser(oktatest.User{Status: "DEPROVISIONED", Profile: map[string]any{"login": "old@example.com", "email": "old@example.com"}})
	quoted := srv.AddUser(oktatest.User{Profile: map[string]any{"login": "q@example.com", "email": `"odd"@example.com`}})
	srv.AddUser(oktatest.User{Profile: map[string]any{"login": "bob@example.com", "email": "bob@example.com"}})

	tests := []struct {
		name, search string
		want         []string
	}{
		{"email", `profile.email eq "ann@example.com"`, []string{ann}},
		{"email in other case", `profile.email eq "ANN@Example.com"`, []string{ann}},
		{"deprovisioned found by search", `profile.email eq "old@example.com"`, []string{gone}},
		{"escaped quotes", `profile.email eq "\"odd\"@example.com"`, []string{quoted}},
		{"login is not an email", `profile.email eq "ann.lee@corp.example.com"`, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := sswsGet(t, srv, "/api/v1/users?"+url.Values{"search": {tt.search}}.Encode())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if got := userIDs(t, body); !slices.Equal(got, tt.want) {
				t.Errorf("got %v (%s), want %v", got, body, tt.want)
			}
		})
	}

	t.Run("no search lists all but deprovisioned", func(t *testing.T) {
		_, body := sswsGet(t, srv, "/api/v1/users")
		if got := userIDs(t, body); len(got) != 3 || slices.Contains(got, gone) {
			t.Errorf("got %v, want 3 users without %s", got, gone)
		}
	})
	t.Run("other search refused", func(t *testing.T) {
		resp, body := sswsGet(t, srv, "/api/v1/users?"+url.Values{"search": {`status eq "ACTIVE"`}}.Encode())
		checkError(t, resp, body, http.StatusBadRequest, "E0000031", "Invalid search.")
	})
}

func TestUserGroupsPaging(t *testing.T) {
	srv := oktatest.NewServer()
	defer srv.Close()
	ann := srv.AddUser(oktatest.User{Profile: map[string]any{"login": "ann@example.com"}})
	loner := srv.AddUser(oktatest.User{Profile: map[string]any{"login": "loner@example.com"}})
	var gids []string
	for _, name := range []string{"A", "B", "C"} {
		g := srv.AddGroup(name)
		srv.AddMember(g, ann)
		gids = append(gids, g)
	}
	srv.AddGroup("Not Ann's")
	slices.Sort(gids)

	path := "/api/v1/users/" + ann + "/groups?limit=2"
	var got []string
	for pages := 0; path != ""; pages++ {
		if pages == 3 {
			t.Fatal("more than 2 pages for 3 groups of 2")
		}
		resp, body := sswsGet(t, srv, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		for _, g := range decode[[]map[string]any](t, body) {
			if g["type"] != "OKTA_GROUP" || g["profile"].(map[string]any)["name"] == "" {
				t.Errorf("group = %v", g)
			}
			got = append(got, g["id"].(string))
		}
		path = strings.TrimPrefix(links(t, resp.Header)["next"], srv.URL)
	}
	if !slices.Equal(got, gids) {
		t.Errorf("groups = %v, want %v", got, gids)
	}

	if _, body := sswsGet(t, srv, "/api/v1/users/"+loner+"/groups"); strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("groups of a user in none = %s, want []", body)
	}
	resp, body := sswsGet(t, srv, "/api/v1/users/00umissing/groups")
	checkError(t, resp, body, http.StatusNotFound, "E0000007", "Not found: Resource not found: 00umissing (User)")
}
