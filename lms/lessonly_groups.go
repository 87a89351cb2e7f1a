package lms

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/oktalms/oktalms/reconcile"
)

// lessonlyGroup is a group as Lessonly sends it. The listing leaves out
// members and managers; GET /groups/:id carries them.
type lessonlyGroup struct {
	ID         int           `json:"id"`
	Name       string        `json:"name"`
	Members    []lessonlyRef `json:"members"`
	Managers   []lessonlyRef `json:"managers"`
	ArchivedAt *string       `json:"archived_at"`
}

// lessonlyRef names a user in a group's members or managers, in answers
// and in PUT bodies alike.
type lessonlyRef struct {
	ID int `json:"id"`
	// Remove is "true" to take the user out. Lessonly documents the string,
	// not a JSON boolean, as with notify.
	Remove string `json:"remove,omitempty"`
}

// ListGroups reads every live group (archived ones are left out) with the
// LMS user ids of its members and managers. Lessonly's listing carries
// neither list, so this costs one request for the listing plus one per live
// group, all counted against Lessonly's 500 requests a minute.
func (c *Lessonly) ListGroups(ctx context.Context) ([]reconcile.Group, error) {
	var list struct {
		Groups []lessonlyGroup `json:"groups"`
	}
	// Lessonly documents no paging for groups: one answer holds them all.
	if err := c.api.do(ctx, http.MethodGet, "/api/v1/groups", nil, nil, &list); err != nil {
		return nil, fmt.Errorf("list Lessonly groups: %w", err)
	}
	groups := make([]reconcile.Group, 0, len(list.Groups))
	for _, lg := range list.Groups {
		if deref(lg.ArchivedAt) != "" {
			continue
		}
		id := strconv.Itoa(lg.ID)
		var full lessonlyGroup
		if err := c.api.do(ctx, http.MethodGet, "/api/v1/groups/"+id, nil, nil, &full); err != nil {
			return nil, fmt.Errorf("read the members of Lessonly group %s %q: %w", id, lg.Name, err)
		}
		groups = append(groups, reconcile.Group{
			LMSID: id, Name: norm.NFC.String(full.Name), Members: refIDs(full.Members), Managers: refIDs(full.Managers),
		})
	}
	return groups, nil
}

func refIDs(refs []lessonlyRef) []string {
	var ids []string
	for _, r := range refs {
		ids = append(ids, strconv.Itoa(r.ID))
	}
	return ids
}

// CreateGroup creates an empty group and returns its id. Lessonly accepts
// a name that is already taken, so this never fails with ErrTaken.
func (c *Lessonly) CreateGroup(ctx context.Context, name string) (string, error) {
	var created struct {
		ID int `json:"id"`
	}
	if err := c.api.do(ctx, http.MethodPost, "/api/v1/groups", nil, map[string]string{"name": name}, &created); err != nil {
		return "", fmt.Errorf("create Lessonly group %q: %w", name, err)
	}
	if created.ID == 0 {
		return "", fmt.Errorf("create Lessonly group %q: the answer carries no group id", name)
	}
	return strconv.Itoa(created.ID), nil
}

// RenameGroup renames a group; its id, members and managers stay.
func (c *Lessonly) RenameGroup(ctx context.Context, id, name string) error {
	if err := c.putGroup(ctx, id, "", map[string]string{"name": name}); err != nil {
		return fmt.Errorf("rename Lessonly group %s to %q: %w", id, name, err)
	}
	return nil
}

// ArchiveGroup archives a group, which drops it from ListGroups.
func (c *Lessonly) ArchiveGroup(ctx context.Context, id string) error {
	if err := c.putGroup(ctx, id, "/archive", nil); err != nil {
		return fmt.Errorf("archive Lessonly group %s: %w", id, err)
	}
	return nil
}

// AddMembers adds users, by LMS id, to a group's members in one request;
// members already in stay.
func (c *Lessonly) AddMembers(ctx context.Context, groupID string, userIDs []string) error {
	return c.editGroupUsers(ctx, groupID, "members", userIDs, false)
}

// RemoveMembers takes users, by LMS id, out of a group's members in one request.
func (c *Lessonly) RemoveMembers(ctx context.Context, groupID string, userIDs []string) error {
	return c.editGroupUsers(ctx, groupID, "members", userIDs, true)
}

// AddManagers adds users, by LMS id, to a group's managers in one request.
func (c *Lessonly) AddManagers(ctx context.Context, groupID string, userIDs []string) error {
	return c.editGroupUsers(ctx, groupID, "managers", userIDs, false)
}

// RemoveManagers takes users, by LMS id, out of a group's managers in one request.
func (c *Lessonly) RemoveManagers(ctx context.Context, groupID string, userIDs []string) error {
	return c.editGroupUsers(ctx, groupID, "managers", userIDs, true)
}

// editGroupUsers adds or removes users in one of a group's lists, "members"
// or "managers". The PUT names only these users, so the rest of the group
// is not resent and cannot be overwritten by a stale copy. No users, no
// request.
func (c *Lessonly) editGroupUsers(ctx context.Context, groupID, list string, userIDs []string, remove bool) error {
	if len(userIDs) == 0 {
		return nil
	}
	noun := list
	if len(userIDs) == 1 {
		noun = strings.TrimSuffix(list, "s")
	}
	what := fmt.Sprintf("add %d %s to Lessonly group %s", len(userIDs), noun, groupID)
	var flag string
	if remove {
		what = fmt.Sprintf("remove %d %s from Lessonly group %s", len(userIDs), noun, groupID)
		flag = "true"
	}
	refs := make([]lessonlyRef, len(userIDs))
	for i, uid := range userIDs {
		n, err := lessonlyID(uid)
		if err != nil {
			return fmt.Errorf("%s: user %w", what, err)
		}
		refs[i] = lessonlyRef{ID: n, Remove: flag}
	}
	if err := c.putGroup(ctx, groupID, "", map[string][]lessonlyRef{list: refs}); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (c *Lessonly) putGroup(ctx context.Context, id, suffix string, body any) error {
	n, err := lessonlyID(id)
	if err != nil {
		return fmt.Errorf("group %w", err)
	}
	return c.api.do(ctx, http.MethodPut, "/api/v1/groups/"+strconv.Itoa(n)+suffix, nil, body, nil)
}

// lessonlyID reads an id given as a decimal string, checked before any
// request: sent as is, a malformed id would come back as an unknown group
// or user, hiding the caller's mistake behind Lessonly's answer.
func lessonlyID(id string) (int, error) {
	n, err := strconv.Atoi(id)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a Lessonly id", id)
	}
	return n, nil
}
