package oktaclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/okta/okta-sdk-golang/v2/okta"
)

// GroupCheck is what a read-only probe of one scope group found.
type GroupCheck struct {
	Ref     string // as configured
	ID      string
	Name    string
	Members int
	Err     error
}

// CheckScope resolves each scope group and counts its members, reading only.
// Each group is probed on its own, so one bad name does not hide the others.
func (c *Client) CheckScope(ctx context.Context) []GroupCheck {
	defer c.tokens.use(ctx)()
	out := make([]GroupCheck, 0, len(c.cfg.Groups))
	for _, ref := range c.cfg.Groups {
		check := GroupCheck{Ref: ref}
		g, err := c.resolveGroup(ctx, ref)
		if err == nil {
			check.ID, check.Name = g.id, g.name
			err = c.eachMember(ctx, g, func(*okta.User) { check.Members++ })
		}
		check.Err = c.explain(err)
		out = append(out, check)
	}
	return out
}

// Unauthorized reports whether err is Okta refusing the credentials.
func Unauthorized(err error) bool {
	var tokErr *tokenError
	if errors.As(err, &tokErr) {
		return tokErr.code == "invalid_client" || tokErr.code == "unauthorized_client"
	}
	var oktaErr *okta.Error
	return errors.As(err, &oktaErr) && oktaErr.ErrorCode == "E0000011"
}

// Transient reports whether err may pass by itself: Okta overloaded (5xx)
// or rate limiting past the retries.
func Transient(err error) bool {
	var oktaErr *okta.Error
	return errors.As(err, &oktaErr) && (oktaErr.ErrorCode == "E0000009" || oktaErr.ErrorCode == "E0000047")
}

// ReferenceCheck is what a read-only probe of a group named outside the
// scope (groups.sync, mapping.roles) found.
type ReferenceCheck struct {
	Key    string // the config key naming it: groups.sync[0], mapping.roles[1].group
	Ref    string
	Groups int // groups found: 1 for a name or id, any number for a prefix
	Err    error
}

// CheckReferences resolves the groups that groups.sync and mapping.roles
// name, reading only, so that a misnamed one is found before the first pull
// fails on it.
func (c *Client) CheckReferences(ctx context.Context) []ReferenceCheck {
	defer c.tokens.use(ctx)()
	var out []ReferenceCheck
	for i, ref := range c.cfg.SyncGroups {
		ref = strings.TrimSpace(ref)
		check := ReferenceCheck{Key: fmt.Sprintf("groups.sync[%d]", i), Ref: ref}
		if prefix, pattern := strings.CutSuffix(ref, "*"); pattern {
			found, full, err := c.groupsStarting(ctx, prefix)
			check.Groups, check.Err = len(found), err
			if err == nil && full {
				check.Err = fmt.Errorf("%d or more Okta groups start with %q: use a longer prefix", pageSize, prefix)
			}
		} else {
			_, check.Err = c.findGroup(ctx, check.Key, ref)
			check.Groups = 1
		}
		check.Err = c.explain(check.Err)
		out = append(out, check)
	}
	for i, rule := range c.cfg.Roles {
		key := fmt.Sprintf("mapping.roles[%d].group", i)
		_, err := c.findGroup(ctx, key, strings.TrimSpace(rule.Group))
		out = append(out, ReferenceCheck{Key: key, Ref: rule.Group, Groups: 1, Err: c.explain(err)})
	}
	return out
}
