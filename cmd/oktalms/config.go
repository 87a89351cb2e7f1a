package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/oktalms/oktalms/lms"
	"github.com/oktalms/oktalms/oktaclient"
	"github.com/oktalms/oktalms/reconcile"
	oksync "github.com/oktalms/oktalms/sync"
)

// Config is the whole configuration file. config.example.yaml documents
// every key with its default.
type Config struct {
	Okta     OktaConfig     `mapstructure:"okta"`
	LMS      LMSConfig      `mapstructure:"lms"`
	Mapping  MappingConfig  `mapstructure:"mapping"`
	Groups   GroupsConfig   `mapstructure:"groups"`
	State    StateConfig    `mapstructure:"state"`
	Safety   SafetyConfig   `mapstructure:"safety"`
	Plan     PlanConfig     `mapstructure:"plan"`
	Schedule ScheduleConfig `mapstructure:"schedule"`
	Admin    AdminConfig    `mapstructure:"admin"`
	Notify   NotifyConfig   `mapstructure:"notify"`
	Log      LogConfig      `mapstructure:"log"`
}

type SafetyConfig struct {
	MaxArchives        int      `mapstructure:"max_archives" json:"max_archives"`
	MaxArchivePercent  float64  `mapstructure:"max_archive_percent" json:"max_archive_percent"`
	MaxShrinkPercent   float64  `mapstructure:"max_shrink_percent" json:"max_shrink_percent"`
	ArchiveAfterMisses int      `mapstructure:"archive_after_misses" json:"archive_after_misses"`
	Protected          []string `mapstructure:"protected" json:"protected"`
	RetryBudget        int      `mapstructure:"retry_budget" json:"-"`
}

type PlanConfig struct {
	MaxAge time.Duration `mapstructure:"max_age"`
}

