// Package oktaclient pulls the people in scope from the Okta Management API,
// through okta-sdk-golang, and maps them to canonical records.
package oktaclient

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/oktalms/oktalms/reconcile"
	oksync "github.com/oktalms/oktalms/sync"
)

// pageSize is the members asked per page: Okta's group member listing allows
// more, but 200 keeps each response small and each retry cheap.
const pageSize = 200

// Config is what the client needs to reach one Okta org.
//
// Token and PrivateKeyPEM are secrets: nothing in this package logs them or
// puts them in an error, and String and GoString leave them out.
type Config struct {
	OrgURL string
	// Auth is how oktalms authenticates to Okta: AuthToken ("token", also
	// when empty) with the API token Token, or AuthOAuth ("oauth") as an
	// OAuth 2.0 service app with private_key_jwt, from ClientID,
	// PrivateKeyPEM, PrivateKeyID and Scopes.
	Auth string
	// Token is the Okta API token (okta.token), sent as "SSWS <Token>";
	// needed, and used, only when Auth is token.
	Token string
	// ClientID is the service app's client id (okta.client_id); needed when
	// Auth is oauth.
	ClientID string
	// PrivateKeyPEM is the content of okta.private_key_file, which the caller
	// reads: the private key whose public half is registered on the service
	// app, as PEM, PKCS#8 ("PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY"), RSA
	// of 2048 bits or more (an EC P-256/P-384/P-521 key, PKCS#8 or "EC
	// PRIVATE KEY", works too). Unencrypted. Needed when Auth is oauth.
	PrivateKeyPEM []byte
	// PrivateKeyID is the key's kid as Okta shows it (okta.private_key_id),
	// sent in the client assertion's header. Optional: Okta needs it only
	// when the app holds several keys.
	PrivateKeyID string
	// Scopes are the OAuth scopes asked (okta.scopes); DefaultScopes
	// (okta.users.read okta.groups.read) when empty. Each must be granted to
	// the app in Okta.
	Scopes []string
	// Groups are Okta group names or ids; members of any are in scope.
	Groups []string
	// SyncGroups are the Okta groups mirrored as LMS groups: names, ids
	// (00g…), or name prefixes ending in '*' ("LMS-*").
	SyncGroups []string
	// ManagersGroup, when set, is a template naming the Okta group whose
	// members manage the LMS group: with "{name} Managers", the members of
	// the Okta group "Sales Managers" manage the LMS group "Sales".
	ManagersGroup string
	Mapping       Mapping
	// Roles are ordered rules: the first whose group a person is a member
	// of gives their role; else Mapping.DefaultRole.
	Roles []RoleRule
	// Manager says where a person's manager comes from; the zero value
	// leaves manager_name to Mapping.Fields.
	Manager ManagerSource
	// RequestTimeout bounds each HTTP request, retries included.
	RequestTimeout time.Duration
	// MaxRetries bounds the retries of one request on 429, 5xx and network errors.
	MaxRetries int
	// RetryBaseDelay is the first backoff of a 5xx or network retry; it doubles.
	RetryBaseDelay time.Duration
	// OnRetry, when set, hears of every request about to be sent again
	// after a 5xx or a network error.
	OnRetry   func()
	UserAgent string
	// Transport carries every request, each attempt on its own; nil is
	// http.DefaultTransport.
	Transport http.RoundTripper
	// MaxRateShare is the share of the org's Okta rate limit oktalms may
	// use before it waits for the window to reset (okta.max_rate_share).
	MaxRateShare float64
}

// Validate reports the first configuration error, naming the config key.
func (c Config) Validate() error {
	if err := CheckURL("okta.org_url", c.OrgURL); err != nil {
		return err
	}
	if err := c.validateAuth(); err != nil {
		return err
	}
	if len(c.Groups) == 0 {
		return errors.New("okta.groups: empty; name at least one Okta group whose members are in scope")
	}
	for i, g := range c.Groups {
		if strings.TrimSpace(g) == "" {
			return fmt.Errorf("okta.groups[%d]: empty group name", i)
		}
	}
	if err := c.validateGroups(); err != nil {
		return err
	}
	if err := c.Mapping.Validate(); err != nil {
		return err
	}
	if err := c.validateRoles(); err != nil {
		return err
	}
	return c.Manager.validate(c.Mapping.Fields)
}

