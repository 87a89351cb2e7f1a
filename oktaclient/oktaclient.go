// Package oktaclient pulls the people in scope from the Okta Management API,
// through okta-sdk-golang, and maps them to canonical records.
package oktaclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
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
type Config struct {
	OrgURL string
	Token  string
	// Groups are Okta group names or ids; members of any are in scope.
	Groups  []string
	Mapping Mapping
	// RequestTimeout bounds each HTTP request, retries included.
	RequestTimeout time.Duration
	// MaxRetries bounds the retries of one request on 429, 5xx and network errors.
	MaxRetries int
	// RetryBaseDelay is the first backoff of a 5xx or network retry; it doubles.
	RetryBaseDelay time.Duration
	UserAgent      string
}

// Validate reports the first configuration error, naming the config key.
func (c Config) Validate() error {
	if err := CheckURL("okta.org_url", c.OrgURL); err != nil {
		return err
	}
	if strings.TrimSpace(c.Token) == "" {
		return errors.New("okta.token: missing (set it in the config file or OKTALMS_OKTA_TOKEN)")
	}
	if len(c.Groups) == 0 {
		return errors.New("okta.groups: empty; name at least one Okta group whose members are in scope")
	}
	for i, g := range c.Groups {
		if strings.TrimSpace(g) == "" {
			return fmt.Errorf("okta.groups[%d]: empty group name", i)
		}
	}
	return c.Mapping.Validate()
}

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
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("%s: %q must use https (http is accepted for 127.0.0.1 and localhost only)", key, raw)
	default:
		return fmt.Errorf("%s: %q must be an https URL", key, raw)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client reads one Okta org.
type Client struct {
	cfg Config
	sdk *okta.Client
}

var _ oksync.Source = (*Client)(nil)

// New builds a client. Every SDK option is set explicitly: NewClient would
// otherwise read ~/.okta/okta.yaml and OKTA_* variables behind our back.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.OrgURL)
	httpClient := &http.Client{
		Timeout: cfg.RequestTimeout,
		Transport: &retryTransport{
			next:       http.DefaultTransport,
			maxRetries: cfg.MaxRetries,
			baseDelay:  cfg.RetryBaseDelay,
		},
	}
	_, sdk, err := okta.NewClient(ctx,
		okta.WithOrgUrl(strings.TrimRight(cfg.OrgURL, "/")),
		okta.WithToken(cfg.Token),
		okta.WithAuthorizationMode("SSWS"),
		okta.WithCache(false),
		okta.WithHttpClientPtr(httpClient),
		okta.WithRequestTimeout(int64(cfg.RequestTimeout/time.Second)),
		okta.WithConnectionTimeout(int64(cfg.RequestTimeout/time.Second)),
		okta.WithRateLimitMaxRetries(int32(cfg.MaxRetries)),
		okta.WithRateLimitMaxBackOff(30),
		okta.WithUserAgentExtra(cfg.UserAgent),
		okta.WithTestingDisableHttpsCheck(u.Scheme == "http" && isLoopback(u.Hostname())),
		okta.WithProxyHost(""), okta.WithProxyPort(0), okta.WithProxyUsername(""), okta.WithProxyPassword(""),
	)
	if err != nil {
		return nil, fmt.Errorf("okta client: %w", err)
	}
	return &Client{cfg: cfg, sdk: sdk}, nil
}

// Pull lists the members of every scope group and maps each person once.
// Any failure to read a group or a page fails the pull: a partial listing
// must never be planned from, or it would archive everyone it missed.
func (c *Client) Pull(ctx context.Context) (reconcile.State, error) {
	groups, err := c.resolveGroups(ctx)
	if err != nil {
		return reconcile.State{}, err
	}
	seen := make(map[string]bool)
	var state reconcile.State
	for _, g := range groups {
		err := c.eachMember(ctx, g, func(u *okta.User) {
			if seen[u.Id] {
				return
			}
			seen[u.Id] = true
			var profile map[string]any
			if u.Profile != nil {
				profile = *u.Profile
			}
			user, problems := c.cfg.Mapping.Map(u.Id, u.Status, profile)
			state.Problems = append(state.Problems, problems...)
			if !skipped(problems) {
				state.Users = append(state.Users, user)
			}
		})
		if err != nil {
			return reconcile.State{}, err
		}
	}
	return state, nil
}

func skipped(problems []reconcile.Problem) bool {
	for _, p := range problems {
		if p.SkipUser {
			return true
		}
	}
	return false
}

type group struct{ id, name string }

var groupID = regexp.MustCompile(`^00g[0-9A-Za-z]{17}$`)

// resolveGroups finds each configured group by id or exact name. A name that
// matches no group, or several, is an error: guessing the scope is how people
// get archived by mistake.
func (c *Client) resolveGroups(ctx context.Context) ([]group, error) {
	var out []group
	for _, ref := range c.cfg.Groups {
		ref = strings.TrimSpace(ref)
		if groupID.MatchString(ref) {
			g, _, err := c.sdk.Group.GetGroup(ctx, ref)
			if err != nil {
				return nil, fmt.Errorf("read Okta group %s: %w", ref, err)
			}
			out = append(out, group{id: g.Id, name: g.Profile.Name})
			continue
		}
		found, _, err := c.sdk.Group.ListGroups(ctx, &query.Params{Q: ref, Limit: pageSize})
		if err != nil {
			return nil, fmt.Errorf("find Okta group %q: %w", ref, err)
		}
		var matches []group
		for _, g := range found {
			if g.Profile != nil && strings.EqualFold(g.Profile.Name, ref) {
				matches = append(matches, group{id: g.Id, name: g.Profile.Name})
			}
		}
		switch len(matches) {
		case 0:
			return nil, fmt.Errorf("okta.groups: no Okta group is named %q", ref)
		case 1:
			out = append(out, matches[0])
		default:
			ids := make([]string, len(matches))
			for i, m := range matches {
				ids[i] = m.id
			}
			sort.Strings(ids)
			return nil, fmt.Errorf("okta.groups: %d Okta groups are named %q (%s); give the id instead", len(matches), ref, strings.Join(ids, ", "))
		}
	}
	return out, nil
}

// eachMember calls fn for every member of the group, following the Link
// pages until there is no next one.
func (c *Client) eachMember(ctx context.Context, g group, fn func(*okta.User)) error {
	users, resp, err := c.sdk.Group.ListGroupUsers(ctx, g.id, &query.Params{Limit: pageSize})
	for page := 1; ; page++ {
		if err != nil {
			return fmt.Errorf("list members of Okta group %q (%s), page %d: %w", g.name, g.id, page, err)
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