type ScheduleConfig struct {
	Times           []string      `mapstructure:"times"`
	Timezone        string        `mapstructure:"timezone"`
	CatchUp         bool          `mapstructure:"catch_up"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
}

type AdminConfig struct {
	Listen         string `mapstructure:"listen"`
	Token          string `mapstructure:"token"`
	UnhealthyAfter int    `mapstructure:"unhealthy_after"`
}

type NotifyConfig struct {
	WebhookURL string `mapstructure:"webhook_url"`
	Always     bool   `mapstructure:"always"`
}

type OktaConfig struct {
	OrgURL         string        `mapstructure:"org_url"`
	Auth           string        `mapstructure:"auth"`
	Token          string        `mapstructure:"token"`
	ClientID       string        `mapstructure:"client_id"`
	PrivateKeyFile string        `mapstructure:"private_key_file"`
	PrivateKeyID   string        `mapstructure:"private_key_id"`
	Scopes         []string      `mapstructure:"scopes"`
	Groups         []string      `mapstructure:"groups"`
	IncludeStaged  bool          `mapstructure:"include_staged"`
	RequestTimeout time.Duration `mapstructure:"request_timeout"`
	MaxRetries     int           `mapstructure:"max_retries"`
	MaxRateShare   float64       `mapstructure:"max_rate_share"`
}

type LMSConfig struct {
	Kind             string        `mapstructure:"kind"`
	URL              string        `mapstructure:"url"`
	SendWelcomeEmail bool          `mapstructure:"send_welcome_email"`
	RequestTimeout   time.Duration `mapstructure:"request_timeout"`
	MaxRetries       int           `mapstructure:"max_retries"`
	// Concurrency is how many requests are sent at once.
	Concurrency int `mapstructure:"concurrency"`
	// RequestsPerMinute paces requests under the LMS's rate limit.
	RequestsPerMinute int `mapstructure:"requests_per_minute"`
	// Lessonly
	Subdomain      string         `mapstructure:"subdomain"`
	APIKey         string         `mapstructure:"api_key"`
	CustomFieldIDs map[string]int `mapstructure:"custom_field_ids"`
	// SCIM
	Preset      string            `mapstructure:"preset"`
	CompanyID   string            `mapstructure:"company_id"`
	Auth        string            `mapstructure:"auth"`
	Token       string            `mapstructure:"token"`
	Username    string            `mapstructure:"username"`
	Password    string            `mapstructure:"password"`
	Attributes  map[string]string `mapstructure:"attributes"`
	MultiValued []string          `mapstructure:"multi_valued"`
	Schemas     []string          `mapstructure:"schemas"`
	// Learn Amp
	ClientID     string   `mapstructure:"client_id"`
	ClientSecret string   `mapstructure:"client_secret"`
	Scopes       []string `mapstructure:"scopes"`
}

type GroupsConfig struct {
	Sync           []string `mapstructure:"sync" json:"sync"`
	Managers       string   `mapstructure:"managers" json:"managers"`
	Exclusive      bool     `mapstructure:"exclusive" json:"exclusive"`
	ArchiveRemoved bool     `mapstructure:"archive_removed" json:"archive_removed"`
}

type RoleRule struct {
	Group string `mapstructure:"group" json:"group"`
	Role  string `mapstructure:"role" json:"role"`
}

type ManagerConfig struct {
	Attribute      string `mapstructure:"attribute" json:"attribute"`
	IDAttribute    string `mapstructure:"id_attribute" json:"id_attribute"`
	EmailAttribute string `mapstructure:"email_attribute" json:"email_attribute"`
}

type MappingConfig struct {
	Name            string            `mapstructure:"name"`
	Fields          map[string]string `mapstructure:"fields"`
	HireDateFormats []string          `mapstructure:"hire_date_formats"`
	CustomFields    map[string]string `mapstructure:"custom_fields"`
	DefaultRole     string            `mapstructure:"default_role"`
	CreateOnly      []string          `mapstructure:"create_only"`
	SanitizeNames   bool              `mapstructure:"sanitize_names"`
	MaxValueLength  int               `mapstructure:"max_value_length"`
	Roles           []RoleRule        `mapstructure:"roles"`
	Manager         ManagerConfig     `mapstructure:"manager"`
	SecondPass      []string          `mapstructure:"second_pass"`
	Transforms      map[string]string `mapstructure:"transforms"`
}

type StateConfig struct {
	Path string `mapstructure:"path"`
}

type LogConfig struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

// defaults holds every scalar and list key with its default. viper ignores
// an environment override of a key it has no default for, so none is missing.
var defaults = map[string]any{
	"okta.org_url":                    "",
	"okta.auth":                       "token",
	"okta.token":                      "",
	"okta.client_id":                  "",
	"okta.private_key_file":           "",
	"okta.private_key_id":             "",
	"okta.scopes":                     oktaclient.DefaultScopes,
	"okta.groups":                     []string{},
	"okta.include_staged":             false,
	"okta.request_timeout":            30 * time.Second,
	"okta.max_retries":                4,
	"okta.max_rate_share":             0.5,
	"lms.kind":                        "lessonly",
	"lms.url":                         "https://api.lessonly.com",
	"lms.subdomain":                   "",
	"lms.api_key":                     "",
	"lms.send_welcome_email":          false,
	"lms.request_timeout":             30 * time.Second,
	"lms.max_retries":                 5,
	"lms.concurrency":                 4,
	"lms.requests_per_minute":         450,
	"lms.preset":                      "",
	"lms.company_id":                  "",
	"lms.auth":                        "",
	"lms.token":                       "",
	"lms.username":                    "",
	"lms.password":                    "",
	"lms.multi_valued":                []string{},
	"lms.schemas":                     []string{},
	"lms.client_id":                   "",
	"lms.client_secret":               "",
	"lms.scopes":                      []string{},
	"groups.sync":                     []string{},
	"groups.managers":                 "",
	"groups.exclusive":                false,
	"groups.archive_removed":          false,
	"mapping.manager.attribute":       "",
	"mapping.manager.id_attribute":    "",
	"mapping.manager.email_attribute": "",
	"mapping.second_pass":             []string{reconcile.FieldManagerEmail},
	"mapping.name":                    "{firstName} {lastName}",
	"mapping.hire_date_formats":       []string{"2006-01-02", "01/02/2006", "2006-01-02T15:04:05Z07:00"},
	"mapping.default_role":            "learner",
	"mapping.create_only":             []string{},
	"mapping.sanitize_names":          true,
	"mapping.max_value_length":        255,
	"safety.max_archives":             25,
	"safety.max_archive_percent":      10.0,
	"safety.max_shrink_percent":       20.0,
	"safety.archive_after_misses":     1,
	"safety.protected":                []string{},
	"safety.retry_budget":             300,
	"plan.max_age":                    24 * time.Hour,
	"state.path":                      "/var/lib/oktalms/oktalms.db",
	"schedule.times":                  []string{"0 6 * * *", "0 15 * * *"},
	"schedule.timezone":               "UTC",
	"schedule.catch_up":               true,
	"schedule.shutdown_timeout":       30 * time.Second,
	"admin.listen":                    "127.0.0.1:8787",
	"admin.token":                     "",
	"admin.unhealthy_after":           2,
	"notify.webhook_url":              "",
	"notify.always":                   false,
	"log.level":                       "info",
	"log.format":                      "text",
}

// defaultFieldMapping follows the vendors' own Okta mappings (location from
// costCenter, business unit from division). It applies only when the file has
// no mapping.fields at all: viper would otherwise merge a default map into
// the admin's, and a field they left out would still be synced.
var defaultFieldMapping = map[string]string{
	reconcile.FieldJobTitle:     "title",
	reconcile.FieldDepartment:   "department",
	reconcile.FieldBusinessUnit: "division",
	reconcile.FieldLocation:     "costCenter",
	reconcile.FieldHireDate:     "hireDate",
	reconcile.FieldManagerName:  "manager",
}

// caseSensitiveMaps are the maps whose keys are names in the LMS. viper
// lower-cases every key and splits it at each dot ("Dept. Code"), so they
// are kept from viper and read from the YAML as written.
var caseSensitiveMaps = [][2]string{{"mapping", "custom_fields"}, {"lms", "custom_field_ids"}, {"lms", "attributes"}, {"mapping", "transforms"}}

// envName is the environment variable that overrides a key: OKTALMS_OKTA_TOKEN.
func envName(key string) string {
	return "OKTALMS_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// loadConfig reads the YAML file (when path is not empty), then the
// OKTALMS_* environment, over the defaults, and validates the result.
func loadConfig(path string, getenv func(string) string) (Config, error) {
	v := viper.New()
	for key, value := range defaults {
		v.SetDefault(key, value)
	}
	var raw []byte
	if path != "" {
		var err error
		if raw, err = os.ReadFile(path); err != nil {
			return Config{}, fmt.Errorf("read the config file: %w", err)
		}
		forViper, err := withoutCaseSensitiveMaps(raw)
		if err != nil {
			return Config{}, fmt.Errorf("config file %s is not valid YAML: %w", path, err)
		}
		v.SetConfigType("yaml")
		if err := v.ReadConfig(bytes.NewReader(forViper)); err != nil {
			return Config{}, fmt.Errorf("config file %s is not valid YAML: %w", path, err)
		}
	}
	for key := range defaults {
		if val := getenv(envName(key)); val != "" {
			v.Set(key, val)
		}
	}
	var cfg Config
	err := v.UnmarshalExact(&cfg, viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(
		mapstructure.StringToTimeDurationHookFunc(),
		mapstructure.StringToSliceHookFunc(","),
	)))
	if err != nil {
		return Config{}, fmt.Errorf("config file %s: %w", path, explainDecodeError(err))
	}
	if !v.IsSet("mapping.fields") {
		cfg.Mapping.Fields = defaultFieldMapping
	}
	if err := restoreKeyCase(raw, &cfg); err != nil {
		return Config{}, fmt.Errorf("config file %s: %w", path, err)
	}
	return cfg, cfg.Validate()
}

var invalidKeys = regexp.MustCompile(`(?:'([^']*)' )?has invalid keys: ([^\n]+)`)

