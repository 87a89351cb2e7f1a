package oktaclient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/oktalms/oktalms/reconcile"
)

// RoleRule gives Role to the members of the Okta group Group, a name or an id.
type RoleRule struct{ Group, Role string }

// namePlaceholder is where ManagersGroup takes the synced group's name.
const namePlaceholder = "{name}"

// validateGroups checks groups.sync and groups.managers.
func (c Config) validateGroups() error {
	for i, ref := range c.SyncGroups {
		ref = strings.TrimSpace(ref)
		prefix, pattern := strings.CutSuffix(ref, "*")
		switch {
		case ref == "":
			return fmt.Errorf("groups.sync[%d]: empty group name", i)
		case strings.Contains(prefix, "*"):
			return fmt.Errorf("groups.sync[%d]: %q: '*' may only end a name prefix, as in \"LMS-*\"", i, ref)
		case pattern && strings.TrimSpace(prefix) == "":
			return fmt.Errorf("groups.sync[%d]: %q would mirror every Okta group; give a prefix, as in \"LMS-*\"", i, ref)
		}
	}
	if c.ManagersGroup == "" {
		return nil
	}
	if !strings.Contains(c.ManagersGroup, namePlaceholder) {
		return fmt.Errorf("groups.managers: %q has no %s placeholder, as in \"{name} Managers\"", c.ManagersGroup, namePlaceholder)
	}
	if len(c.SyncGroups) == 0 {
		return errors.New("groups.managers: set, but groups.sync names no group to manage")
	}
	return nil
}

// validateRoles checks mapping.roles. Which role names exist is the LMS's
// business: the target checks them.
func (c Config) validateRoles() error {
	for i, r := range c.Roles {
		if strings.TrimSpace(r.Group) == "" {
			return fmt.Errorf("mapping.roles[%d].group: empty group name", i)
		}
		if strings.TrimSpace(r.Role) == "" {
			return fmt.Errorf("mapping.roles[%d].role: empty role", i)
		}
	}
	return nil
}

// pulled is one person in scope, whatever their status or problems, as read
// and mapped.
type pulled struct {
	// login and managerRef are all later steps read of the profile: the
	// whole profiles of 100,000 people would double a pull's memory.
	login      string
	managerRef any // the value of the manager attribute, as Okta sent it
	user       reconcile.User
	problems   []reconcile.Problem
}

// pullRun is what one Pull has read. A group's members are listed once
// however many parts it plays (scope, role, synced, managers group), and
// the population is the yardstick for group members and managers.
type pullRun struct {
	c       *Client
	members map[string][]string // group id → member ids
	people  []*pulled           // in the order read
	byID    map[string]*pulled
	// managers caches each manager resolved, by the reference read from
	// the profile, so that a manager is looked up once however many reports
	// they have.
	managers map[string]manager
	byEmail  map[string][]string // lower-cased email and login → ids; built on first use
}

func newPullRun(c *Client) *pullRun {
	return &pullRun{c: c, members: map[string][]string{}, byID: map[string]*pulled{}, managers: map[string]manager{}}
}

func (r *pullRun) add(p *pulled) {
	r.people = append(r.people, p)
	r.byID[p.user.OktaID] = p
}

// eachMember calls fn for every member of the group, unless its members were
// listed already this pull.
func (r *pullRun) eachMember(ctx context.Context, g group, fn func(*okta.User)) error {
	if _, listed := r.members[g.id]; listed {
		return nil
	}
	var ids []string
	err := r.c.eachMember(ctx, g, func(u *okta.User) {
		ids = append(ids, u.Id)
		fn(u)
	})
	if err != nil {
		return err
	}
	r.members[g.id] = ids
	return nil
}

