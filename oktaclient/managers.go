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

// ManagerSource says where a person's manager comes from; at most one field
// is set. It fills only the manager fields Mapping.Fields manages, and
// overrides their plain mapping.
type ManagerSource struct {
	// Attribute is an Okta profile attribute holding the manager's display
	// name ("manager"); it fills manager_name only.
	Attribute string
	// IDAttribute is an Okta profile attribute holding the manager's Okta
	// user id ("managerId").
	IDAttribute string
	// EmailAttribute is an Okta profile attribute holding the manager's
	// email ("managerEmail").
	EmailAttribute string
}

// attribute is the one Okta profile attribute the manager comes from, if any.
func (m ManagerSource) attribute() string {
	return cmp.Or(m.Attribute, m.IDAttribute, m.EmailAttribute)
}

// validate checks mapping.manager against the fields the mapping manages.
func (m ManagerSource) validate(mapped map[string]string) error {
	set := 0
	for _, attr := range []string{m.Attribute, m.IDAttribute, m.EmailAttribute} {
		if attr != "" {
			set++
		}
	}
	switch {
	case set > 1:
		return errors.New("mapping.manager: set only one of attribute, id_attribute and email_attribute")
	case set == 1 && len(m.fields(mapped)) == 0:
		// Otherwise the source would be read and its result thrown away, silently.
		return fmt.Errorf("mapping.manager: set, but mapping.fields maps none of the fields it fills (%s)", strings.Join(m.fills(), ", "))
	}
	return nil
}

// fills lists the fields the source can give: a display name alone says
// nothing of the manager's email, an id or an email leads to the manager's
// record and so to both.
func (m ManagerSource) fills() []string {
	switch {
	case m.Attribute != "":
		return []string{reconcile.FieldManagerName}
	case m.IDAttribute != "" || m.EmailAttribute != "":
		return []string{reconcile.FieldManagerName, reconcile.FieldManagerEmail}
	}
	return nil
}

// fields lists the fields the source fills that the mapping manages.
func (m ManagerSource) fields(mapped map[string]string) []string {
	return slices.DeleteFunc(m.fills(), func(f string) bool { _, ok := mapped[f]; return !ok })
}

// manager is a person's manager as resolved for one pull.
type manager struct {
	user     reconcile.User      // the manager's record, as Mapping.Map makes it
	problems []reconcile.Problem // Mapping.Map's problems with it
	missing  string              // why there is no such manager; "" when found
}

// value returns the manager's value for a manager field, or why there is none.
func (m manager) value(field string) (v, why string) {
	if m.missing != "" {
		return "", m.missing
	}
	key, v := reconcile.ChangeName, m.user.Name
	if field == reconcile.FieldManagerEmail {
		key, v = reconcile.ChangeEmail, m.user.Email
	}
	for _, p := range m.problems {
		if p.Field == key && p.SkipUser {
			return "", fmt.Sprintf("the manager, Okta user %s, has no usable %s: %s", m.user.OktaID, key, p.Message)
		}
	}
	return v, ""
}

// setManagers fills the manager fields from the manager source. A manager
// who cannot be found is a problem on each field, which the diff then leaves
// as the LMS has it.
func (r *pullRun) setManagers(ctx context.Context) error {
	fields := r.c.cfg.Manager.fields(r.c.cfg.Mapping.Fields)
	if len(fields) == 0 {
		return nil
	}
	for _, p := range r.people {
		if reconcile.SkipsUser(p.problems) {
			continue
		}
		// The source overrides the plain mapping, and any problem it had.
		p.problems = slices.DeleteFunc(p.problems, func(pr reconcile.Problem) bool { return slices.Contains(fields, pr.Field) })
		for _, f := range fields {
			delete(p.user.Fields, f)
		}
		if err := r.setManager(ctx, p, fields); err != nil {
			return err
		}
	}
	return nil
}

func (r *pullRun) setManager(ctx context.Context, p *pulled, fields []string) error {
	src := r.c.cfg.Manager
	raw := p.managerRef
	if src.Attribute != "" {
		v, err := r.c.cfg.Mapping.value(raw, false)
		switch {
		case err != nil:
			p.problem(reconcile.FieldManagerName, shown(raw), fmt.Sprintf("Okta attribute %s: %v", src.Attribute, err))
		case v != "":
			p.user.Fields[reconcile.FieldManagerName] = v
		}
		return nil
	}
	attr := src.attribute()
	ref, err := text(raw)
	if err != nil {
		for _, f := range fields {
			p.problem(f, shown(raw), fmt.Sprintf("Okta attribute %s: %v", attr, err))
		}
		return nil
	}
	if ref == "" {
		return nil // no manager: the fields stay empty
	}
	m, err := r.manager(ctx, ref)
	if err != nil {
		return err
	}
	for _, f := range fields {
		switch v, why := m.value(f); {
		case why != "":
			p.problem(f, ref, fmt.Sprintf("Okta attribute %s: %s", attr, why))
		case v != "":
			p.user.Fields[f] = v
		}
	}
	return nil
}

