package lms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/oktalms/oktalms/reconcile"
	oksync "github.com/oktalms/oktalms/sync"
)

// LessonlyConfig is what the Lessonly (Seismic Learning) client needs.
type LessonlyConfig struct {
	// URL is the API host, https://api.lessonly.com; the client adds /api/v1 and /api/v1.1.
	URL       string
	Subdomain string
	APIKey    string
	// SendWelcomeEmail lets Lessonly email new accounts; off, accounts are created silently.
	SendWelcomeEmail bool
	// CustomFieldIDs maps custom field names to Lessonly ids. Fields without
	// an id here or in a listing are addressed by name.
	CustomFieldIDs map[string]int
	Timeout        time.Duration // per attempt
	Retry          RetryPolicy
	UserAgent      string
	HTTPClient     *http.Client
}

// Lessonly is the Lessonly API v1 client.
type Lessonly struct {
	api         *client
	welcome     bool
	customField map[string]int // name → id, configured or learned from listings
}

var (
	_ oksync.Target      = (*Lessonly)(nil)
	_ oksync.GroupTarget = (*Lessonly)(nil)
)

// listPageSize is the largest page Lessonly serves: fewest requests per listing.
const listPageSize = 1000

// NewLessonly builds the client.
func NewLessonly(cfg LessonlyConfig) (*Lessonly, error) {
	base, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("lms.url: %q is not a URL like https://api.lessonly.com", cfg.URL)
	}
	if cfg.Subdomain == "" {
		return nil, errors.New("lms.subdomain: missing (your Lessonly company subdomain, the API username)")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("lms.api_key: missing (set it in the config file or OKTALMS_LMS_API_KEY)")
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	fields := make(map[string]int, len(cfg.CustomFieldIDs))
	for name, id := range cfg.CustomFieldIDs {
		fields[name] = id
	}
	return &Lessonly{
		api: &client{
			http: httpClient, base: base, timeout: cfg.Timeout, retry: cfg.Retry, userAgent: cfg.UserAgent,
			authorize:    func(r *http.Request) { r.SetBasicAuth(cfg.Subdomain, cfg.APIKey) },
			errorMessage: lessonlyErrorMessage,
		},
		welcome:     cfg.SendWelcomeEmail,
		customField: fields,
	}, nil
}

// lessonlyErrorMessage reads {"type":"error","error":"…"}, or the body itself
// when it is short plain text.
func lessonlyErrorMessage(body []byte) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		if e.Error != "" {
			return e.Error
		}
		return e.Message
	}
	if s := strings.TrimSpace(string(body)); len(s) <= 200 {
		return s
	}
	return ""
}

// lessonlyUser is a user as Lessonly sends it. Most text fields may be null.
type lessonlyUser struct {
	ID           int                 `json:"id"`
	ExtUID       *string             `json:"ext_uid"`
	Email        string              `json:"email"`
	Name         string              `json:"name"`
	Role         string              `json:"role"`
	ArchivedAt   *string             `json:"archived_at"`
	JobTitle     *string             `json:"job_title"`
	BusinessUnit *string             `json:"business_unit"`
	Department   *string             `json:"department"`
	Location     *string             `json:"location"`
	Locale       *string             `json:"locale"`
	HireDate     *string             `json:"hire_date"`
	ManagerName  *string             `json:"manager_name"`
	CustomData   []lessonlyFieldData `json:"custom_user_field_data"`
}

type lessonlyFieldData struct {
	FieldID int             `json:"custom_user_field_id"`
	Name    string          `json:"name"`
	Value   json.RawMessage `json:"value"`
}

type lessonlyUserPage struct {
	TotalPages int            `json:"total_pages"`
	Page       int            `json:"page"`
	Users      []lessonlyUser `json:"users"`
}

// ListUsers reads every account, archived included, with their custom field
// data (API v1.1), and learns the ids of the custom fields it sees.
func (c *Lessonly) ListUsers(ctx context.Context) ([]reconcile.User, error) {
	var out []reconcile.User
	for page := 1; ; page++ {
		var p lessonlyUserPage
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(listPageSize)}}
		if err := c.api.do(ctx, http.MethodGet, "/api/v1.1/users", q, nil, &p); err != nil {
			return nil, fmt.Errorf("list Lessonly users, page %d: %w", page, err)
		}
		for _, lu := range p.Users {
			out = append(out, c.canonical(lu))
		}
		if page >= p.TotalPages || len(p.Users) == 0 {
			return out, nil
		}
	}
}

