package lmstest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// lessonlyTimeLayout is how Rails renders timestamps in JSON, e.g.
	// 2019-02-01T02:51:40.436-05:00.
	lessonlyTimeLayout = "2006-01-02T15:04:05.000Z07:00"
	// lessonlyRestrictedNameChars may not appear in a user's name.
	lessonlyRestrictedNameChars = "!@#$%^&*+=()|[];"
	lessonlyRateLimited         = "Rate Limit Exceeded"
	lessonlyDefaultPerPage      = 50
	lessonlyMaxPerPage          = 1000
)

var lessonlyRoles = []string{"learner", "creator", "manager", "admin"}

type lessonlyErrorJSON struct {
	Type  string `json:"type"`
	Error string `json:"error"`
}

type lessonlyUserJSON struct {
	Type                string                 `json:"type,omitempty"`
	ID                  int                    `json:"id"`
	ResourceType        string                 `json:"resource_type"`
	ExtUID              *string                `json:"ext_uid"`
	Email               string                 `json:"email"`
	Name                string                 `json:"name"`
	Role                string                 `json:"role"`
	RoleID              *int                   `json:"role_id"` // always null: custom roles are not faked
	ArchivedAt          *string                `json:"archived_at"`
	ArchivedByUserID    *int                   `json:"archived_by_user_id"` // always null: archiving is by API key
	JobTitle            string                 `json:"job_title"`
	BusinessUnit        string                 `json:"business_unit"`
	Department          string                 `json:"department"`
	Location            string                 `json:"location"`
	Locale              string                 `json:"locale"`
	HireDate            *string                `json:"hire_date"`
	ManagerName         string                 `json:"manager_name"`
	CustomUserFieldData *[]lessonlyCustomDatum `json:"custom_user_field_data,omitempty"`
	Groups              *lessonlyGroups        `json:"groups,omitempty"`
}

type lessonlyCustomDatum struct {
	ID                int    `json:"id"`
	CustomUserFieldID int    `json:"custom_user_field_id"`
	Name              string `json:"name"`
	Value             string `json:"value"`
}

// lessonlyGroups is always empty: a user's memberships are faked only in
// GET /groups/:id, but v1.1 clients expect the key.
type lessonlyGroups struct {
	Member  []any `json:"member"`
	Manager []any `json:"manager"`
}

type lessonlyUserListJSON struct {
	Type       string             `json:"type"`
	TotalUsers int                `json:"total_users"`
	TotalPages int                `json:"total_pages"`
	Page       int                `json:"page"`
	PerPage    int                `json:"per_page"`
	Users      []lessonlyUserJSON `json:"users"`
}

// lessonlyCustomInput is one entry of custom_user_fields in a create or
// update. Lessonly documents custom_user_field_id; an entry with only a name
// is matched by name, and an unknown name defines a new field.
type lessonlyCustomInput struct {
	FieldID int    `json:"custom_user_field_id"`
	Name    string `json:"name"`
	Value   string `json:"value"`
}

type lessonlyInput struct {
	notify bool // send a welcome email
	custom []lessonlyCustomInput
}

func (f *Lessonly) serveHTTP(w http.ResponseWriter, r *http.Request) {
	f.serve(w, r, f.answerLocked)
}

// limitedLocked answers a request over the rate limit.
func (f *Lessonly) limitedLocked(int) reply {
	if !f.rateUse429 {
		return lessonlyFail(http.StatusForbidden, lessonlyRateLimited)
	}
	rep := lessonlyFail(http.StatusTooManyRequests, lessonlyRateLimited)
	rep.header = http.Header{"Retry-After": {"1"}}
	return rep
}

// answerLocked serves a request that no fault or rate limit stopped.
func (f *Lessonly) answerLocked(r *http.Request, body []byte) reply {
	if user, key, ok := r.BasicAuth(); !ok || user != f.Subdomain || key != f.APIKey {
		return lessonlyFail(http.StatusUnauthorized, "Unauthorized")
	}
	return jsonReply(f.routeLocked(r.Method, r.URL.Path, r.URL.Query(), body))
}

func jsonReply(status int, v any) reply {
	b, _ := json.Marshal(v) // cannot fail: only plain structs are marshalled
	return reply{status: status, body: b}
}

func lessonlyError(status int, msg string) (int, any) {
	return status, lessonlyErrorJSON{Type: "error", Error: msg}
}

// lessonlyFail is lessonlyError as a reply.
func lessonlyFail(status int, msg string) reply {
	return jsonReply(lessonlyError(status, msg))
}