// problem records a field-level problem of the person's.
func (p *pulled) problem(field, value, msg string) {
	p.problems = append(p.problems, reconcile.Problem{OktaID: p.user.OktaID, Login: p.login, Field: field, Value: value, Message: msg})
}

// manager resolves a manager's Okta user id or email, once per pull.
func (r *pullRun) manager(ctx context.Context, ref string) (manager, error) {
	byEmail := r.c.cfg.Manager.EmailAttribute != ""
	key := ref
	if byEmail {
		key = strings.ToLower(ref) // as Okta compares emails and logins
	}
	if m, ok := r.managers[key]; ok {
		return m, nil
	}
	m, err := r.resolveManager(ctx, key, byEmail)
	if err == nil {
		r.managers[key] = m
	}
	return m, err
}

// resolveManager finds the manager in the population, else in Okta: a
// manager outside the scope still has a name.
func (r *pullRun) resolveManager(ctx context.Context, ref string, byEmail bool) (manager, error) {
	var ids []string
	switch {
	case byEmail:
		ids = r.emailIndex()[ref]
	case r.byID[ref] != nil:
		ids = []string{ref}
	}
	switch len(ids) {
	case 0:
		return r.fetchManager(ctx, ref, byEmail)
	case 1:
		p := r.byID[ids[0]]
		// A copy: setManagers edits p's problems in place.
		return manager{user: p.user, problems: slices.Clone(p.problems)}, nil
	}
	return manager{missing: fmt.Sprintf("%d Okta users have the email or login %q (%s)", len(ids), ref, strings.Join(ids, ", "))}, nil
}

// emailIndex maps the lower-cased email and login of everyone in the
// population to their ids.
func (r *pullRun) emailIndex() map[string][]string {
	if r.byEmail != nil {
		return r.byEmail
	}
	r.byEmail = map[string][]string{}
	for _, p := range r.people {
		for _, k := range []string{p.user.Email, p.login} {
			k = strings.ToLower(k)
			if k != "" && !slices.Contains(r.byEmail[k], p.user.OktaID) {
				r.byEmail[k] = append(r.byEmail[k], p.user.OktaID)
			}
		}
	}
	return r.byEmail
}

// fetchManager reads a manager from Okta by id or login; an email that is
// nobody's login is searched for among the emails.
func (r *pullRun) fetchManager(ctx context.Context, ref string, byEmail bool) (manager, error) {
	// The SDK puts the id into the path as is: a login may hold '/' or '?'.
	u, resp, err := r.c.sdk.User.GetUser(ctx, url.PathEscape(ref))
	switch {
	case resp != nil && resp.StatusCode == http.StatusNotFound && byEmail:
		return r.searchManager(ctx, ref)
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		return manager{missing: fmt.Sprintf("no Okta user has the id or login %q", ref)}, nil
	case err != nil:
		return manager{}, fmt.Errorf("read Okta user %q, a manager: %w", ref, redact(err))
	}
	return r.mapManager(u), nil
}

func (r *pullRun) searchManager(ctx context.Context, email string) (manager, error) {
	// %q quotes the email, escaping '"' and '\' as Okta's (SCIM) search strings do.
	found, _, err := r.c.sdk.User.ListUsers(ctx, &query.Params{Search: fmt.Sprintf("profile.email eq %q", email)})
	if err != nil {
		return manager{}, fmt.Errorf("search Okta users by email %q, a manager: %w", email, redact(err))
	}
	switch len(found) {
	case 0:
		return manager{missing: fmt.Sprintf("no Okta user has the email or login %q", email)}, nil
	case 1:
		return r.mapManager(found[0]), nil
	}
	ids := make([]string, len(found))
	for i, u := range found {
		ids[i] = u.Id
	}
	slices.Sort(ids)
	return manager{missing: fmt.Sprintf("%d Okta users have the email %q (%s)", len(found), email, strings.Join(ids, ", "))}, nil
}

// mapManager maps a manager read from Okta as any person is, so that their
// name is rendered by the same template.
func (r *pullRun) mapManager(u *okta.User) manager {
	user, problems := r.c.cfg.Mapping.Map(u.Id, u.Status, profileOf(u))
	return manager{user: user, problems: problems}
}

// profileOf is the user's profile; nil when Okta sent none.
func profileOf(u *okta.User) map[string]any {
	if u.Profile == nil {
		return nil
	}
	return *u.Profile
}