func (c *Lessonly) canonical(lu lessonlyUser) reconcile.User {
	u := reconcile.User{
		LMSID:  strconv.Itoa(lu.ID),
		ExtUID: deref(lu.ExtUID),
		Email:  lu.Email,
		Name:   norm.NFC.String(lu.Name),
		Role:   lu.Role,
		Active: lu.ArchivedAt == nil || *lu.ArchivedAt == "",
		Fields: map[string]string{},
		Custom: map[string]string{},
	}
	for key, v := range map[string]*string{
		reconcile.FieldJobTitle: lu.JobTitle, reconcile.FieldBusinessUnit: lu.BusinessUnit,
		reconcile.FieldDepartment: lu.Department, reconcile.FieldLocation: lu.Location,
		reconcile.FieldLocale: lu.Locale, reconcile.FieldHireDate: lu.HireDate,
		reconcile.FieldManagerName: lu.ManagerName,
	} {
		if s := norm.NFC.String(deref(v)); s != "" {
			u.Fields[key] = s
		}
	}
	c.learnCustomFields(lu.CustomData)
	for _, d := range lu.CustomData {
		if s := rawText(d.Value); d.Name != "" && s != "" {
			u.Custom[d.Name] = norm.NFC.String(s)
		}
	}
	return u
}

// learnCustomFields remembers the id of every custom field named in the
// data, so later writes address fields by id, never by a name that could
// create a new one.
func (c *Lessonly) learnCustomFields(data []lessonlyFieldData) {
	for _, d := range data {
		if d.Name != "" {
			c.customField[d.Name] = d.FieldID
		}
	}
}

// rawText reads a custom field value, which Lessonly may send as a string,
// a number or a boolean.
func rawText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	if string(v) == "null" {
		return ""
	}
	return string(v)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (c *Lessonly) archive(ctx context.Context, op reconcile.Op) error {
	return c.put(ctx, op, "/archive", nil)
}

func (c *Lessonly) update(ctx context.Context, op reconcile.Op, restore bool) error {
	if restore {
		if err := c.put(ctx, op, "/restore", nil); err != nil {
			return err
		}
	}
	if len(op.Changes) == 0 {
		return nil
	}
	return c.put(ctx, op, "", c.changedFields(op))
}

func (c *Lessonly) create(ctx context.Context, op reconcile.Op) (string, error) {
	body := c.changedFields(op)
	body["ext_uid"] = op.OktaID
	body["role"] = op.Record.Role
	body["notify"] = strconv.FormatBool(c.welcome) // Lessonly wants the string "false"
	var created struct {
		ID int `json:"id"`
	}
	if err := c.api.do(ctx, http.MethodPost, "/api/v1/users", nil, body, &created); err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.Status < 500 && strings.Contains(strings.ToLower(apiErr.Message), "already been taken") {
			return "", fmt.Errorf("%w: %w", ErrTaken, err)
		}
		return "", err
	}
	if created.ID == 0 {
		return "", errors.New("POST /api/v1/users: the answer carries no user id")
	}
	return strconv.Itoa(created.ID), nil
}

func (c *Lessonly) put(ctx context.Context, op reconcile.Op, suffix string, body map[string]any) error {
	if op.LMSID == "" {
		return errors.New("no LMS id to address")
	}
	return c.api.do(ctx, http.MethodPut, "/api/v1/users/"+url.PathEscape(op.LMSID)+suffix, nil, body, nil)
}

// changedFields is the request body carrying only the op's changes, valued
// from the record: a partial update never resends what did not change.
func (c *Lessonly) changedFields(op reconcile.Op) map[string]any {
	body := map[string]any{}
	var custom []map[string]any
	for _, ch := range op.Changes {
		switch key := ch.Field; {
		case key == reconcile.ChangeEmail:
			body["email"] = op.Record.Email
		case key == reconcile.ChangeName:
			body["name"] = op.Record.Name
		case key == reconcile.ChangeExtUID:
			body["ext_uid"] = op.OktaID
		case key == reconcile.ChangeRole:
			body["role"] = op.Record.Role
		case strings.HasPrefix(key, reconcile.CustomPrefix):
			name := strings.TrimPrefix(key, reconcile.CustomPrefix)
			entry := map[string]any{"value": op.Record.Custom[name]}
			if id, ok := c.customField[name]; ok {
				entry["custom_user_field_id"] = id
			} else {
				entry["name"] = name
			}
			custom = append(custom, entry)
		default:
			body[key] = op.Record.Fields[key]
		}
	}
	if custom != nil {
		body["custom_user_fields"] = custom
	}
	return body
}

// LessonlyFields are the canonical fields Lessonly holds.
var LessonlyFields = []string{
	reconcile.FieldJobTitle, reconcile.FieldDepartment, reconcile.FieldBusinessUnit, reconcile.FieldLocation,
	reconcile.FieldHireDate, reconcile.FieldManagerName, reconcile.FieldLocale,
}

// LessonlyRoles are the roles a Lessonly account may have.
var LessonlyRoles = []string{"learner", "creator", "manager", "admin"}
