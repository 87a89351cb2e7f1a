package lms

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"golang.org/x/text/unicode/norm"

	"github.com/oktalms/oktalms/reconcile"
)

// learnAmpTeam is a team as Learn Amp lists it.
type learnAmpTeam struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// ListGroups reads every team and its members: LMS ids, names, and the LMS
// ids of the members. It costs one listing, then one per team.
func (c *LearnAmp) ListGroups(ctx context.Context) ([]reconcile.Group, error) {
	var teams []learnAmpTeam
	err := c.eachPage(ctx, "/v1/teams", nil, func(p learnAmpPage) bool {
		teams = append(teams, p.Teams...)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("list Learn Amp teams: %w", err)
	}
	groups := make([]reconcile.Group, 0, len(teams))
	for _, t := range teams {
		g := reconcile.Group{LMSID: strconv.Itoa(t.ID), Name: norm.NFC.String(t.Name)}
		err := c.eachPage(ctx, "/v1/teams/"+g.LMSID+"/users", nil, func(p learnAmpPage) bool {
			for _, u := range p.Users {
				g.Members = append(g.Members, strconv.Itoa(u.ID))
			}
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("list the members of Learn Amp team %s %q: %w", g.LMSID, g.Name, err)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// CreateGroup creates a team and returns its id.
func (c *LearnAmp) CreateGroup(ctx context.Context, name string) (string, error) {
	var created learnAmpTeam
	if err := c.do(ctx, http.MethodPost, "/v1/teams", nil, map[string]string{"name": name}, &created); err != nil {
		return "", fmt.Errorf("create Learn Amp team %q: %w", name, err)
	}
	if created.ID == 0 {
		return "", fmt.Errorf("create Learn Amp team %q: the answer carries no team id", name)
	}
	return strconv.Itoa(created.ID), nil
}

// RenameGroup renames a team.
func (c *LearnAmp) RenameGroup(ctx context.Context, id, name string) error {
	if err := c.do(ctx, http.MethodPut, "/v1/teams/"+url.PathEscape(id), nil, map[string]string{"name": name}, nil); err != nil {
		return fmt.Errorf("rename Learn Amp team %s to %q: %w", id, name, err)
	}
	return nil
}

// AddMembers adds users to a team, one request each, stopping at the first
// refusal: the next run adds the rest.
func (c *LearnAmp) AddMembers(ctx context.Context, groupID string, userIDs []string) error {
	for _, uid := range userIDs {
		n, err := strconv.Atoi(uid)
		if err != nil {
			return fmt.Errorf("add %q to Learn Amp team %s: not a Learn Amp user id", uid, groupID)
		}
		path := "/v1/teams/" + url.PathEscape(groupID) + "/users"
		if err := c.do(ctx, http.MethodPost, path, nil, map[string]int{"userId": n}, nil); err != nil {
			return fmt.Errorf("add user %s to Learn Amp team %s: %w", uid, groupID, err)
		}
	}
	return nil
}

// RemoveMembers removes users from a team, stopping at the first refusal.
func (c *LearnAmp) RemoveMembers(ctx context.Context, groupID string, userIDs []string) error {
	for _, uid := range userIDs {
		path := "/v1/teams/" + url.PathEscape(groupID) + "/users/" + url.PathEscape(uid)
		if err := c.do(ctx, http.MethodDelete, path, nil, nil, nil); err != nil {
			return fmt.Errorf("remove user %s from Learn Amp team %s: %w", uid, groupID, err)
		}
	}
	return nil
}