// explainDecodeError rewrites mapstructure's "'okta' has invalid keys: groupz"
// into words an admin acts on: a typo must never be silently ignored.
func explainDecodeError(err error) error {
	m := invalidKeys.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	var keys []string
	for _, k := range strings.Split(m[2], ",") {
		k = strings.TrimSpace(k)
		if m[1] != "" {
			k = m[1] + "." + k
		}
		keys = append(keys, k)
	}
	return fmt.Errorf("unknown key %s (see config.example.yaml for every key)", strings.Join(keys, ", "))
}

// withoutCaseSensitiveMaps returns the YAML document without the
// caseSensitiveMaps, for viper; restoreKeyCase reads them.
func withoutCaseSensitiveMaps(raw []byte) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	removed := false
	for _, path := range caseSensitiveMaps {
		if section, ok := doc[path[0]].(map[string]any); ok {
			if _, ok := section[path[1]]; ok {
				delete(section, path[1])
				removed = true
			}
		}
	}
	if !removed {
		return raw, nil
	}
	return yaml.Marshal(doc)
}

// restoreKeyCase replaces the lower-cased keys of the case-sensitive maps
// with the keys exactly as the YAML file writes them.
func restoreKeyCase(raw []byte, cfg *Config) error {
	if len(raw) == 0 {
		return nil
	}
	var doc map[string]map[string]yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return err
	}
	for _, path := range caseSensitiveMaps {
		node, ok := doc[path[0]][path[1]]
		if !ok {
			continue
		}
		key := path[0] + "." + path[1]
		switch key {
		case "mapping.custom_fields":
			cfg.Mapping.CustomFields = nil // Decode would merge into viper's lower-cased copy
			if err := node.Decode(&cfg.Mapping.CustomFields); err != nil {
				return fmt.Errorf("%s: want a map of LMS field name to Okta attribute: %w", key, err)
			}
		case "lms.attributes":
			cfg.LMS.Attributes = nil
			if err := node.Decode(&cfg.LMS.Attributes); err != nil {
				return fmt.Errorf("%s: want a map of field (or custom:<name>) to SCIM attribute path: %w", key, err)
			}
		case "mapping.transforms":
			cfg.Mapping.Transforms = nil
			if err := node.Decode(&cfg.Mapping.Transforms); err != nil {
				return fmt.Errorf("%s: want a map of field (or custom:<name>) to a transform: %w", key, err)
			}
		case "lms.custom_field_ids":
			cfg.LMS.CustomFieldIDs = nil
			if err := node.Decode(&cfg.LMS.CustomFieldIDs); err != nil {
				return fmt.Errorf("%s: want a map of LMS field name to its numeric id: %w", key, err)
			}
		}
	}
	return nil
}

