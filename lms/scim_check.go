package lms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oktalms/oktalms/reconcile"
)

// CheckAccess makes the smallest read the API allows: it proves the URL
// answers and the credentials are accepted, changing nothing.
func (c *SCIM) CheckAccess(ctx context.Context) error {
	var page scimList
	return c.api.do(ctx, http.MethodGet, "/Users", url.Values{"startIndex": {"1"}, "count": {"1"}}, nil, &page)
}

// MissingCustomFields returns the custom field names, among names, whose
// attribute (SCIMConfig.AttributePath) the service does not define, and
// every user attribute path it defines, from its /Schemas. A service that
// does not serve /Schemas cannot be checked: every name is returned
// missing and known is empty, the answer that says "cannot be verified"
// (Lessonly's with no custom data yet). A name with no attribute path is
// always missing.
func (c *SCIM) MissingCustomFields(ctx context.Context, names []string) (missing, known []string, err error) {
	var schemas struct {
		Resources []struct {
			ID         string `json:"id"`
			Attributes []struct {
				Name          string `json:"name"`
				SubAttributes []struct {
					Name string `json:"name"`
				} `json:"subAttributes"`
			} `json:"attributes"`
		} `json:"Resources"`
	}
	err = c.api.do(ctx, http.MethodGet, "/Schemas", nil, nil, &schemas)
	switch {
	case scimNotServed(err):
		return slices.Clone(names), nil, nil
	case err != nil:
		return nil, nil, err
	}
	for _, s := range schemas.Resources {
		prefix := s.ID + ":"
		switch {
		case strings.EqualFold(s.ID, scimUserSchema):
			prefix = ""
		case strings.HasPrefix(s.ID, "urn:ietf:params:scim:schemas:core:") || strings.HasSuffix(s.ID, ":Group"):
			continue // groups' and the service's own schemas, not a user's
		}
		for _, a := range s.Attributes {
			known = append(known, prefix+a.Name)
			for _, sub := range a.SubAttributes {
				known = append(known, prefix+a.Name+"."+sub.Name)
			}
		}
	}
	slices.Sort(known)
	for _, name := range names {
		path, ok := c.cfg.AttributePath(reconcile.CustomPrefix + name)
		if !ok || !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, path) }) {
			missing = append(missing, name)
		}
	}
	return missing, known, nil
}

// FindAccount looks up the LMS account of one person: by externalId first,
// then by userName (case-insensitive), with SCIM filters, so it costs one
// or two requests whatever the tenant's size (and one more to name the
// account's manager). rule says which matched: "ext_uid" or "email". An
// empty extUID or email is not looked up.
func (c *SCIM) FindAccount(ctx context.Context, extUID, email string) (acct reconcile.User, rule string, found bool, err error) {
	if extUID == "" && email == "" {
		return reconcile.User{}, "", false, errors.New("find a SCIM account: neither an externalId nor an email given")
	}
	for _, by := range []struct{ rule, attr, value string }{
		{"ext_uid", "externalId", extUID},
		{"email", "userName", email},
	} {
		if by.value == "" {
			continue
		}
		r, ok, err := c.findUser(ctx, by.attr, by.value)
		if err != nil {
			return reconcile.User{}, "", false, fmt.Errorf("find the SCIM account with %s %q: %w", by.attr, by.value, err)
		}
		if !ok {
			continue
		}
		emailOf, err := c.managerEmail(ctx, r)
		if err != nil {
			return reconcile.User{}, "", false, fmt.Errorf("read the manager of SCIM account %s: %w", scimText(r["id"]), err)
		}
		return c.canonical(r, emailOf), by.rule, true, nil
	}
	return reconcile.User{}, "", false, nil
}

// managerEmail reads the email of the manager r refers to, as the id →
// email map canonical takes; nil when there is none to read.
func (c *SCIM) managerEmail(ctx context.Context, r map[string]any) (map[string]string, error) {
	path, ok := c.cfg.Attributes[reconcile.FieldManagerEmail]
	if !ok {
		return nil, nil
	}
	id := scimText(scimGetPath(r, path))
	if id == "" {
		return nil, nil
	}
	var manager map[string]any
	err := c.api.do(ctx, http.MethodGet, "/Users/"+url.PathEscape(id), nil, nil, &manager)
	switch {
	case scimNotServed(err):
		return nil, nil // a manager since deleted: there is no email to compare
	case err != nil:
		return nil, err
	}
	return map[string]string{id: scimText(scimLookup(manager, "userName"))}, nil
}