// routeLocked serves an authenticated request. Anything that is not a known
// route, including a known path with the wrong method, is 404 as in Rails.
func (f *Lessonly) routeLocked(method, path string, q url.Values, body []byte) (int, any) {
	v11 := false
	rest, ok := strings.CutPrefix(path, "/api/v1/")
	if !ok {
		if rest, ok = strings.CutPrefix(path, "/api/v1.1/"); !ok {
			return lessonlyError(http.StatusNotFound, "Not Found")
		}
		v11 = true
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if segs[0] == "groups" && !v11 {
		return f.routeGroupsLocked(method, segs[1:], body)
	}
	if segs[0] != "users" {
		return lessonlyError(http.StatusNotFound, "Not Found")
	}
	if len(segs) == 1 {
		switch method {
		case http.MethodGet:
			return f.listLocked(q, v11)
		case http.MethodPost:
			return f.createLocked(body, v11)
		}
		return lessonlyError(http.StatusNotFound, "Not Found")
	}
	action := strings.Join(segs[2:], "/")
	switch {
	case method == http.MethodGet && action == "":
	case method == http.MethodPut && slices.Contains([]string{"", "archive", "restore"}, action):
	default:
		return lessonlyError(http.StatusNotFound, "Not Found")
	}
	id, err := strconv.Atoi(segs[1])
	a := f.accountLocked(id)
	if err != nil || a == nil {
		return lessonlyError(http.StatusNotFound, "User not found")
	}
	switch {
	case method == http.MethodGet:
	case action == "":
		return f.updateLocked(a, body, v11)
	case action == "archive":
		if a.user.ArchivedAt == nil { // archiving twice keeps the first time
			now := f.Now()
			a.user.ArchivedAt = &now
		}
	default: // restore
		a.user.ArchivedAt = nil
	}
	return http.StatusOK, f.userJSONLocked(a, "user", true, v11)
}

// listLocked serves GET /users. Custom field data and groups are only part
// of v1.1 listings; v1 clients must fetch users one by one to see them.
func (f *Lessonly) listLocked(q url.Values, v11 bool) (int, any) {
	sameEmail := strings.EqualFold
	if f.EmailFilterExact {
		sameEmail = func(a, b string) bool { return a == b }
	}
	var matched []*lessonlyAccount
	for _, a := range f.accounts {
		if q.Has("filter[email]") && !sameEmail(a.user.Email, q.Get("filter[email]")) ||
			q.Has("filter[ext_uid]") && a.user.ExtUID != q.Get("filter[ext_uid]") {
			continue
		}
		matched = append(matched, a)
	}
	page := lessonlyIntParam(q, "page", 1)
	perPage := min(lessonlyIntParam(q, "per_page", lessonlyDefaultPerPage), lessonlyMaxPerPage)
	list := lessonlyUserListJSON{
		Type:       "users",
		TotalUsers: len(matched),
		TotalPages: (len(matched) + perPage - 1) / perPage,
		Page:       page,
		PerPage:    perPage,
		Users:      []lessonlyUserJSON{},
	}
	if page <= list.TotalPages { // checked first: (page-1)*perPage could overflow
		start := (page - 1) * perPage
		for _, a := range matched[start:min(start+perPage, len(matched))] {
			list.Users = append(list.Users, f.userJSONLocked(a, "", v11, v11))
		}
	}
	return http.StatusOK, list
}

// lessonlyIntParam returns a positive integer query parameter, or def when
// it is absent or not a positive integer.
func lessonlyIntParam(q url.Values, key string, def int) int {
	n, err := strconv.Atoi(q.Get(key))
	if err != nil || n < 1 {
		return def
	}
	return n
}

func (f *Lessonly) createLocked(body []byte, v11 bool) (int, any) {
	var u LessonlyUser
	in, msg := parseLessonlyInput(body, &u)
	if msg == "" {
		msg = f.invalidLocked(u, in.custom)
	}
	if msg != "" {
		return lessonlyError(http.StatusBadRequest, msg)
	}
	f.lastID++
	u.ID = f.lastID
	u.Locale = cmp.Or(u.Locale, "en")
	a := &lessonlyAccount{user: u, values: map[int]lessonlyValue{}}
	f.applyCustomLocked(a, in.custom)
	f.accounts = append(f.accounts, a) // the highest id so far, so still ordered
	f.indexLocked(a)
	if in.notify {
		f.welcome = append(f.welcome, u.Email)
	}
	return http.StatusCreated, f.userJSONLocked(a, "create_user", true, v11)
}

// updateLocked applies a partial update: only the keys present in the body
// change. The whole resulting record is validated, as Rails does, so a
// stored record that has become invalid cannot be updated until fixed.
func (f *Lessonly) updateLocked(a *lessonlyAccount, body []byte, v11 bool) (int, any) {
	u := a.user
	in, msg := parseLessonlyInput(body, &u)
	if msg == "" {
		msg = f.invalidLocked(u, in.custom)
	}
	if msg != "" {
		return lessonlyError(http.StatusBadRequest, msg)
	}
	f.unindexLocked(a)
	a.user = u
	f.indexLocked(a)
	f.applyCustomLocked(a, in.custom)
	return http.StatusOK, f.userJSONLocked(a, "update_user", true, v11)
}

// parseLessonlyInput copies the attributes present in a JSON body onto u (a
// present null or "" clears one) and returns the rest of the input, or a
// message saying why the body is unacceptable. Unknown keys are ignored.
func parseLessonlyInput(body []byte, u *LessonlyUser) (lessonlyInput, string) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return lessonlyInput{}, "Request body must be a JSON object"
	}
	fields := []struct {
		key string
		dst *string
	}{
		{"name", &u.Name}, {"email", &u.Email}, {"role", &u.Role}, {"ext_uid", &u.ExtUID},
		{"job_title", &u.JobTitle}, {"business_unit", &u.BusinessUnit}, {"department", &u.Department},
		{"location", &u.Location}, {"locale", &u.Locale}, {"hire_date", &u.HireDate},
		{"manager_name", &u.ManagerName},
	}
	for _, fl := range fields {
		if v, ok := raw[fl.key]; ok {
			*fl.dst = "" // stays empty for null
			if json.Unmarshal(v, fl.dst) != nil {
				return lessonlyInput{}, fl.key + " must be a string"
			}
		}
	}
	// Only the string "false" suppresses the welcome email: a JSON false
	// does not, which is a trap worth being able to observe.
	var notify string
	in := lessonlyInput{notify: json.Unmarshal(raw["notify"], &notify) != nil || notify != "false"}
	if v, ok := raw["custom_user_fields"]; ok && json.Unmarshal(v, &in.custom) != nil {
		return lessonlyInput{}, `custom_user_fields must be a list of {"custom_user_field_id", "value"}`
	}
	return in, ""
}