// Validate reports the first error, naming its key.
func (c Config) Validate() error {
	oktaCfg, err := c.oktaClientConfig("")
	if err != nil {
		return err
	}
	if err := oktaCfg.Validate(); err != nil {
		return err
	}
	if err := c.validateLMS(); err != nil {
		return err
	}
	if c.Okta.MaxRateShare <= 0 || c.Okta.MaxRateShare > 1 {
		return errors.New("okta.max_rate_share: must be above 0 and at most 1 (1: no pacing)")
	}
	if c.LMS.Concurrency < 1 || c.LMS.Concurrency > 64 {
		return errors.New("lms.concurrency: must be between 1 and 64")
	}
	if c.LMS.RequestsPerMinute < 0 {
		return errors.New("lms.requests_per_minute: must be 0 (no pacing) or more")
	}
	for i, rule := range c.Mapping.Roles {
		if err := c.checkRole(fmt.Sprintf("mapping.roles[%d].role", i), rule.Role); err != nil {
			return err
		}
	}
	if c.LMS.Kind == kindSCIM && len(c.Mapping.Roles) > 0 {
		return errors.New("mapping.roles: a SCIM LMS has no roles; remove mapping.roles")
	}
	for i, key := range c.Mapping.SecondPass {
		if key != reconcile.FieldManagerEmail && !strings.HasPrefix(key, reconcile.CustomPrefix) {
			return fmt.Errorf("mapping.second_pass[%d]: %q is not manager_email or custom:<name>", i, key)
		}
	}
	for key, transform := range c.Mapping.Transforms {
		if transform != "content_region" {
			return fmt.Errorf("mapping.transforms.%s: %q is not a transform (content_region)", key, transform)
		}
	}
	for name, id := range c.LMS.CustomFieldIDs {
		if id <= 0 {
			return fmt.Errorf("lms.custom_field_ids.%s: %d is not a Lessonly field id", name, id)
		}
	}
	for key, d := range map[string]time.Duration{"okta.request_timeout": c.Okta.RequestTimeout, "lms.request_timeout": c.LMS.RequestTimeout} {
		if d <= 0 {
			return fmt.Errorf("%s: must be a positive duration such as 30s", key)
		}
	}
	if strings.TrimSpace(c.State.Path) == "" {
		return errors.New("state.path: missing (where the SQLite snapshot lives)")
	}
	if err := c.Safety.validate(); err != nil {
		return err
	}
	if err := c.validateCreateOnly(); err != nil {
		return err
	}
	if c.Plan.MaxAge <= 0 {
		return errors.New("plan.max_age: must be a positive duration such as 24h")
	}
	if err := c.Schedule.validate(); err != nil {
		return err
	}
	if err := c.Admin.validate(); err != nil {
		return err
	}
	if c.Notify.WebhookURL != "" {
		if err := checkURL("notify.webhook_url", c.Notify.WebhookURL); err != nil {
			return errors.New("notify.webhook_url: must be an https URL (http only on 127.0.0.1 and localhost)")
		}
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		return err
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return fmt.Errorf("log.format: %q is not text or json", c.Log.Format)
	}
	return nil
}

