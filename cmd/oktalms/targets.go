package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/oktalms/oktalms/lms"
	"github.com/oktalms/oktalms/reconcile"
	oksync "github.com/oktalms/oktalms/sync"
)

// The LMS kinds oktalms writes to.
const (
	kindLessonly = "lessonly"
	kindSCIM     = "scim"
	kindLearnAmp = "learnamp"
)

var kinds = []string{kindLessonly, kindSCIM, kindLearnAmp}

// lessonlyURL is lms.url's default: other kinds must set their own.
const lessonlyURL = "https://api.lessonly.com"

// SCIM presets by lms.preset.
var scimPresets = map[string]func(LMSConfig) lms.SCIMConfig{
	"":           func(LMSConfig) lms.SCIMConfig { return lms.SCIMConfig{Attributes: lms.DefaultSCIMAttributes()} },
	"learnerbly": func(LMSConfig) lms.SCIMConfig { return lms.LearnerblyPreset() },
	"easyllama":  func(c LMSConfig) lms.SCIMConfig { return lms.EasyLlamaPreset(c.URL, c.CompanyID) },
	"learnamp":   func(LMSConfig) lms.SCIMConfig { return lms.LearnAmpSCIMPreset() },
}

// lmsClient is what oktalms needs of any LMS: the sync target, and the
// read-only probes of check.
type lmsClient interface {
	oksync.Target
	CheckAccess(ctx context.Context) error
	MissingCustomFields(ctx context.Context, names []string) (missing, known []string, err error)
}

// lmsName names the LMS in messages to the admin.
func (c LMSConfig) lmsName() string {
	switch c.Kind {
	case kindSCIM:
		return "the SCIM service"
	case kindLearnAmp:
		return "Learn Amp"
	}
	return "Lessonly"
}

// newLMS builds the client of lms.kind. httpClient and onRetry, when set,
// count its requests and retries.
func (c Config) newLMS(userAgent string, httpClient *http.Client, onRetry func()) (lmsClient, error) {
	retry := lms.RetryPolicy{MaxRetries: c.LMS.MaxRetries, BaseDelay: time.Second, MaxDelay: time.Minute, OnRetry: onRetry,
		RequestsPerMinute: c.LMS.RequestsPerMinute}
	switch c.LMS.Kind {
	case kindSCIM:
		cfg := c.scimConfig()
		cfg.Timeout, cfg.Retry, cfg.UserAgent, cfg.HTTPClient = c.LMS.RequestTimeout, retry, userAgent, httpClient
		return lms.NewSCIM(cfg)
	case kindLearnAmp:
		return lms.NewLearnAmp(lms.LearnAmpConfig{BaseURL: c.LMS.URL, ClientID: c.LMS.ClientID,
			ClientSecret: c.LMS.ClientSecret, Scopes: c.LMS.Scopes, SendWelcomeEmail: c.LMS.SendWelcomeEmail,
			Timeout: c.LMS.RequestTimeout, Retry: retry, UserAgent: userAgent, HTTPClient: httpClient})
	}
	return lms.NewLessonly(lms.LessonlyConfig{URL: c.LMS.URL, Subdomain: c.LMS.Subdomain, APIKey: c.LMS.APIKey,
		SendWelcomeEmail: c.LMS.SendWelcomeEmail, CustomFieldIDs: c.LMS.CustomFieldIDs,
		Timeout: c.LMS.RequestTimeout, Retry: retry, UserAgent: userAgent, HTTPClient: httpClient})
}

// scimConfig is the preset with the admin's settings over it.
func (c Config) scimConfig() lms.SCIMConfig {
	cfg := scimPresets[c.LMS.Preset](c.LMS)
	if c.LMS.Preset != "easyllama" {
		cfg.BaseURL = c.LMS.URL
	}
	if c.LMS.Auth != "" {
		cfg.Auth = c.LMS.Auth
	}
	cfg.Token, cfg.Username, cfg.Password = c.LMS.Token, c.LMS.Username, c.LMS.Password
	cfg.Attributes = maps.Clone(cfg.Attributes)
	if cfg.Attributes == nil {
		cfg.Attributes = map[string]string{}
	}
	maps.Copy(cfg.Attributes, c.LMS.Attributes)
	cfg.MultiValued = append(slices.Clone(cfg.MultiValued), c.LMS.MultiValued...)
	cfg.Schemas = append(slices.Clone(cfg.Schemas), c.LMS.Schemas...)
	return cfg
}