// inScope returns the ids of the group's members who are in the population,
// sorted.
func (r *pullRun) inScope(ctx context.Context, g group) ([]string, error) {
	if err := r.eachMember(ctx, g, func(*okta.User) {}); err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range r.members[g.id] {
		if r.byID[id] != nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// setRoles gives each person the role of the first rule whose group they are
// in; Map gave everyone the default role already.
func (r *pullRun) setRoles(ctx context.Context) error {
	in := make([][]string, len(r.c.cfg.Roles))
	for i, rule := range r.c.cfg.Roles {
		g, err := r.c.findGroup(ctx, fmt.Sprintf("mapping.roles[%d].group", i), strings.TrimSpace(rule.Group))
		if err != nil {
			return err
		}
		if in[i], err = r.inScope(ctx, g); err != nil {
			return err
		}
	}
	for _, p := range r.people {
		for i, ids := range in {
			if _, ok := slices.BinarySearch(ids, p.user.OktaID); ok {
				p.user.Role = r.c.cfg.Roles[i].Role
				break
			}
		}
	}
	return nil
}

// syncedGroups lists the groups of groups.sync, by Okta id, each with its
// members and managers who are in the population.
func (r *pullRun) syncedGroups(ctx context.Context) ([]reconcile.Group, error) {
	var named, matched []group
	for i, ref := range r.c.cfg.SyncGroups {
		ref = strings.TrimSpace(ref)
		if prefix, pattern := strings.CutSuffix(ref, "*"); pattern {
			found, full, err := r.c.groupsStarting(ctx, prefix)
			if err != nil {
				return nil, err
			}
			if full {
				// A group left out would be archived in the LMS.
				return nil, fmt.Errorf("groups.sync[%d]: %q: %d or more Okta groups start with %q, more than one Okta query answers; use a longer prefix, or name the groups",
					i, ref, pageSize, prefix)
			}
			matched = append(matched, found...)
			continue
		}
		g, err := r.c.findGroup(ctx, fmt.Sprintf("groups.sync[%d]", i), ref)
		if err != nil {
			return nil, err
		}
		named = append(named, g)
	}
	groups := append(named, r.withoutManagersGroups(matched)...)
	slices.SortFunc(groups, func(a, b group) int { return strings.Compare(a.id, b.id) })
	groups = slices.CompactFunc(groups, func(a, b group) bool { return a.id == b.id })

	var out []reconcile.Group
	for _, g := range groups {
		members, err := r.inScope(ctx, g)
		if err != nil {
			return nil, err
		}
		managers, err := r.managersOf(ctx, g)
		if err != nil {
			return nil, err
		}
		out = append(out, reconcile.Group{OktaID: g.id, Name: g.name, Members: members, Managers: managers})
	}
	return out, nil
}

// withoutManagersGroups drops the groups that are another's managers group:
// with "LMS-*" and "{name} Managers", "LMS-Sales Managers" manages
// "LMS-Sales" and is not an LMS group of its own.
func (r *pullRun) withoutManagersGroups(groups []group) []group {
	if r.c.cfg.ManagersGroup == "" {
		return groups
	}
	managing := make(map[string]bool, len(groups))
	for _, g := range groups {
		managing[strings.ToLower(r.managersGroupName(g))] = true
	}
	return slices.DeleteFunc(groups, func(g group) bool { return managing[strings.ToLower(g.name)] })
}

func (r *pullRun) managersGroupName(g group) string {
	return strings.ReplaceAll(r.c.cfg.ManagersGroup, namePlaceholder, g.name)
}

// managersOf returns the members of g's managers group who are in the
// population. A group without a managers group has no managers; two groups
// of that name are an error, since either could be the wrong one.
func (r *pullRun) managersOf(ctx context.Context, g group) ([]string, error) {
	if r.c.cfg.ManagersGroup == "" {
		return nil, nil
	}
	name := r.managersGroupName(g)
	found, err := r.c.groupsNamed(ctx, name)
	switch {
	case err != nil:
		return nil, err
	case len(found) == 0:
		return nil, nil
	case len(found) > 1:
		return nil, fmt.Errorf("groups.managers: %d Okta groups are named %q (%s), the managers group of %q; rename all but one",
			len(found), name, groupIDs(found), g.name)
	}
	return r.inScope(ctx, found[0])
}

// newPulled keeps of a profile what a pull reads past the mapping.
func (c *Client) newPulled(profile map[string]any, user reconcile.User, problems []reconcile.Problem) *pulled {
	login, _ := text(profile["login"])
	return &pulled{login: login, managerRef: profile[c.cfg.Manager.attribute()], user: user, problems: problems}
}