// oktaClientConfig reads the private key file, when OAuth is configured.
func (c Config) oktaClientConfig(userAgent string) (oktaclient.Config, error) {
	var key []byte
	if c.Okta.PrivateKeyFile != "" {
		var err error
		if key, err = os.ReadFile(c.Okta.PrivateKeyFile); err != nil {
			return oktaclient.Config{}, fmt.Errorf("okta.private_key_file: %w", err)
		}
	}
	roles := make([]oktaclient.RoleRule, len(c.Mapping.Roles))
	for i, r := range c.Mapping.Roles {
		roles[i] = oktaclient.RoleRule(r)
	}
	return oktaclient.Config{
		OrgURL: c.Okta.OrgURL, Auth: c.Okta.Auth, Token: c.Okta.Token, ClientID: c.Okta.ClientID,
		PrivateKeyPEM: key, PrivateKeyID: c.Okta.PrivateKeyID, Scopes: c.Okta.Scopes, Groups: c.Okta.Groups,
		Mapping:        c.mapping(),
		RequestTimeout: c.Okta.RequestTimeout, MaxRetries: c.Okta.MaxRetries, RetryBaseDelay: time.Second,
		UserAgent: userAgent, MaxRateShare: c.Okta.MaxRateShare, SyncGroups: c.Groups.Sync, ManagersGroup: c.Groups.Managers, Roles: roles,
		Manager: oktaclient.ManagerSource(c.Mapping.Manager),
	}, nil
}

// reconcileOptions are the fields the mapping manages: only those are compared.
func (c Config) reconcileOptions() reconcile.Options {
	fields, custom := c.mapping().FieldNames()
	return reconcile.Options{Fields: fields, CustomFields: custom, CreateOnly: c.Mapping.CreateOnly,
		ManageRole: len(c.Mapping.Roles) > 0 && !slices.Contains(c.Mapping.CreateOnly, reconcile.ChangeRole),
		SecondPass: c.Mapping.SecondPass,
		Groups:     reconcile.GroupOptions{Exclusive: c.Groups.Exclusive, ArchiveRemoved: c.Groups.ArchiveRemoved}}
}

func (c Config) mapping() oktaclient.Mapping {
	return oktaclient.Mapping{
		Name: c.Mapping.Name, Fields: c.Mapping.Fields, Custom: c.Mapping.CustomFields,
		HireDateFormats: c.Mapping.HireDateFormats, DefaultRole: c.Mapping.DefaultRole,
		IncludeStaged: c.Okta.IncludeStaged, RejectRestrictedNames: !c.Mapping.SanitizeNames,
		MaxValueLength: c.Mapping.MaxValueLength, Transforms: c.Mapping.Transforms,
	}
}

