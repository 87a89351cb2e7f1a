package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const examplePath = "../../config.example.yaml"

// requiredEnv fills the keys the example leaves empty on purpose.
var requiredEnv = map[string]string{
	"OKTALMS_OKTA_ORG_URL": "https://acme.okta.com", "OKTALMS_OKTA_TOKEN": "t",
	"OKTALMS_OKTA_GROUPS": "LMS Learners,Contractors", "OKTALMS_LMS_SUBDOMAIN": "acme", "OKTALMS_LMS_API_KEY": "k",
}

func TestExampleConfigDocumentsEveryKey(t *testing.T) {
	raw, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for key, v := range m {
			documented[prefix+key] = true
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+key+".", sub)
			}
		}
	}
	walk("", doc)
	for key := range defaults {
		if !documented[key] {
			t.Errorf("config.example.yaml does not document %s", key)
		}
	}
	for _, key := range []string{"mapping.fields", "mapping.custom_fields", "lms.custom_field_ids"} {
		if !documented[key] {
			t.Errorf("config.example.yaml does not document %s", key)
		}
	}
}

func TestExampleConfigLoadsWithTheDocumentedDefaults(t *testing.T) {
	cfg, err := loadConfig(examplePath, func(k string) string { return requiredEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Mapping.Fields, defaultFieldMapping) {
		t.Errorf("example mapping.fields = %v, want the built-in default %v", cfg.Mapping.Fields, defaultFieldMapping)
	}
	if want := []string{"LMS Learners", "Contractors"}; !reflect.DeepEqual(cfg.Okta.Groups, want) {
		t.Errorf("groups from the environment = %q, want %q", cfg.Okta.Groups, want)
	}
	if cfg.LMS.RequestTimeout != 30*time.Second || cfg.State.Path != "/var/lib/oktalms/oktalms.db" {
		t.Errorf("defaults not applied: %+v", cfg)
	}
}

func TestConfigKeepsLMSNamesAsWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	body := "mapping:\n  fields:\n    job_title: title\n  custom_fields:\n    Employee ID: employeeNumber\n    Cost Centre: costCenter\n" +
		"    Dept. Code: deptCode\n    urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter: costCenter\n" +
		"lms:\n  custom_field_ids:\n    Employee ID: 12\n    Dept. Code: 13\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path, func(k string) string { return requiredEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"Employee ID": "employeeNumber", "Cost Centre": "costCenter", "Dept. Code": "deptCode",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter": "costCenter"}; !reflect.DeepEqual(cfg.Mapping.CustomFields, want) {
		t.Errorf("custom_fields = %v, want %v", cfg.Mapping.CustomFields, want)
	}
	if want := map[string]int{"Employee ID": 12, "Dept. Code": 13}; !reflect.DeepEqual(cfg.LMS.CustomFieldIDs, want) {
		t.Errorf("custom_field_ids = %v, want %v", cfg.LMS.CustomFieldIDs, want)
	}
	if want := map[string]string{"job_title": "title"}; !reflect.DeepEqual(cfg.Mapping.Fields, want) {
		t.Errorf("fields = %v, want only what the file maps, %v", cfg.Mapping.Fields, want)
	}
}
