package lmstest

import (
	"crypto/rand"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	learnAmpTokenPath      = "/oauth/token"
	learnAmpDefaultPerPage = 25  // assumed: the docs state neither
	learnAmpMaxPerPage     = 100 // default nor maximum
)

var (
	// learnAmpRoles are the roles the API may give; "owner" is not one.
	learnAmpRoles = []string{"viewer", "curator", "reporter", "learning_designer", "hr", "admin"}
	// learnAmpLanguages are the supported language codes of the docs.
	learnAmpLanguages = []string{"en", "en-US", "de", "es", "es-CO", "fr", "it", "nl", "pt-BR", "pl", "ru", "no",
		"sv", "da", "zh-CN", "zh-TW", "ja", "ar", "sk", "cy", "el", "hu", "pt-PT", "ro", "tr"}
	learnAmpStatusNames = map[string]string{"not_invited": "Not invited", "invite_scheduled": "Invite scheduled",
		"invite_pending": "Invite pending", "confirmed": "Confirmed", "deactivated": "Deactivated"}
)

type learnAmpErrorJSON struct {
	Error       string              `json:"error"`
	Description string              `json:"error_description,omitempty"` // OAuth errors only
	FullErrors  map[string][]string `json:"fullErrors,omitempty"`
}

type learnAmpTokenJSON struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
	CreatedAt   int64  `json:"created_at"`
}

type learnAmpUserJSON struct {
	ID                    int                `json:"id"`
	FirstName             string             `json:"firstName"`
	LastName              string             `json:"lastName"`
	JobTitle              *string            `json:"jobTitle"`
	Email                 string             `json:"email"`
	TimeZone              string             `json:"timeZone"`
	Language              string             `json:"language"`
	Role                  string             `json:"role"`
	IntegrationExternalID *string            `json:"integrationExternalId"`
	HireDate              *string            `json:"hireDate"`
	ProfileURL            string             `json:"profileUrl"`
	Status                learnAmpStatusJSON `json:"status"`
}

type learnAmpStatusJSON struct {
	Status string `json:"status"`
}

// learnAmpUserDetailJSON is a user with expanded=true, and as shown alone.
type learnAmpUserDetailJSON struct {
	learnAmpUserJSON
	Avatar         *string                   `json:"avatar"`
	Manager        *learnAmpUserJSON         `json:"manager"`
	Location       *string                   `json:"location"`
	Department     *string                   `json:"department"`
	PrimaryTeam    *learnAmpTeamJSON         `json:"primaryTeam"`
	SecondaryTeams []learnAmpTeamJSON        `json:"secondaryTeams"`
	CustomFields   []learnAmpCustomFieldJSON `json:"customFields"`
}

// learnAmpCustomFieldJSON has the shape a create sends: the docs list
// custom fields among the expanded details without showing them.
type learnAmpCustomFieldJSON struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

type learnAmpTeamJSON struct {
	ID               int               `json:"id"`
	Name             string            `json:"name"`
	TeamUsersCount   int               `json:"teamUsersCount"`
	APITeamPath      string            `json:"apiTeamPath"`
	APITeamUsersPath string            `json:"apiTeamUsersPath"`
	ParentTeamID     *int              `json:"parentTeamId"`
	Manager          *learnAmpUserJSON `json:"manager"`
}

type learnAmpTeamUsersJSON struct {
	learnAmpTeamJSON
	Users []learnAmpUserJSON `json:"users"`
}

func (f *LearnAmp) serveHTTP(w http.ResponseWriter, r *http.Request) {
	f.serve(w, r, f.answerLocked)
}

// answerLocked serves a request that no fault or rate limit stopped.
func (f *LearnAmp) answerLocked(r *http.Request, body []byte) reply {
	if r.URL.Path == learnAmpTokenPath && r.Method == http.MethodPost {
		return f.tokenLocked(body)
	}
	grant, rep := f.grantLocked(r.Header.Get("Authorization"))
	if rep != nil {
		return *rep
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		return learnAmpError(http.StatusNotFound, "Not found")
	}
	scope, serve := f.routeLocked(r.Method, strings.Split(strings.TrimSuffix(rest, "/"), "/"), r.URL.Query(), body)
	switch {
	case serve == nil:
		return learnAmpError(http.StatusNotFound, "Not found")
	case !slices.Contains(grant.scopes, scope):
		return learnAmpJSON(http.StatusForbidden, learnAmpErrorJSON{Error: "insufficient_scope",
			Description: "This endpoint requires the " + scope + " scope."})
	}
	return serve()
}

