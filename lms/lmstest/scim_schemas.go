package lmstest

import (
	"maps"
	"slices"
	"strings"
)

// scimAttrDef is an attribute of a schema, as /Schemas describes it.
type scimAttrDef struct {
	name     string
	multi    bool
	required bool
	subs     []string
}

func scimCoreUserAttributes() []scimAttrDef {
	return []scimAttrDef{
		{name: "userName", required: true},
		{name: "name", subs: []string{"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"}},
		{name: "displayName"}, {name: "nickName"}, {name: "profileUrl"}, {name: "title"}, {name: "userType"},
		{name: "preferredLanguage"}, {name: "locale"}, {name: "timezone"}, {name: "active"},
		{name: "emails", multi: true, subs: []string{"value", "display", "type", "primary"}},
		{name: "phoneNumbers", multi: true, subs: []string{"value", "display", "type", "primary"}},
		{name: "addresses", multi: true, subs: []string{"formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"}},
		{name: "groups", multi: true, subs: []string{"value", "$ref", "display", "type"}},
	}
}

func scimEnterpriseAttributes() []scimAttrDef {
	return []scimAttrDef{
		{name: "employeeNumber"}, {name: "costCenter"}, {name: "organization"}, {name: "division"}, {name: "department"},
		{name: "manager", subs: []string{"value", "$ref", "displayName"}},
	}
}

func scimGroupAttributes() []scimAttrDef {
	return []scimAttrDef{
		{name: "displayName", required: true},
		{name: "members", multi: true, subs: []string{"value", "$ref", "display", "type"}},
	}
}

// scimExtensionAttributes reads SCIMOptions.ExtensionSchemas' names.
func scimExtensionAttributes(names []string) []scimAttrDef {
	attrs := make([]scimAttrDef, len(names))
	for i, n := range names {
		name, multi := strings.CutSuffix(n, "[]")
		attrs[i] = scimAttrDef{name: name, multi: multi}
	}
	return attrs
}

func scimAttrJSON(a scimAttrDef) map[string]any {
	typ := "string"
	switch {
	case len(a.subs) > 0:
		typ = "complex"
	case a.name == "active" || a.name == "primary":
		typ = "boolean"
	}
	mutability, uniqueness := "readWrite", "none"
	switch a.name {
	case "groups":
		mutability = "readOnly" // membership is changed through the group
	case "userName":
		uniqueness = "server"
	}
	m := map[string]any{"name": a.name, "type": typ, "multiValued": a.multi, "required": a.required,
		"caseExact": false, "mutability": mutability, "returned": "default", "uniqueness": uniqueness}
	if len(a.subs) > 0 {
		subs := make([]any, len(a.subs))
		for i, s := range a.subs {
			subs[i] = scimAttrJSON(scimAttrDef{name: s})
		}
		m["subAttributes"] = subs
	}
	return m
}

// discoveryLocked answers /ServiceProviderConfig, /ResourceTypes and
// /Schemas (RFC 7644 §4, RFC 7643 §5–7).
func (f *SCIM) discoveryLocked(path string) any {
	extensions := slices.Sorted(maps.Keys(f.opts.ExtensionSchemas))
	switch path {
	case "/ServiceProviderConfig":
		scheme := map[string]any{"type": "oauthbearertoken", "name": "OAuth Bearer Token",
			"description": "Authorization: Bearer <token>", "primary": true}
		switch f.opts.Auth {
		case "basic":
			scheme = map[string]any{"type": "httpbasic", "name": "HTTP Basic",
				"description": "A user name and password", "primary": true}
		case "static":
			scheme["name"], scheme["description"] = "Static token", "Authorization: Static <token>"
		}
		return map[string]any{
			"schemas":               []string{scimConfigSchema},
			"patch":                 map[string]any{"supported": f.opts.PatchSupported},
			"bulk":                  map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
			"filter":                map[string]any{"supported": true, "maxResults": scimMaxResults},
			"changePassword":        map[string]any{"supported": false},
			"sort":                  map[string]any{"supported": false},
			"etag":                  map[string]any{"supported": false},
			"authenticationSchemes": []any{scheme},
			"meta":                  map[string]any{"resourceType": "ServiceProviderConfig", "location": f.URL + "/ServiceProviderConfig"},
		}
	case "/ResourceTypes":
		userExtensions := []any{map[string]any{"schema": scimEnterpriseSchema, "required": false}}
		for _, urn := range extensions {
			userExtensions = append(userExtensions, map[string]any{"schema": urn, "required": false})
		}
		types := []any{scimResourceType(f.URL, "User", scimUserSchema, userExtensions)}
		if !f.opts.NoGroups {
			types = append(types, scimResourceType(f.URL, "Group", scimGroupSchema, []any{}))
		}
		return scimList(types)
	}
	schemas := []any{
		scimSchema(f.URL, scimUserSchema, "User", scimCoreUserAttributes()),
		scimSchema(f.URL, scimEnterpriseSchema, "EnterpriseUser", scimEnterpriseAttributes()),
	}
	for _, urn := range extensions {
		schemas = append(schemas, scimSchema(f.URL, urn, urn[strings.LastIndex(urn, ":")+1:], scimExtensionAttributes(f.opts.ExtensionSchemas[urn])))
	}
	if !f.opts.NoGroups {
		schemas = append(schemas, scimSchema(f.URL, scimGroupSchema, "Group", scimGroupAttributes()))
	}
	return scimList(schemas)
}

func scimResourceType(base, name, schema string, extensions []any) map[string]any {
	return map[string]any{"schemas": []string{scimTypeSchema}, "id": name, "name": name, "endpoint": "/" + name + "s",
		"schema": schema, "schemaExtensions": extensions,
		"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/" + name}}
}

func scimSchema(base, id, name string, attrs []scimAttrDef) map[string]any {
	list := make([]any, len(attrs))
	for i, a := range attrs {
		list[i] = scimAttrJSON(a)
	}
	return map[string]any{"schemas": []string{scimSchemaSchema}, "id": id, "name": name, "attributes": list,
		"meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + id}}
}

func scimList(resources []any) map[string]any {
	return map[string]any{"schemas": []string{scimListSchema}, "totalResults": len(resources),
		"startIndex": 1, "itemsPerPage": len(resources), "Resources": resources}
}