// String describes the configuration without its secrets.
func (c Config) String() string {
	secret := func(set bool) string {
		if set {
			return "(set)"
		}
		return "(unset)"
	}
	return fmt.Sprintf("oktaclient.Config{OrgURL:%q Auth:%q Token:%s ClientID:%q PrivateKeyPEM:%s PrivateKeyID:%q Scopes:%q Groups:%q}",
		c.OrgURL, c.authMode(), secret(c.Token != ""), c.ClientID, secret(len(c.PrivateKeyPEM) > 0), c.PrivateKeyID, c.Scopes, c.Groups)
}

// GoString is String, so that %#v leaves the secrets out too.
func (c Config) GoString() string { return c.String() }

// CheckURL accepts https URLs, and http only for loopback hosts: the
// simulators. A credential must never cross a network in clear text. key is
// the config key named in the error.
func CheckURL(key, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s: %q is not a URL like https://host.example.com", key, raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("%s: %q must use https (http is accepted for 127.0.0.1 and localhost only)", key, raw)
	default:
		return fmt.Errorf("%s: %q must be an https URL", key, raw)
	}
}

// IsLoopback reports whether host is this machine: localhost or a loopback address.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client reads one Okta org.
type Client struct {
	// OnPulled, when set, hears how many people a pull has mapped so far.
	// Set it before pulling; it may be called from several goroutines.
	OnPulled func(people int)

	cfg    Config
	sdk    *okta.Client
	tokens *tokenTransport
}

var _ oksync.Source = (*Client)(nil)

// New builds a client. Every SDK option is set explicitly: NewClient would
// otherwise read ~/.okta/okta.yaml and OKTA_* variables behind our back.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	authOpts, err := cfg.authOptions()
	if err != nil {
		return nil, err
	}
	orgURL := strings.TrimRight(cfg.OrgURL, "/")
	u, _ := url.Parse(orgURL)
	tokens := &tokenTransport{
		org: u,
		next: &retryTransport{
			next: &paceTransport{next: cmp.Or[http.RoundTripper](cfg.Transport, http.DefaultTransport),
				share: cfg.MaxRateShare, now: time.Now},
			maxRetries: cfg.MaxRetries,
			baseDelay:  cfg.RetryBaseDelay,
			onRetry:    cfg.OnRetry,
		},
	}
	httpClient := &http.Client{Timeout: cfg.RequestTimeout, Transport: tokens}
	opts := []okta.ConfigSetter{
		okta.WithOrgUrl(orgURL),
		okta.WithCache(false), okta.WithCacheTtl(0), okta.WithCacheTti(0),
		okta.WithHttpClientPtr(httpClient),
		okta.WithRequestTimeout(int64(cfg.RequestTimeout / time.Second)),
		okta.WithConnectionTimeout(int64(cfg.RequestTimeout / time.Second)),
		okta.WithRateLimitMaxRetries(int32(cfg.MaxRetries)),
		okta.WithRateLimitMaxBackOff(30),
		okta.WithUserAgentExtra(cfg.UserAgent),
		okta.WithTestingDisableHttpsCheck(u.Scheme == "http" && IsLoopback(u.Hostname())),
		okta.WithProxyHost(""), okta.WithProxyPort(0), okta.WithProxyUsername(""), okta.WithProxyPassword(""),
	}
	_, sdk, err := okta.NewClient(ctx, append(opts, authOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("okta client: %w", err)
	}
	return &Client{cfg: cfg, sdk: sdk, tokens: tokens}, nil
}

// Pull lists the members of every scope group and maps each person once,
// then gives them their roles and managers and lists the synced groups.
// Any failure to read a group or a page fails the pull: a partial listing
// must never be planned from, or it would archive everyone it missed.
func (c *Client) Pull(ctx context.Context) (reconcile.State, error) {
	defer c.tokens.use(ctx)()
	state, err := c.pull(ctx)
	return state, c.explain(err)
}