func learnAmpJSON(status int, v any) reply {
	b, _ := json.Marshal(v) // cannot fail: only plain structs and maps are marshalled
	return reply{status: status, body: b}
}

func learnAmpError(status int, msg string) reply {
	return learnAmpJSON(status, learnAmpErrorJSON{Error: msg})
}

// learnAmpInvalid collects parameter errors as Learn Amp reports them:
// "email is missing, lastName is empty" with the same, by field, in fullErrors.
type learnAmpInvalid struct {
	msgs []string
	full map[string][]string
}

func (v *learnAmpInvalid) add(field, msg string) {
	if v.full == nil {
		v.full = map[string][]string{}
	}
	v.msgs = append(v.msgs, field+" "+msg)
	v.full[field] = append(v.full[field], msg)
}

func (v *learnAmpInvalid) reply() *reply {
	if len(v.msgs) == 0 {
		return nil
	}
	rep := learnAmpJSON(http.StatusBadRequest, learnAmpErrorJSON{Error: strings.Join(v.msgs, ", "), FullErrors: v.full})
	return &rep
}

// tokenLocked serves the OAuth 2.0 client credentials grant. A token
// request asking no scope gets "public", as Learn Amp's does.
func (f *LearnAmp) tokenLocked(body []byte) reply {
	form, err := url.ParseQuery(string(body))
	oauthError := func(status int, code, desc string) reply {
		return learnAmpJSON(status, learnAmpErrorJSON{Error: code, Description: desc})
	}
	switch {
	case err != nil || form.Get("grant_type") == "":
		return oauthError(http.StatusBadRequest, "invalid_request",
			"The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.")
	case form.Get("grant_type") != "client_credentials":
		return oauthError(http.StatusBadRequest, "unsupported_grant_type",
			"The authorization grant type is not supported by the authorization server.")
	case form.Get("client_id") != f.ClientID || form.Get("client_secret") != f.ClientSecret:
		return oauthError(http.StatusUnauthorized, "invalid_client",
			"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
	}
	scopes := strings.Fields(form.Get("scope"))
	if len(scopes) == 0 {
		scopes = []string{"public"}
	}
	for _, s := range scopes {
		if s != "public" && !slices.Contains(f.Scopes, s) {
			return oauthError(http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
		}
	}
	now := f.Now()
	tok := rand.Text()
	f.grants[tok] = learnAmpGrant{scopes: scopes, expires: now.Add(f.TokenLifetime)}
	f.issued = append(f.issued, tok)
	return learnAmpJSON(http.StatusOK, learnAmpTokenJSON{AccessToken: tok, TokenType: "Bearer",
		ExpiresIn: int(f.TokenLifetime.Seconds()), Scope: strings.Join(scopes, " "), CreatedAt: now.Unix()})
}

// grantLocked returns the grant of the request's bearer token, or the 401
// refusing it.
func (f *LearnAmp) grantLocked(authorization string) (learnAmpGrant, *reply) {
	tok, ok := strings.CutPrefix(authorization, "Bearer ")
	g, known := f.grants[tok]
	var rep reply
	switch {
	case !ok || !known:
		rep = learnAmpJSON(http.StatusUnauthorized, learnAmpErrorJSON{Error: "invalid_token", Description: "The access token is invalid"})
	case !f.Now().Before(g.expires):
		rep = learnAmpJSON(http.StatusUnauthorized, learnAmpErrorJSON{Error: "invalid_token", Description: "The access token expired"})
	default:
		return g, nil
	}
	return learnAmpGrant{}, &rep
}

// routeLocked finds the endpoint of an authenticated request below /v1:
// the scope it requires and what serves it. serve is nil for no endpoint.
func (f *LearnAmp) routeLocked(method string, segs []string, q url.Values, body []byte) (scope string, serve func() reply) {
	n := len(segs)
	switch route := method + " " + segs[0]; {
	case n == 1 && route == "GET users":
		return "users:read", func() reply { return f.listUsersLocked(q) }
	case n == 1 && route == "POST users":
		return "users:create", func() reply { return f.createUserLocked(body) }
	case n == 3 && route == "GET users" && segs[1] == "by_integration_external_id":
		return "users:read", func() reply {
			for _, a := range f.accounts {
				if a.user.IntegrationExternalID != "" && a.user.IntegrationExternalID == segs[2] {
					return learnAmpJSON(http.StatusOK, f.userDetailLocked(a))
				}
			}
			return learnAmpError(http.StatusNotFound, "Not found")
		}
	case n == 2 && route == "GET users":
		return "users:read", func() reply {
			return f.withUserLocked(segs[1], func(a *learnAmpAccount) reply { return learnAmpJSON(http.StatusOK, f.userDetailLocked(a)) })
		}
	case n == 2 && route == "PUT users":
		return "users:update", func() reply {
			return f.withUserLocked(segs[1], func(a *learnAmpAccount) reply { return f.updateUserLocked(a, body) })
		}
	case n == 3 && route == "PUT users" && (segs[2] == "deactivate" || segs[2] == "reactivate"):
		return "users:" + segs[2], func() reply {
			return f.withUserLocked(segs[1], func(a *learnAmpAccount) reply {
				switch {
				case segs[2] == "reactivate" && a.user.Status == "deactivated":
					a.user.Status = a.reactivated
				case segs[2] == "deactivate" && a.user.Status != "deactivated":
					a.reactivated, a.user.Status = a.user.Status, "deactivated"
				}
				return reply{status: http.StatusNoContent}
			})
		}
	case n == 1 && route == "GET teams":
		return "teams:read", func() reply {
			page, header := learnAmpPaginate(f.teams, q)
			list := struct {
				Teams []learnAmpTeamJSON `json:"teams"`
			}{Teams: []learnAmpTeamJSON{}}
			for _, t := range page {
				list.Teams = append(list.Teams, learnAmpTeamView(t))
			}
			rep := learnAmpJSON(http.StatusOK, list)
			rep.header = header
			return rep
		}
	case n == 1 && route == "POST teams":
		return "teams:create", func() reply { return f.editTeamLocked(nil, body) }
	case n == 2 && route == "PUT teams":
		return "teams:update", func() reply {
			return f.withTeamLocked(segs[1], func(t *learnAmpTeam) reply { return f.editTeamLocked(t, body) })
		}
	case n == 3 && route == "GET teams" && segs[2] == "users":
		return "team_users:read", func() reply {
			return f.withTeamLocked(segs[1], func(t *learnAmpTeam) reply { return f.teamUsersLocked(t, q) })
		}
	case n == 3 && route == "POST teams" && segs[2] == "users":
		return "team_users:create", func() reply {
			return f.withTeamLocked(segs[1], func(t *learnAmpTeam) reply { return f.addMemberLocked(t, body) })
		}
	case n == 4 && route == "DELETE teams" && segs[2] == "users":
		return "team_users:delete", func() reply {
			return f.withTeamLocked(segs[1], func(t *learnAmpTeam) reply {
				i := slices.IndexFunc(t.members, func(m learnAmpMembership) bool { return strconv.Itoa(m.userID) == segs[3] })
				if i < 0 {
					return learnAmpError(http.StatusNotFound, "Not found")
				}
				t.members = slices.Delete(t.members, i, i+1)
				return reply{status: http.StatusNoContent}
			})
		}
	}
	return "", nil
}

func (f *LearnAmp) withUserLocked(id string, serve func(*learnAmpAccount) reply) reply {
	n, err := strconv.Atoi(id)
	if a := f.accountLocked(n); err == nil && a != nil {
		return serve(a)
	}
	return learnAmpError(http.StatusNotFound, "Not found")
}

func (f *LearnAmp) withTeamLocked(id string, serve func(*learnAmpTeam) reply) reply {
	n, err := strconv.Atoi(id)
	if t := f.teamLocked(n); err == nil && t != nil {
		return serve(t)
	}
	return learnAmpError(http.StatusNotFound, "Not found")
}

// learnAmpPaginate returns the page the query asks for and the headers
// telling the totals.
func learnAmpPaginate[T any](all []T, q url.Values) ([]T, http.Header) {
	intParam := func(key string, def int) int {
		if n, err := strconv.Atoi(q.Get(key)); err == nil && n > 0 {
			return n
		}
		return def
	}
	perPage := min(intParam("perPage", learnAmpDefaultPerPage), learnAmpMaxPerPage)
	pages := (len(all) + perPage - 1) / perPage
	header := http.Header{"Total": {strconv.Itoa(len(all))}, "Per-Page": {strconv.Itoa(perPage)},
		"Total-Pages": {strconv.Itoa(pages)}}
	page := intParam("page", 1)
	if page > pages { // checked first: (page-1)*perPage could overflow
		return nil, header
	}
	start := (page - 1) * perPage
	return all[start:min(start+perPage, len(all))], header
}

// listUsersLocked serves GET /v1/users. Details (manager, location,
// department, teams, custom fields) come only with expanded=true.
func (f *LearnAmp) listUsersLocked(q url.Values) reply {
	statuses := q["filters[status][]"]
	var matched []*learnAmpAccount
	for _, a := range f.accounts {
		u := a.user
		switch {
		case q.Has("filters[email]") && !strings.EqualFold(u.Email, q.Get("filters[email]")):
		case q.Has("filters[integration_external_id]") && u.IntegrationExternalID != q.Get("filters[integration_external_id]"):
		case len(statuses) > 0 && !slices.Contains(statuses, u.Status):
		case len(statuses) == 0 && u.Status == "deactivated":
		default:
			matched = append(matched, a)
		}
	}
	page, header := learnAmpPaginate(matched, q)
	users := []any{}
	for _, a := range page {
		if q.Get("expanded") == "true" {
			users = append(users, f.userDetailLocked(a))
		} else {
			users = append(users, learnAmpUserView(a.user))
		}
	}
	rep := learnAmpJSON(http.StatusOK, map[string][]any{"users": users})
	rep.header = header
	return rep
}

// learnAmpObject decodes a JSON object body, or returns the 400 refusing it.
func learnAmpObject(body []byte) (map[string]json.RawMessage, *reply) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil || raw == nil {
		rep := learnAmpError(http.StatusBadRequest, "The request body must be a JSON object")
		return nil, &rep
	}
	return raw, nil
}

func (f *LearnAmp) createUserLocked(body []byte) reply {
	raw, rep := learnAmpObject(body)
	if rep != nil {
		return *rep
	}
	u, rep := f.editLocked(LearnAmpUser{Role: "viewer", Language: "en"}, raw, true)
	if rep != nil {
		return *rep
	}
	var skip any
	json.Unmarshal(raw["skipInvitation"], &skip) // absent or malformed: not skipped
	u.Status = "not_invited"
	if skip != true && skip != "true" {
		u.Status = "invite_pending"
		f.invitations = append(f.invitations, u.Email)
	}
	f.lastID++
	u.ID = f.lastID
	a := &learnAmpAccount{user: u, reactivated: u.Status}
	f.accounts = append(f.accounts, a) // the highest id so far, so still ordered
	return learnAmpJSON(http.StatusCreated, f.userDetailLocked(a))
}

// updateUserLocked applies a partial update: only the keys present change.
func (f *LearnAmp) updateUserLocked(a *learnAmpAccount, body []byte) reply {
	raw, rep := learnAmpObject(body)
	if rep != nil {
		return *rep
	}
	u, rep := f.editLocked(a.user, raw, false)
	if rep != nil {
		return *rep
	}
	a.user = u
	return learnAmpJSON(http.StatusOK, f.userDetailLocked(a))
}

// editLocked returns u with the attributes present in raw (a present null
// or "" clears one), checked in Learn Amp's order: parameters (400 with
// fullErrors), the manager (400), custom field names (404), uniqueness (400).
func (f *LearnAmp) editLocked(u LearnAmpUser, raw map[string]json.RawMessage, creating bool) (LearnAmpUser, *reply) {
	u.CustomFields = maps.Clone(u.CustomFields)
	var invalid learnAmpInvalid
	for _, p := range []struct {
		key string
		dst *string
	}{
		{"email", &u.Email}, {"firstName", &u.FirstName}, {"lastName", &u.LastName},
		{"integrationExternalId", &u.IntegrationExternalID}, {"role", &u.Role}, {"language", &u.Language},
		{"jobTitle", &u.JobTitle}, {"hireDate", &u.HireDate}, {"location", &u.Location}, {"department", &u.Department},
	} {
		v, present := raw[p.key]
		if present {
			*p.dst = "" // stays empty for null
			if json.Unmarshal(v, p.dst) != nil {
				invalid.add(p.key, "is invalid")
			}
		}
		switch required := p.key == "email" || p.key == "firstName" || p.key == "lastName"; {
		case required && creating && !present:
			invalid.add(p.key, "is missing")
		case required && present && *p.dst == "":
			invalid.add(p.key, "is empty")
		}
	}
	if _, ok := raw["role"]; ok && !slices.Contains(learnAmpRoles, u.Role) {
		invalid.add("role", "does not have a valid value")
	}
	if _, ok := raw["language"]; ok && !slices.Contains(learnAmpLanguages, u.Language) {
		invalid.add("language", "does not have a valid value")
	}
	if _, err := time.Parse(time.DateOnly, u.HireDate); u.HireDate != "" && err != nil {
		invalid.add("hireDate", "is invalid")
	}
	var custom []struct {
		Name  string          `json:"name"`
		Value json.RawMessage `json:"value"`
	}
	if v, ok := raw["customFields"]; ok && json.Unmarshal(v, &custom) != nil {
		invalid.add("customFields", "is invalid")
	}
	if rep := invalid.reply(); rep != nil {
		return u, rep
	}

	if v, ok := raw["managerEmail"]; ok {
		var email string
		json.Unmarshal(v, &email) // null or not a string: no manager
		u.ManagerID = 0
		if email != "" {
			i := slices.IndexFunc(f.accounts, func(m *learnAmpAccount) bool {
				return strings.EqualFold(m.user.Email, email) && m.user.Status != "deactivated"
			})
			if i < 0 {
				rep := learnAmpError(http.StatusBadRequest, LearnAmpUnknownManager)
				return u, &rep
			}
			u.ManagerID = f.accounts[i].user.ID
		}
	}
	for _, c := range custom {
		if !slices.Contains(f.fields, c.Name) {
			rep := learnAmpError(http.StatusNotFound, "Custom field not found: "+c.Name)
			return u, &rep
		}
		var value string
		if json.Unmarshal(c.Value, &value) != nil && string(c.Value) != "null" {
			value = string(c.Value) // a number or a boolean, kept as its text
		}
		if value == "" {
			delete(u.CustomFields, c.Name)
		} else {
			if u.CustomFields == nil {
				u.CustomFields = map[string]string{}
			}
			u.CustomFields[c.Name] = value
		}
	}

	for _, a := range f.accounts {
		var field, msg string
		switch {
		case a.user.ID == u.ID:
		case strings.EqualFold(a.user.Email, u.Email):
			field, msg = "email", LearnAmpEmailTaken
		case u.IntegrationExternalID != "" && a.user.IntegrationExternalID == u.IntegrationExternalID:
			field, msg = "integrationExternalId", LearnAmpExternalIDTaken
		}
		if field != "" {
			rep := learnAmpJSON(http.StatusBadRequest, learnAmpErrorJSON{Error: msg,
				FullErrors: map[string][]string{field: {"has already been taken"}}})
			return u, &rep
		}
	}
	return u, nil
}

func (f *LearnAmp) editTeamLocked(t *learnAmpTeam, body []byte) reply {
	raw, rep := learnAmpObject(body)
	if rep != nil {
		return *rep
	}
	var invalid learnAmpInvalid
	var name string
	v, present := raw["name"]
	switch {
	case !present && t == nil:
		invalid.add("name", "is missing")
	case present && (json.Unmarshal(v, &name) != nil || name == ""):
		invalid.add("name", "is empty")
	}
	if rep := invalid.reply(); rep != nil {
		return *rep
	}
	status := http.StatusOK
	if t == nil {
		f.lastID++
		t, status = &learnAmpTeam{id: f.lastID}, http.StatusCreated
		f.teams = append(f.teams, t)
	}
	if present {
		t.name = name
	}
	return learnAmpJSON(status, learnAmpTeamUsersJSON{learnAmpTeamJSON: learnAmpTeamView(t), Users: f.memberViewsLocked(t.members)})
}

func (f *LearnAmp) teamUsersLocked(t *learnAmpTeam, q url.Values) reply {
	page, header := learnAmpPaginate(t.members, q)
	rep := learnAmpJSON(http.StatusOK, learnAmpTeamUsersJSON{learnAmpTeamJSON: learnAmpTeamView(t), Users: f.memberViewsLocked(page)})
	rep.header = header
	return rep
}

// addMemberLocked adds a user to a team; adding a member again answers the
// existing membership (assumed: the docs do not say).
func (f *LearnAmp) addMemberLocked(t *learnAmpTeam, body []byte) reply {
	raw, rep := learnAmpObject(body)
	if rep != nil {
		return *rep
	}
	var userID int
	var invalid learnAmpInvalid
	if v, ok := raw["userId"]; !ok {
		invalid.add("userId", "is missing")
	} else if json.Unmarshal(v, &userID) != nil {
		invalid.add("userId", "is invalid")
	}
	if rep := invalid.reply(); rep != nil {
		return *rep
	}
	if f.accountLocked(userID) == nil {
		return learnAmpError(http.StatusNotFound, "Not found")
	}
	i := slices.IndexFunc(t.members, func(m learnAmpMembership) bool { return m.userID == userID })
	if i < 0 {
		f.lastID++
		t.members = append(t.members, learnAmpMembership{id: f.lastID, userID: userID})
		i = len(t.members) - 1
	}
	return learnAmpJSON(http.StatusCreated, map[string]int{"id": t.members[i].id, "teamId": t.id, "userId": userID})
}

func (f *LearnAmp) memberViewsLocked(members []learnAmpMembership) []learnAmpUserJSON {
	out := []learnAmpUserJSON{}
	for _, m := range members {
		if a := f.accountLocked(m.userID); a != nil {
			out = append(out, learnAmpUserView(a.user))
		}
	}
	return out
}

func learnAmpUserView(u LearnAmpUser) learnAmpUserJSON {
	return learnAmpUserJSON{
		ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, JobTitle: learnAmpNullable(u.JobTitle),
		Email: u.Email, TimeZone: "London", Language: u.Language, Role: u.Role,
		IntegrationExternalID: learnAmpNullable(u.IntegrationExternalID), HireDate: learnAmpNullable(u.HireDate),
		ProfileURL: "https://fake.learnamp.com/en/users/" + strconv.Itoa(u.ID),
		Status:     learnAmpStatusJSON{Status: learnAmpStatusNames[u.Status]},
	}
}

// userDetailLocked renders a user with its details. Every team the user is
// in is listed as a secondary team: the fake keeps no primary team.
func (f *LearnAmp) userDetailLocked(a *learnAmpAccount) learnAmpUserDetailJSON {
	u := a.user
	d := learnAmpUserDetailJSON{
		learnAmpUserJSON: learnAmpUserView(u),
		Location:         learnAmpNullable(u.Location),
		Department:       learnAmpNullable(u.Department),
		SecondaryTeams:   []learnAmpTeamJSON{},
		CustomFields:     []learnAmpCustomFieldJSON{},
	}
	if m := f.accountLocked(u.ManagerID); m != nil {
		view := learnAmpUserView(m.user)
		d.Manager = &view
	}
	for _, t := range f.teams {
		if slices.ContainsFunc(t.members, func(m learnAmpMembership) bool { return m.userID == u.ID }) {
			d.SecondaryTeams = append(d.SecondaryTeams, learnAmpTeamView(t))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(u.CustomFields)) {
		d.CustomFields = append(d.CustomFields, learnAmpCustomFieldJSON{Name: name, Value: learnAmpNullable(u.CustomFields[name])})
	}
	return d
}

func learnAmpTeamView(t *learnAmpTeam) learnAmpTeamJSON {
	path := "/v1/teams/" + strconv.Itoa(t.id)
	return learnAmpTeamJSON{ID: t.id, Name: t.name, TeamUsersCount: len(t.members),
		APITeamPath: path + ".json", APITeamUsersPath: path + "/users.json"}
}

// learnAmpNullable renders an empty string as JSON null.
func learnAmpNullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
