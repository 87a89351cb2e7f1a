package lmstest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/oktalms/oktalms/lms/lmstest"
)

const (
	scimEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	scimLearnerbly = "urn:learnerbly:params:scim:schemas:2.0:User"
	scimCore       = "urn:ietf:params:scim:schemas:core:2.0:User"
)

func newSCIMFake(t *testing.T, mutate ...func(*lmstest.SCIMOptions)) *lmstest.SCIM {
	t.Helper()
	opts := lmstest.DefaultSCIMOptions()
	opts.BasePath = "/scim/v2/acme"
	opts.ExtensionSchemas = map[string][]string{scimLearnerbly: {"approvers[]", "contentRegion"}}
	for _, m := range mutate {
		m(&opts)
	}
	f := lmstest.NewSCIM(opts)
	t.Cleanup(f.Close)
	return f
}

// scimRequest builds a request to the fake with the default bearer token.
func scimRequest(t *testing.T, f *lmstest.SCIM, method, path, body string) *http.Request {
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
		req.Header.Set("Content-Type", "application/scim+json")
	}
	req.Header.Set("Authorization", "Bearer "+lmstest.DefaultSCIMOptions().Token)
	return req
}

// scimSend performs req and decodes the JSON object it answers.
func scimSend(t *testing.T, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/scim+json" {
		t.Errorf("%s %s: Content-Type %q", req.Method, req.URL, ct)
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s %s: decoding body: %v", req.Method, req.URL, err)
	}
	return resp, m
}

func scimDo(t *testing.T, f *lmstest.SCIM, method, path, body string) (int, map[string]any) {
	t.Helper()
	resp, m := scimSend(t, scimRequest(t, f, method, path, body))
	return resp.StatusCode, m
}

// scimWantError checks SCIM's error envelope.
func scimWantError(t *testing.T, status int, m map[string]any, wantStatus int, wantType, wantDetail string) {
	t.Helper()
	want := map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status": fmt.Sprint(wantStatus), "detail": wantDetail}
	if wantType != "" {
		want["scimType"] = wantType
	}
	if status != wantStatus || !reflect.DeepEqual(m, want) {
		t.Errorf("got %d %v\nwant %d %v", status, m, wantStatus, want)
	}
}

func scimUserNames(m map[string]any) []string {
	var out []string
	for _, r := range m["Resources"].([]any) {
		out = append(out, r.(map[string]any)["userName"].(string))
	}
	return out
}

func TestSCIMAuth(t *testing.T) {
	tests := []struct {
		auth, header string
		want         int
	}{
		{"bearer", "Bearer test-scim-token", http.StatusOK},
		{"bearer", "bearer test-scim-token", http.StatusOK},
		{"bearer", "Static test-scim-token", http.StatusUnauthorized},
		{"bearer", "Bearer nope", http.StatusUnauthorized},
		{"bearer", "", http.StatusUnauthorized},
		{"static", "Static test-scim-token", http.StatusOK},
		{"static", "Bearer test-scim-token", http.StatusUnauthorized},
		{"basic", "Basic c2NpbTp0ZXN0LXNjaW0tcGFzc3dvcmQ=", http.StatusOK}, // scim:test-scim-password
		{"basic", "Basic c2NpbTpub3Bl", http.StatusUnauthorized},           // scim:nope
	}
	for _, tt := range tests {
		t.Run(tt.auth+" "+tt.header, func(t *testing.T) {
			f := newSCIMFake(t, func(o *lmstest.SCIMOptions) { o.Auth = tt.auth })
			req := scimRequest(t, f, http.MethodGet, "/Users", "")
			req.Header.Set("Authorization", tt.header)
			resp, m := scimSend(t, req)
			if tt.want == http.StatusOK {
				if resp.StatusCode != http.StatusOK || m["totalResults"] != 0.0 {
					t.Errorf("got %d %v", resp.StatusCode, m)
				}
				return
			}
			scimWantError(t, resp.StatusCode, m, http.StatusUnauthorized, "", "Authentication failed: check the "+tt.auth+" credentials")
		})
	}
}

