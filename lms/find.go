package lms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/oktalms/oktalms/reconcile"
)

// FindAccount looks up the LMS account of one person: by ext_uid first, then
// by email (case-insensitive), using Lessonly's filters (GET
// /api/v1.1/users?filter[ext_uid]=… then ?filter[email]=…), so it costs one
// or two requests whatever the tenant's size. rule says which matched:
// "ext_uid" or "email". An empty extUID or email is not looked up.
func (c *Lessonly) FindAccount(ctx context.Context, extUID, email string) (acct reconcile.User, rule string, found bool, err error) {
	if extUID == "" && email == "" {
		return reconcile.User{}, "", false, errors.New("find a Lessonly account: neither an ext_uid nor an email given")
	}
	for _, by := range []struct {
		rule, value string
		match       func(lessonlyUser) bool
	}{
		{"ext_uid", extUID, func(lu lessonlyUser) bool { return deref(lu.ExtUID) == extUID }},
		{"email", email, func(lu lessonlyUser) bool { return strings.EqualFold(lu.Email, email) }},
	} {
		if by.value == "" {
			continue
		}
		var p lessonlyUserPage
		q := url.Values{"filter[" + by.rule + "]": {by.value}}
		if err := c.api.do(ctx, http.MethodGet, "/api/v1.1/users", q, nil, &p); err != nil {
			return reconcile.User{}, "", false, fmt.Errorf("find the Lessonly account with %s %q: %w", by.rule, by.value, err)
		}
		// Each answer is checked again: an API that ignored the filter
		// would answer the first page of everyone, and its first account
		// is not this person.
		for _, lu := range p.Users {
			if by.match(lu) {
				return c.canonical(lu), by.rule, true, nil
			}
		}
	}
	return reconcile.User{}, "", false, nil
}
