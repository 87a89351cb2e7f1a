package oktaclient

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/oktalms/oktalms/reconcile"
)

// Person is what Okta says of one person, and why they are or are not in scope.
type Person struct {
	ID, Status, Login, Email string
	Groups                   []GroupRef // every Okta group they belong to, sorted by name
	ScopeGroups              []GroupRef // those of Groups that are configured scope groups
	InScope                  bool       // member of a scope group, whatever the status
	Active                   bool       // the status counts as active, by the rule Mapping.Map applies
	// Attributes are the Okta attributes the mapping reads, in the order
	// name placeholders, fields (reconcile.KnownFields order), custom fields
	// (by name), each with the value Okta sent and the LMS value it became.
	Attributes []Attribute
	Record     reconcile.User      // Mapping.Map's result
	Problems   []reconcile.Problem // Mapping.Map's problems
}

// GroupRef names one Okta group.
type GroupRef struct{ ID, Name string }

// Attribute is one Okta profile attribute feeding one LMS field. OktaValue is
// the raw value as Okta sent it ("" when absent or null); LMSValue is what the
// mapping made of it: the whole rendered name for a name placeholder, "" when
// the value was unusable (see Person.Problems).
type Attribute struct{ LMSField, OktaAttribute, OktaValue, LMSValue string }

// Lookup finds one person by Okta user id, login or email and says what the
// sync would make of them, reading only. A person Okta does not know is not
// an error: found is false.
func (c *Client) Lookup(ctx context.Context, who string) (p Person, found bool, err error) {
	defer c.tokens.use(ctx)()
	p, found, err = c.lookup(ctx, strings.TrimSpace(who))
	return p, found, c.explain(err)
}

func (c *Client) lookup(ctx context.Context, who string) (Person, bool, error) {
	if who == "" {
		return Person{}, false, errors.New("no Okta user id, login or email to look up")
	}
	u, err := c.findUser(ctx, who)
	if err != nil || u == nil {
		return Person{}, false, err
	}
	groups, err := c.userGroups(ctx, u.Id)
	if err != nil {
		return Person{}, false, err
	}
	scope, err := c.resolveGroups(ctx)
	if err != nil {
		return Person{}, false, err
	}
	var profile map[string]any
	if u.Profile != nil {
		profile = *u.Profile
	}
	record, problems := c.cfg.Mapping.Map(u.Id, u.Status, profile)
	p := Person{ID: u.Id, Status: u.Status, Groups: groups, Active: record.Active,
		Attributes: c.cfg.Mapping.attributes(profile, record), Record: record, Problems: problems}
	p.Login, _ = text(profile["login"])
	p.Email, _ = text(profile["email"])
	for _, g := range groups {
		if slices.ContainsFunc(scope, func(s group) bool { return s.id == g.ID }) {
			p.ScopeGroups = append(p.ScopeGroups, g)
		}
	}
	p.InScope = len(p.ScopeGroups) > 0
	return p, true, nil
}

// findUser reads the user by id or login; failing that, an email address is
// searched for, since a login need not be the person's email. nil means
// nobody has it.
func (c *Client) findUser(ctx context.Context, who string) (*okta.User, error) {
	// The SDK puts the id into the path as is: a login may hold '/' or '?'.
	u, resp, err := c.sdk.User.GetUser(ctx, url.PathEscape(who))
	switch {
	case err == nil:
		return u, nil
	case resp == nil || resp.StatusCode != http.StatusNotFound:
		return nil, fmt.Errorf("read Okta user %q: %w", who, redact(err))
	case !strings.Contains(who, "@"):
		return nil, nil
	}
	// %q quotes the email, escaping '"' and '\' as Okta's (SCIM) search strings do.
	found, _, err := c.sdk.User.ListUsers(ctx, &query.Params{Search: fmt.Sprintf("profile.email eq %q", who)})
	if err != nil {
		return nil, fmt.Errorf("search Okta users by email %q: %w", who, redact(err))
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	// Okta does not keep emails unique; picking one would explain the wrong person.
	ids := make([]string, len(found))
	for i, u := range found {
		ids[i] = u.Id
	}
	slices.Sort(ids)
	return nil, fmt.Errorf("%d Okta users have the email %q (%s); give the id instead", len(found), who, strings.Join(ids, ", "))
}

// userGroups lists every group the user belongs to, following the Link
// pages, sorted by name.
func (c *Client) userGroups(ctx context.Context, id string) ([]GroupRef, error) {
	var out []GroupRef
	groups, resp, err := c.sdk.User.ListUserGroups(ctx, id)
	for page := 1; ; page++ {
		if err != nil {
			return nil, fmt.Errorf("list the Okta groups of user %s, page %d: %w", id, page, redact(err))
		}
		for _, g := range groups {
			ref := GroupRef{ID: g.Id}
			if g.Profile != nil {
				ref.Name = g.Profile.Name
			}
			out = append(out, ref)
		}
		if resp == nil || !resp.HasNextPage() {
			break
		}
		groups = nil
		resp, err = resp.Next(ctx, &groups)
	}
	slices.SortFunc(out, func(a, b GroupRef) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// attributes pairs each Okta attribute the mapping reads with the LMS value
// that came of it in record.
func (m Mapping) attributes(profile map[string]any, record reconcile.User) []Attribute {
	var out []Attribute
	add := func(field, attr, lmsValue string) {
		raw := ""
		if v := profile[attr]; v != nil {
			raw = fmt.Sprint(v)
		}
		out = append(out, Attribute{LMSField: field, OktaAttribute: attr, OktaValue: raw, LMSValue: lmsValue})
	}
	seen := map[string]bool{}
	for _, ph := range placeholder.FindAllStringSubmatch(m.Name, -1) {
		if attr := ph[1]; !seen[attr] { // a name may use an attribute twice; list it once
			seen[attr] = true
			add(reconcile.ChangeName, attr, record.Name)
		}
	}
	fields, custom := m.FieldNames()
	for _, f := range fields {
		add(f, m.Fields[f], record.Fields[f])
	}
	for _, name := range custom {
		add(reconcile.CustomPrefix+name, m.Custom[name], record.Custom[name])
	}
	return out
}