func TestSCIMCreateAndRead(t *testing.T) {
	f := newSCIMFake(t)
	status, m := scimDo(t, f, http.MethodPost, "/Users", `{"schemas":["`+scimCore+`","`+scimLearnerbly+`"],
		"userName":"Ann@Example.com","externalId":"00ua","name":{"givenName":"Ann","familyName":"Lee"},
		"emails":[{"value":"Ann@Example.com","type":"work","primary":true}],
		"`+scimLearnerbly+`":{"approvers":["boss@example.com"],"contentRegion":"GB"}}`)
	if status != http.StatusCreated {
		t.Fatalf("got %d %v", status, m)
	}
	id, _ := m["id"].(string)
	meta, _ := m["meta"].(map[string]any)
	if id == "" || m["active"] != true || meta["resourceType"] != "User" || meta["location"] != f.URL+"/Users/"+id {
		t.Errorf("created %v", m)
	}
	status, got := scimDo(t, f, http.MethodGet, "/Users/"+id, "")
	if status != http.StatusOK || !reflect.DeepEqual(got, m) {
		t.Errorf("GET answered %d %v\nwant %v", status, got, m)
	}
	u, ok := f.User(id)
	if !ok || u.Get("USERNAME") != "Ann@Example.com" || u.Get(scimLearnerbly+":contentRegion") != "GB" || u.Get("name.familyName") != "Lee" {
		t.Errorf("stored %v", u)
	}
	status, m = scimDo(t, f, http.MethodGet, "/Users/nope", "")
	scimWantError(t, status, m, http.StatusNotFound, "", "Resource nope not found")
}

func TestSCIMCreateInvalid(t *testing.T) {
	f := newSCIMFake(t)
	f.AddUser(lmstest.SCIMResource{"userName": "ann@example.com", "externalId": "00ua"})
	core := `"schemas":["` + scimCore + `"]`
	tests := []struct {
		name, body string
		status     int
		scimType   string
		detail     string
	}{
		{"userName taken in other case", `{` + core + `,"userName":"ANN@example.com"}`, 409, "uniqueness", `userName "ANN@example.com" is already taken`},
		{"externalId taken", `{` + core + `,"userName":"x@example.com","externalId":"00ua"}`, 409, "uniqueness", `externalId "00ua" is already taken`},
		{"no userName", `{` + core + `,"displayName":"X"}`, 400, "invalidValue", "userName is required"},
		{"no schemas", `{"userName":"x@example.com"}`, 400, "invalidSyntax", "schemas must be a list of URNs including " + scimCore},
		{"extension not declared", `{` + core + `,"userName":"x@example.com","` + scimEnterprise + `":{"department":"Art"}}`, 400, "invalidValue",
			"Attributes of " + scimEnterprise + " are sent but the schema is not in schemas"},
		{"unknown extension attribute", `{"schemas":["` + scimCore + `","` + scimLearnerbly + `"],"userName":"x@example.com","` + scimLearnerbly + `":{"nope":"1"}}`,
			400, "invalidValue", "Schema " + scimLearnerbly + " has no attribute nope"},
		{"unknown schema", `{"schemas":["` + scimCore + `","urn:acme:User"],"userName":"x@example.com"}`, 400, "invalidValue", "Schema urn:acme:User is not served here"},
		{"active not a boolean", `{` + core + `,"userName":"x@example.com","active":"yes"}`, 400, "invalidValue", "active must be true or false"},
		{"not JSON", `userName=x`, 400, "invalidSyntax", "The body is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m := scimDo(t, f, http.MethodPost, "/Users", tt.body)
			scimWantError(t, status, m, tt.status, tt.scimType, tt.detail)
		})
	}
	req := scimRequest(t, f, http.MethodPost, "/Users", `{`+core+`,"userName":"x@example.com"}`)
	req.Header.Set("Content-Type", "text/plain")
	resp, m := scimSend(t, req)
	scimWantError(t, resp.StatusCode, m, http.StatusUnsupportedMediaType, "invalidSyntax", "Content-Type must be application/scim+json")
	if n := len(f.Users()); n != 1 {
		t.Errorf("%d users after refused creates, want 1", n)
	}
}

