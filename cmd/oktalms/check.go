package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oktalms/oktalms/lms"
	"github.com/oktalms/oktalms/oktaclient"
)

func newCheckCommand(getenv func(string) string, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the config and probe Okta and the LMS, read-only, with a fix for each failure",
		Long: `Validate the configuration, then probe both sides without changing anything:
the Okta URL answers and the credentials are accepted, every scope group
exists and can be read (with its member count), the LMS key is accepted,
every mapped custom field exists in the LMS, and the state directory is
writable. Each failure comes with a concrete fix. Exits 1 if any fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfigFlag(cmd, getenv)
			if err != nil {
				fmt.Fprintf(stdout, "✗ configuration: %v\n", err)
				return &exitError{code: exitFailed}
			}
			fmt.Fprintln(stdout, "✓ configuration is valid")
			if failed, _ := runChecks(cmd.Context(), cfg, stdout); failed > 0 {
				fmt.Fprintf(stdout, "\n%d check(s) failed.\n", failed)
				return &exitError{code: exitFailed}
			}
			fmt.Fprintln(stdout, "\nAll checks passed.")
			return nil
		},
	}
}

// checklist prints one line per check and counts the failures: all of
// them, and those a wait would not mend (a refused credential, a wrong
// name), which keep the daemon from starting.
type checklist struct {
	w         io.Writer
	failed    int
	permanent int
}

func (c *checklist) pass(format string, args ...any) { fmt.Fprintf(c.w, "✓ "+format+"\n", args...) }

func (c *checklist) fail(what string, err error, fix string) {
	c.failed++
	if !unreachable(err) && !oktaclient.Transient(err) && !lms.Transient(err) {
		c.permanent++
	}
	fmt.Fprintf(c.w, "✗ %s: %v\n    fix: %s\n", what, err, fix)
}

func (c *checklist) warn(what, note string) { fmt.Fprintf(c.w, "⚠ %s: %s\n", what, note) }

// runChecks probes everything a run needs, read-only. The check command
// prints it; the daemon runs it at start and refuses to start on a
// permanent failure, but starts through an outage, which its runs will report.
func runChecks(ctx context.Context, cfg Config, w io.Writer) (failed, permanent int) {
	c := &checklist{w: w}
	checkStateDir(c, cfg.State.Path)
	checkOkta(ctx, c, cfg)
	checkLMS(ctx, c, cfg)
	return c.failed, c.permanent
}

func checkStateDir(c *checklist, path string) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		c.fail("state.path", err, "create "+dir+" for the user oktalms runs as, or set state.path elsewhere")
		return
	}
	probe, err := os.CreateTemp(dir, ".oktalms-check-*")
	if err != nil {
		c.fail("state.path", err, "make "+dir+" writable by the user oktalms runs as")
		return
	}
	probe.Close()
	os.Remove(probe.Name())
	c.pass("state directory %s is writable", dir)
}

func checkOkta(ctx context.Context, c *checklist, cfg Config) {
	oktaCfg, err := cfg.oktaClientConfig("oktalms/" + version + " check")
	if err == nil {
		var client *oktaclient.Client
		if client, err = oktaclient.New(ctx, oktaCfg); err == nil {
			checkScope(ctx, c, cfg, client)
			return
		}
	}
	c.fail("Okta client", err, "correct the okta section of the config")
}

func checkScope(ctx context.Context, c *checklist, cfg Config, client *oktaclient.Client) {
	for _, g := range client.CheckScope(ctx) {
		switch {
		case g.Err == nil:
			c.pass("Okta group %q (%s): %d members readable", g.Name, g.ID, g.Members)
		case unreachable(g.Err):
			c.fail("Okta at "+cfg.Okta.OrgURL, g.Err, "check okta.org_url, DNS, and that this machine may reach it (proxy, firewall)")
			return
		case oktaclient.Unauthorized(g.Err):
			c.fail("Okta credentials", g.Err, "create a new API token (Security → API → Tokens) as a read-only admin and set OKTALMS_OKTA_TOKEN; for okta.auth oauth, check the client id, key and the granted scopes okta.users.read okta.groups.read")
			return
		default:
			c.fail(fmt.Sprintf("Okta group %q", g.Ref), g.Err, "check the name in Okta (Directory → Groups) or give the group id (00g…) in okta.groups")
		}
	}
	for _, ref := range client.CheckReferences(ctx) {
		if ref.Err != nil {
			c.fail(fmt.Sprintf("%s %q", ref.Key, ref.Ref), ref.Err, "check the name in Okta (Directory → Groups) or give the group id (00g…)")
			continue
		}
		c.pass("%s %q: %d Okta group(s)", ref.Key, ref.Ref, ref.Groups)
	}
}

func checkLMS(ctx context.Context, c *checklist, cfg Config) {
	client, err := cfg.newLMS("oktalms/"+version+" check", nil, nil)
	if err != nil {
		c.fail("LMS client", err, "correct the lms section of the config")
		return
	}
	if err := client.CheckAccess(ctx); err != nil {
		switch {
		case unreachable(err):
			c.fail(capitalize(cfg.LMS.lmsName())+" at "+cfg.LMS.URL, err, "check lms.url and that this machine may reach it (proxy, firewall)")
		case lms.Unauthorized(err):
			c.fail(capitalize(cfg.LMS.lmsName())+" credentials", err, credentialsFix[cfg.LMS.Kind])
		default:
			c.fail(capitalize(cfg.LMS.lmsName())+" API", err, "see the message; retry later if it is rate limiting")
		}
		return
	}
	c.pass("%s credentials accepted (%s)", capitalize(cfg.LMS.lmsName()), cfg.LMS.URL)
	_, custom := cfg.mapping().FieldNames()
	if len(custom) == 0 {
		return
	}
	missing, known, err := client.MissingCustomFields(ctx, custom)
	if err != nil {
		c.fail(capitalize(cfg.LMS.lmsName())+" custom fields", err, "retry later")
		return
	}
	for _, name := range custom {
		switch {
		case !slices.Contains(missing, name):
			c.pass("%s custom field %q found", capitalize(cfg.LMS.lmsName()), name)
		case len(known) == 0:
			// The LMS lists no field definitions: with no account carrying
			// any custom data, a name cannot be verified either way.
			c.warn(fmt.Sprintf("%s custom field %q", capitalize(cfg.LMS.lmsName()), name),
				"cannot be verified: no account carries custom field data yet (for Lessonly, give its id in lms.custom_field_ids to be sure)")
		default:
			c.fail(fmt.Sprintf("%s custom field %q", capitalize(cfg.LMS.lmsName()), name), errors.New(customFieldMissing[cfg.LMS.Kind]),
				fmt.Sprintf("copy the exact name from %s into mapping.custom_fields (known: %s)", cfg.LMS.lmsName(), strings.Join(known, ", ")))
		}
	}
}

// unreachable reports whether err is the network failing, not the API answering.
func unreachable(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	return errors.As(err, &opErr) || errors.As(err, &dnsErr)
}

// customFieldMissing says how each kind tells that a field does not exist.
var customFieldMissing = map[string]string{
	kindLessonly: "no account carries it; Lessonly would create a new field of this name",
	kindSCIM:     "the service's /Schemas has no such attribute",
	kindLearnAmp: "no account carries it; Learn Amp refuses an unknown name",
}

// credentialsFix says where each kind's credentials come from.
var credentialsFix = map[string]string{
	kindLessonly: "check lms.subdomain and OKTALMS_LMS_API_KEY; Lessonly support issues API keys",
	kindSCIM:     "check lms.auth and OKTALMS_LMS_TOKEN (or lms.username and OKTALMS_LMS_PASSWORD); the LMS's admin settings issue them",
	kindLearnAmp: "check lms.client_id and OKTALMS_LMS_CLIENT_SECRET, and the scopes granted; only the Learn Amp account Owner can create API credentials",
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