func (c *Client) pull(ctx context.Context) (reconcile.State, error) {
	groups, err := c.resolveGroups(ctx)
	if err != nil {
		return reconcile.State{}, err
	}
	run := newPullRun(c)
	listed, err := c.listScope(ctx, groups)
	if err != nil {
		return reconcile.State{}, err
	}
	for i, g := range groups {
		run.members[g.id] = listed[i].ids
		for _, p := range listed[i].people {
			if run.byID[p.user.OktaID] == nil { // in several scope groups: kept once
				run.add(p)
			}
		}
	}
	if err := run.setRoles(ctx); err != nil {
		return reconcile.State{}, err
	}
	if err := run.setManagers(ctx); err != nil {
		return reconcile.State{}, err
	}
	synced, err := run.syncedGroups(ctx)
	if err != nil {
		return reconcile.State{}, err
	}
	state := reconcile.State{Groups: synced}
	for _, p := range run.people {
		state.Problems = append(state.Problems, p.problems...)
		if !reconcile.SkipsUser(p.problems) {
			state.Users = append(state.Users, p.user)
		}
	}
	return state, nil
}

type group struct{ id, name string }

var groupID = regexp.MustCompile(`^00g[0-9A-Za-z]{17}$`)

// scopeListers is how many scope groups are listed at once: an org with
// thousands of groups is read in a sixth of the time, few enough requests in
// flight to leave most of the org's concurrency limit to its other
// integrations, and Okta's rate limit is paced by the transport anyway.
const scopeListers = 6

type listedGroup struct {
	ids    []string
	people []*pulled
}

// listScope lists the members of every scope group, a few groups at a time,
// mapping each person once, as they first arrive, and returns them in group
// order. Which group maps a person depends on timing; the record does not,
// and the plan sorts. The first failure stops the others: the pull fails whole.
func (c *Client) listScope(ctx context.Context, groups []group) ([]listedGroup, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]listedGroup, len(groups))
	var claimed stdsync.Map // Okta ids already mapped by some lister
	var mapped atomic.Int64
	sem := make(chan struct{}, scopeListers)
	var wg stdsync.WaitGroup
	for i, g := range groups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := c.eachMember(ctx, g, func(u *okta.User) {
				out[i].ids = append(out[i].ids, u.Id)
				if _, dup := claimed.LoadOrStore(u.Id, true); dup {
					return // mapped by the lister of another group: a person is kept once
				}
				profile := profileOf(u)
				user, problems := c.cfg.Mapping.Map(u.Id, u.Status, profile)
				out[i].people = append(out[i].people, c.newPulled(profile, user, problems))
				if n := mapped.Add(1); c.OnPulled != nil {
					c.OnPulled(int(n))
				}
			})
			if err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// resolveGroups finds each configured group by id or exact name. A name that
