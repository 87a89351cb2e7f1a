package lmstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LessonlyGroup is a Lessonly group as seen by tests. Members and Managers
// are user ids, sorted and without repeats; the two lists are independent,
// so a user may be in both. ArchivedAt is nil for a live group.
type LessonlyGroup struct {
	ID                int
	Name              string
	Members, Managers []int
	ArchivedAt        *time.Time
}

// AddGroup seeds a live group, as if made by hand in the Lessonly UI, and
// returns its id. Like AddUser it skips the API's validation (a blank or
// repeated name is kept), except that every member must be an existing user:
// Lessonly never deletes users, so a group cannot hold an unknown one. It
// panics otherwise.
func (f *Lessonly) AddGroup(name string, memberIDs ...int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range memberIDs {
		if f.accountLocked(id) == nil {
			panic(fmt.Sprintf("lmstest: Lessonly user %d does not exist", id))
		}
	}
	f.lastGroupID++
	g := &LessonlyGroup{ID: f.lastGroupID, Name: name}
	for _, id := range memberIDs {
		g.Members = lessonlyAddID(g.Members, id)
	}
	f.groups = append(f.groups, g) // the highest id so far, so still ordered
	return g.ID
}

// Groups returns copies of every group, archived ones included, ordered by id.
func (f *Lessonly) Groups() []LessonlyGroup {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]LessonlyGroup, len(f.groups))
	for i, g := range f.groups {
		out[i] = lessonlyGroupCopy(g)
	}
	return out
}

// Group returns a copy of the group with the given id.
func (f *Lessonly) Group(id int) (LessonlyGroup, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g := f.groupLocked(id); g != nil {
		return lessonlyGroupCopy(g), true
	}
	return LessonlyGroup{}, false
}

func lessonlyGroupCopy(g *LessonlyGroup) LessonlyGroup {
	c := *g
	c.Members, c.Managers = slices.Clone(g.Members), slices.Clone(g.Managers)
	if g.ArchivedAt != nil {
		t := *g.ArchivedAt
		c.ArchivedAt = &t
	}
	return c
}

