package oktaclient

import (
	"context"
	"errors"

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