func TestSCIMFiltersAndPaging(t *testing.T) {
	f := newSCIMFake(t)
	for i := range 5 {
		f.AddUser(lmstest.SCIMResource{"userName": fmt.Sprintf("U%d@Example.com", i), "externalId": fmt.Sprintf("00u%d", i),
			"displayName": fmt.Sprintf("User %d", i)})
	}
	tests := []struct {
		query      string
		total      float64
		start, per float64
		names      []string
	}{
		{`filter=userName eq "u1@example.COM"`, 1, 1, 1, []string{"U1@Example.com"}},
		{`filter=USERNAME eq "U2@Example.com"`, 1, 1, 1, []string{"U2@Example.com"}},
		{`filter=externalId eq "00u3"`, 1, 1, 1, []string{"U3@Example.com"}},
		{`filter=externalId eq "00U3"`, 0, 1, 0, nil}, // externalId is case-exact
		{`filter=displayName eq "user 4"`, 1, 1, 1, []string{"U4@Example.com"}},
		{`filter=userName eq "nobody"`, 0, 1, 0, nil},
		{"startIndex=2&count=2", 5, 2, 2, []string{"U1@Example.com", "U2@Example.com"}},
		{"startIndex=5&count=2", 5, 5, 1, []string{"U4@Example.com"}},
		{"startIndex=6&count=2", 5, 6, 0, nil},
		{"startIndex=0&count=-1", 5, 1, 0, nil},
		{"count=1000", 5, 1, 5, []string{"U0@Example.com", "U1@Example.com", "U2@Example.com", "U3@Example.com", "U4@Example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			status, m := scimDo(t, f, http.MethodGet, "/Users?"+q.Encode(), "")
			if status != http.StatusOK || m["schemas"].([]any)[0] != "urn:ietf:params:scim:api:messages:2.0:ListResponse" {
				t.Fatalf("got %d %v", status, m)
			}
			got := []float64{m["totalResults"].(float64), m["startIndex"].(float64), m["itemsPerPage"].(float64)}
			if want := []float64{tt.total, tt.start, tt.per}; !slices.Equal(got, want) {
				t.Errorf("totalResults, startIndex, itemsPerPage = %v, want %v", got, want)
			}
			if names := scimUserNames(m); !slices.Equal(names, tt.names) {
				t.Errorf("users %q, want %q", names, tt.names)
			}
		})
	}
	for _, bad := range []string{`userName co "u"`, `title eq "x"`, `userName eq u1`} {
		status, m := scimDo(t, f, http.MethodGet, "/Users?"+url.Values{"filter": {bad}}.Encode(), "")
		if status != http.StatusBadRequest || m["scimType"] != "invalidFilter" {
			t.Errorf("filter %q: got %d %v, want 400 invalidFilter", bad, status, m)
		}
	}
}

func TestSCIMPageLimit(t *testing.T) {
	f := newSCIMFake(t)
	for i := range 150 {
		f.AddUser(lmstest.SCIMResource{"userName": fmt.Sprintf("u%d@example.com", i)})
	}
	_, m := scimDo(t, f, http.MethodGet, "/Users", "")
	if m["totalResults"] != 150.0 || m["itemsPerPage"] != 100.0 {
		t.Errorf("totalResults %v, itemsPerPage %v; want 150, at most 100", m["totalResults"], m["itemsPerPage"])
	}
}