// validateLMS checks the settings of lms.kind, and that the mapping asks
// only for what that LMS holds.
func (c Config) validateLMS() error {
	if !slices.Contains(kinds, c.LMS.Kind) {
		return fmt.Errorf("lms.kind: %q is not supported (supported: %s)", c.LMS.Kind, strings.Join(kinds, ", "))
	}
	// EasyLlama's preset too: its base is built on lms.url, and a default
	// left in place would send its token to Lessonly.
	if c.LMS.Kind != kindLessonly && c.LMS.URL == lessonlyURL {
		return fmt.Errorf("lms.url: set the base URL of %s (the default is Lessonly's)", c.LMS.lmsName())
	}
	if err := checkURL("lms.url", c.LMS.URL); err != nil {
		return err
	}
	fields, custom := c.mapping().FieldNames()
	switch c.LMS.Kind {
	case kindLessonly:
		if c.LMS.Subdomain == "" {
			return errors.New("lms.subdomain: missing (your Lessonly company subdomain, the API username)")
		}
		if c.LMS.APIKey == "" {
			return fmt.Errorf("lms.api_key: missing (set it in the config file or %s)", envName("lms.api_key"))
		}
		return c.checkFields(fields, lms.LessonlyFields)
	case kindLearnAmp:
		if c.LMS.ClientID == "" {
			return errors.New("lms.client_id: missing (the Learn Amp API credentials' client id)")
		}
		if c.LMS.ClientSecret == "" {
			return fmt.Errorf("lms.client_secret: missing (set it in %s)", envName("lms.client_secret"))
		}
		// The client has neither: every such op would fail, on every run.
		if c.Groups.Managers != "" {
			return errors.New("groups.managers: oktalms does not set Learn Amp team managers; remove groups.managers")
		}
		if c.Groups.ArchiveRemoved {
			return errors.New("groups.archive_removed: oktalms cannot archive a Learn Amp team; set it to false")
		}
		return c.checkFields(fields, lms.LearnAmpFields)
	}
	if _, ok := scimPresets[c.LMS.Preset]; !ok {
		return fmt.Errorf("lms.preset: %q is not a SCIM preset (learnerbly, easyllama, learnamp, or empty)", c.LMS.Preset)
	}
	if c.LMS.Preset == "easyllama" && c.LMS.CompanyID == "" {
		return errors.New("lms.company_id: missing (the organisation id EasyLlama's customer success team gives)")
	}
	// The client has neither: every such op would fail, on every run.
	if c.Groups.Managers != "" {
		return errors.New("groups.managers: SCIM groups have no managers; remove groups.managers")
	}
	if c.Groups.ArchiveRemoved {
		return errors.New("groups.archive_removed: oktalms cannot archive a SCIM group; set it to false")
	}
	cfg := c.scimConfig()
	switch cfg.Auth {
	case lms.SCIMAuthBearer, lms.SCIMAuthStatic, "":
		if cfg.Token == "" {
			return fmt.Errorf("lms.token: missing (set it in %s)", envName("lms.token"))
		}
	case lms.SCIMAuthBasic:
		if cfg.Username == "" || cfg.Password == "" {
			return fmt.Errorf("lms.username and lms.password: both needed with lms.auth basic (the password in %s)", envName("lms.password"))
		}
	default:
		return fmt.Errorf("lms.auth: %q is not bearer, static or basic", cfg.Auth)
	}
	for _, key := range slices.Concat(fields, prefixed(custom)) {
		if _, ok := cfg.AttributePath(key); !ok {
			return fmt.Errorf("lms.attributes: no SCIM attribute for the mapped field %q: add %s: <attribute path>", key, key)
		}
	}
	return nil
}

func (c Config) checkFields(fields, supported []string) error {
	for _, f := range fields {
		if !slices.Contains(supported, f) {
			return fmt.Errorf("mapping.fields.%s: %s has no such field (it holds %s)", f, c.LMS.lmsName(), strings.Join(supported, ", "))
		}
	}
	return c.checkRole("mapping.default_role", c.Mapping.DefaultRole)
}

func prefixed(custom []string) []string {
	out := make([]string, len(custom))
	for i, name := range custom {
		out[i] = reconcile.CustomPrefix + name
	}
	return out
}