// matches no group, or several, is an error: guessing the scope is how people
// get archived by mistake.
func (c *Client) resolveGroups(ctx context.Context) ([]group, error) {
	if len(c.cfg.Groups) > bulkResolve {
		return c.resolveFromListing(ctx)
	}
	out := make([]group, 0, len(c.cfg.Groups))
	for _, ref := range c.cfg.Groups {
		g, err := c.resolveGroup(ctx, strings.TrimSpace(ref))
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// bulkResolve is how many scope groups are looked up one by one; past it,
// every Okta group is listed once (a page per 200 groups) and the names
// matched here: 2,000 scope groups cost 10 requests, not 2,000.
const bulkResolve = 20

func (c *Client) resolveFromListing(ctx context.Context) ([]group, error) {
	byID := map[string]group{}
	byName := map[string][]group{}
	found, resp, err := c.sdk.Group.ListGroups(ctx, &query.Params{Limit: pageSize})
	for {
		if err != nil {
			return nil, fmt.Errorf("list the Okta groups: %w", redact(err))
		}
		for _, g := range found {
			if g.Profile == nil {
				continue
			}
			gr := group{id: g.Id, name: g.Profile.Name}
			byID[gr.id] = gr
			byName[strings.ToLower(gr.name)] = append(byName[strings.ToLower(gr.name)], gr)
		}
		if resp == nil || !resp.HasNextPage() {
			break
		}
		found = nil
		resp, err = resp.Next(ctx, &found)
	}
	out := make([]group, 0, len(c.cfg.Groups))
	for _, ref := range c.cfg.Groups {
		ref = strings.TrimSpace(ref)
		if g, ok := byID[ref]; ok {
			out = append(out, g)
			continue
		}
		switch matches := byName[strings.ToLower(ref)]; len(matches) {
		case 0:
			if groupID.MatchString(ref) {
				return nil, fmt.Errorf("okta.groups: no Okta group has the id %s", ref)
			}
			return nil, fmt.Errorf("okta.groups: no Okta group is named %q", ref)
		case 1:
			out = append(out, matches[0])
		default:
			return nil, fmt.Errorf("okta.groups: %d Okta groups are named %q (%s); give the id instead", len(matches), ref, groupIDs(matches))
		}
	}
	return out, nil
}

// resolveGroup finds one scope group (okta.groups).
func (c *Client) resolveGroup(ctx context.Context, ref string) (group, error) {
	return c.findGroup(ctx, "okta.groups", ref)
}

// findGroup finds the group with the id ref, or the one group named ref;
// key is the config key that named it, for the error when there is none.
func (c *Client) findGroup(ctx context.Context, key, ref string) (group, error) {
	if groupID.MatchString(ref) {
		g, resp, err := c.sdk.Group.GetGroup(ctx, ref)
		switch {
		case resp != nil && resp.StatusCode == http.StatusNotFound:
			return group{}, fmt.Errorf("%s: no Okta group has the id %s", key, ref)
		case err != nil:
			return group{}, fmt.Errorf("read Okta group %s: %w", ref, redact(err))
		}
		return group{id: g.Id, name: g.Profile.Name}, nil
	}
	matches, err := c.groupsNamed(ctx, ref)
	if err != nil {
		return group{}, err
	}
	switch len(matches) {
	case 0:
		return group{}, fmt.Errorf("%s: no Okta group is named %q", key, ref)
	case 1:
		return matches[0], nil
	}
	return group{}, fmt.Errorf("%s: %d Okta groups are named %q (%s); give the id instead", key, len(matches), ref, groupIDs(matches))
}

// groupsNamed lists the groups named name, whatever the letter case, as
// Okta compares names. A full answer to the query is no worry here: Okta
// answers exact matches first.
func (c *Client) groupsNamed(ctx context.Context, name string) ([]group, error) {
	found, _, err := c.groupsStarting(ctx, name)
	return slices.DeleteFunc(found, func(g group) bool { return !strings.EqualFold(g.name, name) }), err
}

// groupsStarting lists the groups whose name starts with prefix, whatever
// the letter case. Okta answers a q query at once and never pages it, so a
// full answer may have left groups out.
func (c *Client) groupsStarting(ctx context.Context, prefix string) (groups []group, full bool, err error) {
	found, _, err := c.sdk.Group.ListGroups(ctx, &query.Params{Q: prefix, Limit: pageSize})
	if err != nil {
		return nil, false, fmt.Errorf("find Okta groups %q: %w", prefix, redact(err))
	}
	for _, g := range found {
		if g.Profile != nil && strings.HasPrefix(strings.ToLower(g.Profile.Name), strings.ToLower(prefix)) {
			groups = append(groups, group{id: g.Id, name: g.Profile.Name})
		}
	}
	return groups, len(found) >= pageSize, nil
}

// groupIDs lists the groups' ids, sorted, for an error message.
func groupIDs(groups []group) string {
	ids := make([]string, len(groups))
	for i, g := range groups {
		ids[i] = g.id
	}
	slices.Sort(ids)
	return strings.Join(ids, ", ")
}

// eachMember calls fn for every member of the group, following the Link
// pages until there is no next one.
func (c *Client) eachMember(ctx context.Context, g group, fn func(*okta.User)) error {
	users, resp, err := c.sdk.Group.ListGroupUsers(ctx, g.id, &query.Params{Limit: pageSize})
	for page := 1; ; page++ {
		if err != nil {
			return fmt.Errorf("list members of Okta group %q (%s), page %d: %w", g.name, g.id, page, redact(err))
		}
		for _, u := range users {
			fn(u)
		}
		if resp == nil || !resp.HasNextPage() {
			return nil
		}
		users = nil
		resp, err = resp.Next(ctx, &users)
	}
}