func TestSCIMPut(t *testing.T) {
	f := newSCIMFake(t)
	id := f.AddUser(lmstest.SCIMResource{"userName": "ann@example.com", "title": "Chef", "nickName": "Annie"})
	before, _ := f.User(id)
	status, m := scimDo(t, f, http.MethodPut, "/Users/"+id, `{"schemas":["`+scimCore+`"],"id":"forged","userName":"ann@example.com",
		"title":"Head Chef","groups":[{"value":"g"}]}`)
	if status != http.StatusOK {
		t.Fatalf("got %d %v", status, m)
	}
	u, _ := f.User(id)
	if u.ID() != id || u.Get("title") != "Head Chef" || u.Get("nickName") != nil || u.Get("groups") != nil || u.Get("active") != true ||
		u.Get("meta.created") != before.Get("meta.created") {
		t.Errorf("after PUT %v: want the whole resource replaced, id, meta and groups kept from the service", u)
	}
}

func TestSCIMPatch(t *testing.T) {
	tests := []struct {
		name string
		ops  string
		want map[string]any // path → value after
	}{
		{"replace without path, extension nested", `{"op":"Replace","value":{"title":"Lead","active":false,
			"name":{"givenName":"Annie"},"` + scimEnterprise + `":{"department":"Ops"}}}`,
			map[string]any{"title": "Lead", "active": false, "name.givenName": "Annie", "name.familyName": "Lee",
				scimEnterprise + ":department": "Ops", scimEnterprise + ":costCenter": "7"}},
		{"replace by path", `{"op":"replace","path":"` + scimEnterprise + `:manager","value":{"value":"m1"}}`,
			map[string]any{scimEnterprise + ":manager.value": "m1", scimEnterprise + ":department": "Art"}},
		{"replace a sub-attribute", `{"op":"replace","path":"name.familyName","value":"Li"}`,
			map[string]any{"name.familyName": "Li", "name.givenName": "Ann"}},
		{"remove by path", `{"op":"remove","path":"` + scimEnterprise + `:department"}`,
			map[string]any{scimEnterprise + ":department": nil, scimEnterprise + ":costCenter": "7"}},
		{"add to a multi-valued attribute", `{"op":"add","path":"emails","value":[{"value":"ann@example.com","type":"work"},{"value":"a@home.example","type":"home"}]}`,
			map[string]any{"emails": []any{map[string]any{"value": "ann@example.com", "type": "work"}, map[string]any{"value": "a@home.example", "type": "home"}}}},
		{"remove by a value filter", `{"op":"remove","path":"emails[type eq \"work\"]"}`, map[string]any{"emails": nil}},
		{"replace by a value filter", `{"op":"replace","path":"emails[type eq \"work\"].value","value":"ann@new.example"}`,
			map[string]any{"emails": []any{map[string]any{"value": "ann@new.example", "type": "work"}}}},
		{"an extension attribute declares its schema", `{"op":"add","path":"` + scimLearnerbly + `:approvers","value":["b@example.com"]}`,
			map[string]any{scimLearnerbly + ":approvers": []any{"b@example.com"}, "schemas": []any{scimCore, scimEnterprise, scimLearnerbly}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSCIMFake(t)
			id := f.AddUser(lmstest.SCIMResource{"userName": "ann@example.com", "title": "Chef",
				"name":    map[string]any{"givenName": "Ann", "familyName": "Lee"},
				"emails":  []any{map[string]any{"value": "ann@example.com", "type": "work"}},
				"schemas": []any{scimCore, scimEnterprise}, scimEnterprise: map[string]any{"department": "Art", "costCenter": "7"}})
			status, m := scimDo(t, f, http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+tt.ops+`]}`)
			if status != http.StatusOK {
				t.Fatalf("got %d %v", status, m)
			}
			u, _ := f.User(id)
			for path, want := range tt.want {
				if got := u.Get(path); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", path, got, want)
				}
			}
		})
	}
}