func (s SafetyConfig) validate() error {
	switch {
	case s.MaxArchives < 0:
		return errors.New("safety.max_archives: must be 0 (no cap) or more")
	case s.MaxArchivePercent < 0 || s.MaxArchivePercent > 100:
		return errors.New("safety.max_archive_percent: must be between 0 (no cap) and 100")
	case s.MaxShrinkPercent < 0 || s.MaxShrinkPercent > 100:
		return errors.New("safety.max_shrink_percent: must be between 0 (no cap) and 100")
	case s.ArchiveAfterMisses < 1:
		return errors.New("safety.archive_after_misses: must be 1 (archive at the first miss) or more")
	case s.RetryBudget < 0:
		return errors.New("safety.retry_budget: must be 0 (no budget) or more")
	}
	for i, p := range s.Protected {
		if _, err := path.Match(p, ""); err != nil || strings.TrimSpace(p) == "" {
			return fmt.Errorf("safety.protected[%d]: %q is not an email or a glob pattern such as *@board.example.com", i, p)
		}
	}
	return nil
}

func (s SafetyConfig) reconcile() reconcile.Safety {
	return reconcile.Safety{MaxArchives: s.MaxArchives, MaxArchivePercent: s.MaxArchivePercent,
		MaxShrinkPercent: s.MaxShrinkPercent, ArchiveAfterMisses: s.ArchiveAfterMisses, Protected: s.Protected}
}

// validateCreateOnly accepts mapped fields and mapped custom fields only.
func (c Config) validateCreateOnly() error {
	for i, key := range c.Mapping.CreateOnly {
		if name, ok := strings.CutPrefix(key, reconcile.CustomPrefix); ok {
			if _, mapped := c.Mapping.CustomFields[name]; mapped {
				continue
			}
		} else if _, mapped := c.Mapping.Fields[key]; mapped {
			continue
		}
		return fmt.Errorf("mapping.create_only[%d]: %q is not a mapped field (a key of mapping.fields, or custom:<name> of mapping.custom_fields)", i, key)
	}
	return nil
}

func (s ScheduleConfig) validate() error {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return fmt.Errorf("schedule.timezone: %q is not a time zone such as UTC or Europe/London", s.Timezone)
	}
	if _, err := oksync.ParseSchedule(s.Times, loc); err != nil {
		return err
	}
	if s.ShutdownTimeout <= 0 {
		return errors.New("schedule.shutdown_timeout: must be a positive duration such as 30s")
	}
	return nil
}

// location is the validated time zone of the schedule.
func (s ScheduleConfig) location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func (a AdminConfig) validate() error {
	if a.Listen == "" {
		return nil // no admin API
	}
	host, _, err := net.SplitHostPort(a.Listen)
	if err != nil {
		return fmt.Errorf("admin.listen: %q is not host:port such as 127.0.0.1:8787", a.Listen)
	}
	if !oktaclient.IsLoopback(host) && a.Token == "" {
		return fmt.Errorf("admin.token: required when admin.listen (%s) is reachable beyond this machine", a.Listen)
	}
	if a.UnhealthyAfter < 0 {
		return errors.New("admin.unhealthy_after: must be 0 (never) or more")
	}
	return nil
}

// checkURL is the rule for every URL oktalms sends a credential to.
var checkURL = oktaclient.CheckURL

// checkRole accepts the roles of lms.kind (SCIM has none: anything goes).
func (c Config) checkRole(key, role string) error {
	var roles []string
	switch c.LMS.Kind {
	case kindLessonly:
		roles = lms.LessonlyRoles
	case kindLearnAmp:
		roles = lms.LearnAmpRoles
	default:
		return nil
	}
	if !slices.Contains(roles, role) {
		return fmt.Errorf("%s: %q is not a %s role (%s)", key, role, c.LMS.lmsName(), strings.Join(roles, ", "))
	}
	return nil
}
