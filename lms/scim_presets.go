package lms

import (
	"net/url"
	"strings"

	"github.com/oktalms/oktalms/reconcile"
)

// LearnerblySchema is Learnerbly's User extension.
const LearnerblySchema = "urn:learnerbly:params:scim:schemas:2.0:User"

// DefaultSCIMAttributes maps the canonical fields that SCIM has a standard
// attribute for: the job title, the enterprise extension's department,
// division (the business unit) and manager (by the manager's email), and
// the locale. Location, hire date and manager name have none (the
// enterprise manager's displayName is read-only), nor have the enterprise
// organization, costCenter and employeeNumber a canonical field: map such
// a field, or a custom field, to the attribute the LMS documents. Each call
// returns a new map, the caller's to change.
func DefaultSCIMAttributes() map[string]string {
	return map[string]string{
		reconcile.FieldJobTitle:     "title",
		reconcile.FieldDepartment:   EnterpriseUserSchema + ":department",
		reconcile.FieldBusinessUnit: EnterpriseUserSchema + ":division",
		reconcile.FieldLocale:       "locale",
		reconcile.FieldManagerEmail: EnterpriseUserSchema + ":manager",
	}
}

// LearnerblyPreset is Learnerbly's service: the API key from Learnerbly
// (Admin → Settings → API) sent as "Authorization: Static <key>", the
// locale, and Learnerbly's extension as custom fields: custom:approvers (the
// approvers' emails, "a@x.com, b@x.com", sent as a list), custom:contentRegion
// (a country code, which Learnerbly folds into a content region: send
// oktaclient.ContentRegion's fold, so that what it stores is what was sent)
// and custom:customField1 to custom:customField3. BaseURL and Token are left
// to the admin.
func LearnerblyPreset() SCIMConfig {
	attrs := map[string]string{reconcile.FieldLocale: "locale"}
	for _, name := range []string{"approvers", "contentRegion", "customField1", "customField2", "customField3"} {
		attrs[reconcile.CustomPrefix+name] = LearnerblySchema + ":" + name
	}
	return SCIMConfig{
		Auth:        SCIMAuthStatic,
		Attributes:  attrs,
		MultiValued: []string{LearnerblySchema + ":approvers"},
		Schemas:     []string{LearnerblySchema},
	}
}

// EasyLlamaPreset is EasyLlama's service for one company: base
// host/scim/v2/<company id> (the organization id EasyLlama's customer
// success team gives), a bearer token, and the name and email only, which
// is all EasyLlama documents.
func EasyLlamaPreset(host, companyID string) SCIMConfig {
	return SCIMConfig{
		BaseURL:    strings.TrimRight(host, "/") + "/scim/v2/" + url.PathEscape(companyID),
		Auth:       SCIMAuthBearer,
		Attributes: map[string]string{},
	}
}

// LearnAmpSCIMPreset is Learn Amp's SCIM service: a bearer token from Learn
// Amp, the job title, the department (which Learn Amp makes the person's
// team) and the manager, by email, in the enterprise extension. Learn Amp
// also takes a hire date, a time zone and custom fields, at attributes it
// configures per customer: add them to Attributes as Learn Amp names them.
// BaseURL and Token are left to the admin.
func LearnAmpSCIMPreset() SCIMConfig {
	return SCIMConfig{
		Auth: SCIMAuthBearer,
		Attributes: map[string]string{
			reconcile.FieldJobTitle:     "title",
			reconcile.FieldDepartment:   EnterpriseUserSchema + ":department",
			reconcile.FieldManagerEmail: EnterpriseUserSchema + ":manager",
		},
		Schemas: []string{EnterpriseUserSchema},
	}
}
