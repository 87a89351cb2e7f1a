package lms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/oktalms/oktalms/reconcile"
)

// ListGroups reads every group with its members' LMS ids.
func (c *SCIM) ListGroups(ctx context.Context) ([]reconcile.Group, error) {
	if err := c.groupsServed(ctx); err != nil {
		return nil, fmt.Errorf("list SCIM groups: %w", err)
	}
	var out []reconcile.Group
	err := c.list(ctx, "/Groups", func(r map[string]any) {
		g := reconcile.Group{LMSID: scimText(r["id"]), Name: scimText(scimLookup(r, "displayName"))}
		members, _ := scimLookup(r, "members").([]any)
		for _, m := range members {
			g.Members = append(g.Members, scimText(m))
		}
		out = append(out, g)
	})
	if err != nil {
		return nil, fmt.Errorf("list SCIM groups: %w", err)
	}
	return out, nil
}

// CreateGroup creates an empty group and returns its id. A group with
// the name already there is an error wrapping ErrTaken.
func (c *SCIM) CreateGroup(ctx context.Context, name string) (string, error) {
	if err := c.groupsServed(ctx); err != nil {
		return "", fmt.Errorf("create group %q: %w", name, err)
	}
	body := map[string]any{"schemas": []string{scimGroupSchema}, "displayName": name}
	var created map[string]any
	if err := c.api.do(ctx, http.MethodPost, "/Groups", nil, body, &created); err != nil {
		if scimConflict(err) {
			err = fmt.Errorf("%w: %w", ErrTaken, err)
		}
		return "", fmt.Errorf("create group %q: %w", name, err)
	}
	id := scimText(created["id"])
	if id == "" {
		return "", fmt.Errorf("create group %q: POST /Groups: the answer carries no id", name)
	}
	return id, nil
}

// RenameGroup sets a group's displayName.
func (c *SCIM) RenameGroup(ctx context.Context, id, name string) error {
	return c.modifyGroup(ctx, id, "rename", scimReplace(map[string]any{"displayName": name}))
}

// AddMembers adds users, by LMS id, to a group; members already in stay.
func (c *SCIM) AddMembers(ctx context.Context, groupID string, userIDs []string) error {
	if len(userIDs) == 0 {
		return nil
	}
	values := make([]any, len(userIDs))
	for i, id := range userIDs {
		values[i] = map[string]any{"value": id}
	}
	return c.modifyGroup(ctx, groupID, "add members to", scimEdit{
		op: scimOp{Op: "add", Path: "members", Value: values},
		edit: func(r map[string]any) {
			members, _ := scimLookup(r, "members").([]any)
			for _, v := range values {
				if !slices.ContainsFunc(members, func(m any) bool { return scimText(m) == scimText(v) }) {
					members = append(members, v)
				}
			}
			r[scimKeyOf(r, "members")] = members
		},
	})
}

// RemoveMembers removes users, by LMS id, from a group, each by a value
// filter (RFC 7644 §3.5.2.2): the others' membership is not resent.
func (c *SCIM) RemoveMembers(ctx context.Context, groupID string, userIDs []string) error {
	edits := make([]scimEdit, len(userIDs))
	for i, id := range userIDs {
		edits[i] = scimEdit{
			op: scimOp{Op: "remove", Path: "members[value eq " + scimQuote(id) + "]"},
			edit: func(r map[string]any) {
				members, _ := scimLookup(r, "members").([]any)
				r[scimKeyOf(r, "members")] = slices.DeleteFunc(members, func(m any) bool { return scimText(m) == id })
			},
		}
	}
	return c.modifyGroup(ctx, groupID, "remove members from", edits...)
}

func (c *SCIM) modifyGroup(ctx context.Context, id, what string, edits ...scimEdit) error {
	err := c.groupsServed(ctx)
	if err == nil {
		if id == "" {
			err = errors.New("no LMS id to address")
		} else {
			err = c.modify(ctx, "/Groups/"+url.PathEscape(id), edits)
		}
	}
	if err != nil {
		return fmt.Errorf("%s group %s: %w", what, id, err)
	}
	return nil
}