// invalidLocked returns why u with the custom values cannot be saved, or ""
// when it can.
func (f *Lessonly) invalidLocked(u LessonlyUser, custom []lessonlyCustomInput) string {
	switch {
	case u.Name == "":
		return "Name can't be blank"
	case strings.ContainsAny(u.Name, lessonlyRestrictedNameChars):
		return "Name can't contain any of " + lessonlyRestrictedNameChars
	case strings.HasPrefix(u.Name, " "):
		return "Name can't begin with a space"
	case u.Email == "":
		return "Email can't be blank"
	case u.Role == "":
		return "Role can't be blank"
	case !slices.Contains(lessonlyRoles, u.Role):
		return "Role must be one of " + strings.Join(lessonlyRoles, ", ")
	}
	if u.HireDate != "" {
		if _, err := time.Parse(time.DateOnly, u.HireDate); err != nil {
			return "Hire date must be a date formatted YYYY-MM-DD"
		}
	}
	for _, a := range f.byEmail[emailKey(u.Email)] {
		if a.user.ID != u.ID {
			return LessonlyEmailTaken
		}
	}
	for _, c := range custom {
		switch {
		case c.FieldID != 0 && (c.FieldID < 0 || c.FieldID > len(f.fields)):
			return fmt.Sprintf("Custom user field %d does not exist", c.FieldID)
		case c.FieldID == 0 && c.Name == "":
			return "custom_user_fields entries need a custom_user_field_id"
		}
	}
	return ""
}

// applyCustomLocked upserts validated custom values. An entry naming a field
// that does not exist defines it: this is how a typo in a client's
// configuration silently adds a field in the real Lessonly.
func (f *Lessonly) applyCustomLocked(a *lessonlyAccount, custom []lessonlyCustomInput) {
	for _, c := range custom {
		id := c.FieldID
		if id == 0 {
			id = f.defineLocked(c.Name)
		}
		f.setValueLocked(a, id, c.Value)
	}
}

// userJSONLocked renders a user. typ is the envelope type of a single-user
// response ("" inside a listing); custom and groups add the v1.1 extras.
func (f *Lessonly) userJSONLocked(a *lessonlyAccount, typ string, custom, groups bool) lessonlyUserJSON {
	u := a.user
	j := lessonlyUserJSON{
		Type:         typ,
		ID:           u.ID,
		ResourceType: "user",
		ExtUID:       lessonlyNullable(u.ExtUID),
		Email:        u.Email,
		Name:         u.Name,
		Role:         u.Role,
		JobTitle:     u.JobTitle,
		BusinessUnit: u.BusinessUnit,
		Department:   u.Department,
		Location:     u.Location,
		Locale:       u.Locale,
		HireDate:     lessonlyNullable(u.HireDate),
		ManagerName:  u.ManagerName,
	}
	if u.ArchivedAt != nil {
		j.ArchivedAt = lessonlyNullable(u.ArchivedAt.Format(lessonlyTimeLayout))
	}
	if custom {
		data := []lessonlyCustomDatum{}
		for _, id := range slices.Sorted(maps.Keys(a.values)) {
			v := a.values[id]
			data = append(data, lessonlyCustomDatum{ID: v.id, CustomUserFieldID: id, Name: f.fields[id-1], Value: v.value})
		}
		j.CustomUserFieldData = &data
	}
	if groups {
		j.Groups = &lessonlyGroups{Member: []any{}, Manager: []any{}}
	}
	return j
}

// lessonlyNullable renders an empty string as JSON null.
func lessonlyNullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