func (f *Lessonly) groupLocked(id int) *LessonlyGroup {
	for _, g := range f.groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

// lessonlyAddID inserts id into the sorted ids unless it is there already.
func lessonlyAddID(ids []int, id int) []int {
	if i, found := slices.BinarySearch(ids, id); !found {
		ids = slices.Insert(ids, i, id)
	}
	return ids
}

// lessonlyGroupJSON is a group on the wire. The listing sends only id, name
// and the archive fields; members and managers are set (possibly empty) in
// the single-group answers.
type lessonlyGroupJSON struct {
	Type             string                `json:"type,omitempty"`
	ResourceType     string                `json:"resource_type,omitempty"`
	ID               int                   `json:"id"`
	Name             string                `json:"name"`
	Members          *[]lessonlyMemberJSON `json:"members,omitempty"`
	Managers         *[]lessonlyMemberJSON `json:"managers,omitempty"`
	ArchivedAt       *string               `json:"archived_at"`
	ArchivedByUserID *int                  `json:"archived_by_user_id"` // always null: archiving is by API key
}

type lessonlyMemberJSON struct {
	ID     int     `json:"id"`
	ExtUID *string `json:"ext_uid"`
	Name   string  `json:"name"`
}

type lessonlyGroupListJSON struct {
	Type   string              `json:"type"`
	Groups []lessonlyGroupJSON `json:"groups"`
}

// lessonlyGroupInput is the body of a group create or update. Listed users
// are added; an entry with "remove": "true" is taken out instead.
type lessonlyGroupInput struct {
	Name     *string            `json:"name"`
	Members  []lessonlyGroupRef `json:"members"`
	Managers []lessonlyGroupRef `json:"managers"`
}

type lessonlyGroupRef struct {
	ID     int             `json:"id"`
	Remove json.RawMessage `json:"remove"`
}

// removes reports whether the entry takes its user out. Lessonly documents
// the string "true"; like notify, a JSON true is not that string, so such an
// entry adds the user, a trap worth being able to observe.
func (r lessonlyGroupRef) removes() bool {
	var s string
	return json.Unmarshal(r.Remove, &s) == nil && s == "true"
}

// routeGroupsLocked serves /api/v1/groups; segs are the path segments after
// "groups". Groups are not part of API v1.1.
func (f *Lessonly) routeGroupsLocked(method string, segs []string, body []byte) (int, any) {
	if len(segs) == 0 {
		switch method {
		case http.MethodGet:
			list := lessonlyGroupListJSON{Type: "groups", Groups: []lessonlyGroupJSON{}}
			for _, g := range f.groups {
				list.Groups = append(list.Groups, f.groupJSONLocked(g, "", false))
			}
			return http.StatusOK, list
		case http.MethodPost:
			return f.createGroupLocked(body)
		}
		return lessonlyError(http.StatusNotFound, "Not Found")
	}
	action := strings.Join(segs[1:], "/")
	switch {
	case method == http.MethodGet && action == "":
	case method == http.MethodPut && slices.Contains([]string{"", "archive", "restore"}, action):
	default:
		return lessonlyError(http.StatusNotFound, "Not Found")
	}
	id, err := strconv.Atoi(segs[0])
	g := f.groupLocked(id)
	if err != nil || g == nil {
		return lessonlyError(http.StatusNotFound, "Group not found")
	}
	switch {
	case method == http.MethodGet:
	case action == "":
		return f.updateGroupLocked(g, body)
	case action == "archive":
		if g.ArchivedAt == nil { // archiving twice keeps the first time
			now := f.Now()
			g.ArchivedAt = &now
		}
	default: // restore
		g.ArchivedAt = nil
	}
	return http.StatusOK, f.groupJSONLocked(g, "group", true)
}

func (f *Lessonly) createGroupLocked(body []byte) (int, any) {
	in, msg := f.groupInputLocked(body)
	if msg == "" && in.Name == nil {
		msg = "Name can't be blank"
	}
	if msg != "" {
		return lessonlyError(http.StatusBadRequest, msg)
	}
	f.lastGroupID++
	g := &LessonlyGroup{ID: f.lastGroupID}
	in.applyTo(g)
	f.groups = append(f.groups, g) // the highest id so far, so still ordered
	j := f.groupJSONLocked(g, "create_group", true)
	j.ResourceType = "group"
	return http.StatusCreated, j
}

func (f *Lessonly) updateGroupLocked(g *LessonlyGroup, body []byte) (int, any) {
	in, msg := f.groupInputLocked(body)
	if msg != "" {
		return lessonlyError(http.StatusBadRequest, msg)
	}
	in.applyTo(g)
	j := f.groupJSONLocked(g, "update_group", true)
	j.ResourceType = "group"
	return http.StatusOK, j
}

// groupInputLocked parses and validates a whole create or update body, or
// says why it is refused, so a refused request changes nothing.
func (f *Lessonly) groupInputLocked(body []byte) (lessonlyGroupInput, string) {
	var in lessonlyGroupInput
	if err := json.Unmarshal(body, &in); err != nil {
		return in, `Request body must be a JSON object: {"name", "members": [{"id"}], "managers": [{"id"}]}`
	}
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		return in, "Name can't be blank"
	}
	for _, r := range slices.Concat(in.Members, in.Managers) {
		if f.accountLocked(r.ID) == nil {
			return in, fmt.Sprintf("User %d not found", r.ID)
		}
	}
	return in, ""
}

func (in lessonlyGroupInput) applyTo(g *LessonlyGroup) {
	if in.Name != nil {
		g.Name = *in.Name
	}
	g.Members = lessonlyEditIDs(g.Members, in.Members)
	g.Managers = lessonlyEditIDs(g.Managers, in.Managers)
}

// lessonlyEditIDs applies the entries in order to the sorted ids.
func lessonlyEditIDs(ids []int, refs []lessonlyGroupRef) []int {
	for _, r := range refs {
		if r.removes() {
			ids = slices.DeleteFunc(ids, func(id int) bool { return id == r.ID })
		} else {
			ids = lessonlyAddID(ids, r.ID)
		}
	}
	return ids
}

// groupJSONLocked renders a group. typ is the envelope type of a
// single-group answer ("" inside the listing); users adds members and managers.
func (f *Lessonly) groupJSONLocked(g *LessonlyGroup, typ string, users bool) lessonlyGroupJSON {
	j := lessonlyGroupJSON{Type: typ, ID: g.ID, Name: g.Name}
	if g.ArchivedAt != nil {
		j.ArchivedAt = lessonlyNullable(g.ArchivedAt.Format(lessonlyTimeLayout))
	}
	if users {
		members, managers := f.membersJSONLocked(g.Members), f.membersJSONLocked(g.Managers)
		j.Members, j.Managers = &members, &managers
	}
	return j
}

func (f *Lessonly) membersJSONLocked(ids []int) []lessonlyMemberJSON {
	out := make([]lessonlyMemberJSON, len(ids))
	for i, id := range ids {
		u := f.accountLocked(id).user // present: users are never deleted, and writes check ids
		out[i] = lessonlyMemberJSON{ID: id, ExtUID: lessonlyNullable(u.ExtUID), Name: u.Name}
	}
	return out
}