func TestSCIMPatchRefused(t *testing.T) {
	f := newSCIMFake(t)
	id := f.AddUser(lmstest.SCIMResource{"userName": "ann@example.com"})
	f.AddUser(lmstest.SCIMResource{"userName": "bob@example.com"})
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	}
	tests := []struct {
		name, body       string
		status           int
		scimType, detail string
	}{
		{"no PatchOp schema", `{"Operations":[{"op":"replace","value":{"title":"x"}}]}`, 400, "invalidSyntax",
			`A PATCH body is {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[…]}`},
		{"unknown op", patch(`{"op":"move","path":"title"}`), 400, "invalidSyntax", `op "move" is not add, replace or remove`},
		{"remove without path", patch(`{"op":"remove"}`), 400, "noTarget", "remove needs a path"},
		{"bad path", patch(`{"op":"replace","path":"emails[type]","value":"x"}`), 400, "invalidPath", `"emails[type]" is not an attribute path`},
		{"filter matching nothing", patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"x"}`), 400, "noTarget",
			`No value of emails matches type eq "work"`},
		{"userName taken", patch(`{"op":"replace","value":{"userName":"BOB@example.com"}}`), 409, "uniqueness", `userName "BOB@example.com" is already taken`},
		// The first op applied alone would be valid: nothing of a refused PATCH is kept.
		{"all or nothing", patch(`{"op":"replace","path":"title","value":"Lead"},{"op":"remove","path":"userName"}`), 400, "invalidValue", "userName is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m := scimDo(t, f, http.MethodPatch, "/Users/"+id, tt.body)
			scimWantError(t, status, m, tt.status, tt.scimType, tt.detail)
		})
	}
	if u, _ := f.User(id); u.Get("title") != nil || u.Get("userName") != "ann@example.com" {
		t.Errorf("after refused PATCHes: %v", u)
	}

	f = newSCIMFake(t, func(o *lmstest.SCIMOptions) { o.PatchSupported = false })
	id = f.AddUser(lmstest.SCIMResource{"userName": "ann@example.com"})
	status, m := scimDo(t, f, http.MethodPatch, "/Users/"+id, patch(`{"op":"replace","value":{"title":"x"}}`))
	scimWantError(t, status, m, http.StatusNotImplemented, "", "PATCH /Users/"+id+" is not supported")
	if _, spc := scimDo(t, f, http.MethodGet, "/ServiceProviderConfig", ""); spc["patch"].(map[string]any)["supported"] != false {
		t.Errorf("ServiceProviderConfig says %v", spc["patch"])
	}
}

func TestSCIMGroups(t *testing.T) {
	f := newSCIMFake(t)
	ann := f.AddUser(lmstest.SCIMResource{"userName": "ann@example.com"})
	bob := f.AddUser(lmstest.SCIMResource{"userName": "bob@example.com"})
	status, m := scimDo(t, f, http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales"}`)
	if status != http.StatusCreated {
		t.Fatalf("got %d %v", status, m)
	}
	id := m["id"].(string)
	status, m = scimDo(t, f, http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"SALES"}`)
	scimWantError(t, status, m, http.StatusConflict, "uniqueness", `A group named "Sales" exists`)

	patch := func(ops string) (int, map[string]any) {
		return scimDo(t, f, http.MethodPatch, "/Groups/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+ops+`]}`)
	}
	steps := []struct {
		ops     string
		members []any
	}{
		{`{"op":"add","path":"members","value":[{"value":"` + ann + `"},{"value":"` + bob + `"}]}`,
			[]any{map[string]any{"value": ann}, map[string]any{"value": bob}}},
		{`{"op":"add","path":"members","value":[{"value":"` + bob + `","display":"Bob"}]}`, // already a member
			[]any{map[string]any{"value": ann}, map[string]any{"value": bob}}},
		{`{"op":"remove","path":"members[value eq \"` + ann + `\"]"}`, []any{map[string]any{"value": bob}}},
		{`{"op":"remove","path":"members[value eq \"` + ann + `\"]"}`, []any{map[string]any{"value": bob}}}, // gone already
		{`{"op":"remove","path":"members[value eq \"` + bob + `\"]"}`, nil},
	}
	for i, s := range steps {
		if status, m := patch(s.ops); status != http.StatusOK {
			t.Fatalf("step %d: got %d %v", i, status, m)
		}
		if g, _ := f.Group(id); !reflect.DeepEqual(g.Get("members"), any(s.members)) && (s.members != nil || g.Get("members") != nil) {
			t.Errorf("step %d: members %v, want %v", i, g.Get("members"), s.members)
		}
	}
	status, m = patch(`{"op":"add","path":"members","value":[{"value":"nobody"}]}`)
	scimWantError(t, status, m, http.StatusBadRequest, "invalidValue", `Member "nobody" is not a user`)

	status, m = scimDo(t, f, http.MethodGet, "/Groups?"+url.Values{"filter": {`displayName eq "sales"`}}.Encode(), "")
	if status != http.StatusOK || m["totalResults"] != 1.0 {
		t.Errorf("filter on displayName: got %d %v", status, m)
	}

	noGroups := newSCIMFake(t, func(o *lmstest.SCIMOptions) { o.NoGroups = true })
	status, m = scimDo(t, noGroups, http.MethodGet, "/Groups", "")
	scimWantError(t, status, m, http.StatusNotFound, "", "No SCIM endpoint at /Groups")
	_, types := scimDo(t, noGroups, http.MethodGet, "/ResourceTypes", "")
	if n := types["totalResults"]; n != 1.0 {
		t.Errorf("/ResourceTypes without groups lists %v types, want 1", n)
	}
}

func TestSCIMDiscovery(t *testing.T) {
	f := newSCIMFake(t)
	_, spc := scimDo(t, f, http.MethodGet, "/ServiceProviderConfig", "")
	if spc["patch"].(map[string]any)["supported"] != true || spc["filter"].(map[string]any)["maxResults"] != 100.0 {
		t.Errorf("ServiceProviderConfig %v", spc)
	}
	_, types := scimDo(t, f, http.MethodGet, "/ResourceTypes", "")
	var endpoints []string
	for _, r := range types["Resources"].([]any) {
		endpoints = append(endpoints, r.(map[string]any)["endpoint"].(string))
	}
	if !slices.Equal(endpoints, []string{"/Users", "/Groups"}) {
		t.Errorf("resource types at %q", endpoints)
	}
	_, schemas := scimDo(t, f, http.MethodGet, "/Schemas", "")
	attrs := map[string][]string{}
	for _, r := range schemas["Resources"].([]any) {
		s := r.(map[string]any)
		for _, a := range s["attributes"].([]any) {
			attrs[s["id"].(string)] = append(attrs[s["id"].(string)], a.(map[string]any)["name"].(string))
		}
	}
	if !slices.Contains(attrs[scimCore], "userName") || !slices.Equal(attrs[scimLearnerbly], []string{"approvers", "contentRegion"}) ||
		!slices.Contains(attrs[scimEnterprise], "manager") || !slices.Contains(attrs["urn:ietf:params:scim:schemas:core:2.0:Group"], "members") {
		t.Errorf("schemas' attributes %v", attrs)
	}
}

func TestSCIMFaultsAndRateLimit(t *testing.T) {
	f := newSCIMFake(t)
	f.InjectFault(lmstest.Fault{Method: http.MethodGet, PathPrefix: "/scim/v2/acme/Users", Skip: 1, Times: 1, Status: 503})
	for i, want := range []int{200, 503, 200} {
		if status, m := scimDo(t, f, http.MethodGet, "/Users", ""); status != want {
			t.Errorf("request %d: got %d %v, want %d", i, status, m, want)
		}
	}
	f.SetRateLimit(1)
	scimDo(t, f, http.MethodGet, "/Users", "")
	resp, m := scimSend(t, scimRequest(t, f, http.MethodGet, "/Users", ""))
	scimWantError(t, resp.StatusCode, m, http.StatusTooManyRequests, "", "Too many requests")
	if resp.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if n, w := len(f.Requests()), len(f.Mutations()); n != 5 || w != 0 {
		t.Errorf("%d requests, %d mutations recorded; want 5, 0", n, w)
	}
}
