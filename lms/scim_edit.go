package lms

import (
	"context"
	"net/http"
	"strings"
	"sync"
)

// scimOp is one operation of a PATCH request (RFC 7644 §3.5.2).
type scimOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// scimEdit is one change to a resource in both of SCIM's ways: as a PATCH
// operation, and as the same change made to the resource itself, to be PUT
// back whole when the service has no PATCH.
type scimEdit struct {
	op   scimOp
	edit func(r map[string]any)
}

// modify applies the edits to the resource at path: one PATCH when the
// service supports it, else a GET, the edits, and a PUT of the result.
func (c *SCIM) modify(ctx context.Context, path string, edits []scimEdit) error {
	if len(edits) == 0 {
		return nil
	}
	patch, err := c.patchSupported(ctx)
	if err != nil {
		return err
	}
	if patch {
		body := struct {
			Schemas    []string `json:"schemas"`
			Operations []scimOp `json:"Operations"`
		}{Schemas: []string{scimPatchSchema}}
		for _, e := range edits {
			body.Operations = append(body.Operations, e.op)
		}
		return c.api.do(ctx, http.MethodPatch, path, nil, body, nil)
	}
	// Ops sent at once on one resource (members added to one group by
	// concurrent workers) would each PUT back what it read, the later
	// undoing the earlier: each read-modify-write of a resource has it alone.
	defer c.lockResource(path)()
	var r map[string]any
	if err := c.api.do(ctx, http.MethodGet, path, nil, nil, &r); err != nil {
		return err
	}
	for _, e := range edits {
		e.edit(r)
	}
	return c.api.do(ctx, http.MethodPut, path, nil, r, nil)
}

// lockResource takes the lock of the resource at path and returns its release.
func (c *SCIM) lockResource(path string) (unlock func()) {
	c.mu.Lock()
	l, ok := c.resources[path]
	if !ok {
		l = &sync.Mutex{}
		c.resources[path] = l
	}
	c.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// scimReplace is the edit setting values by attribute path. As a PATCH it is
// one "replace" without a path, its value the attributes nested as in the
// resource: the form Okta itself sends, so services built for Okta take it,
// and one where sub-attributes not named are left as they are.
func scimReplace(set map[string]any) scimEdit {
	value := map[string]any{}
	for path, v := range set {
		scimSetPath(value, path, v)
	}
	return scimEdit{
		op: scimOp{Op: "replace", Value: value},
		edit: func(r map[string]any) {
			for path, v := range set {
				scimSetPath(r, path, v)
			}
		},
	}
}

// patchSupported reads the service's /ServiceProviderConfig once. A
// service that does not serve it is taken to support PATCH, which RFC 7644
// requires of every service anyway.
func (c *SCIM) patchSupported(ctx context.Context) (bool, error) {
	return c.discover(&c.patch, func() (bool, error) {
		var spc struct {
			Patch struct {
				Supported *bool `json:"supported"`
			} `json:"patch"`
		}
		err := c.api.do(ctx, http.MethodGet, "/ServiceProviderConfig", nil, nil, &spc)
		switch {
		case scimNotServed(err):
			return true, nil
		case err != nil:
			return false, err
		}
		return spc.Patch.Supported == nil || *spc.Patch.Supported, nil
	})
}

// groupsServed reads the service's /ResourceTypes once: SCIM says there
// which resources a service serves (its ServiceProviderConfig has no word
// on groups). A service that does not serve /ResourceTypes is given the
// benefit of the doubt.
func (c *SCIM) groupsServed(ctx context.Context) error {
	ok, err := c.discover(&c.groups, func() (bool, error) {
		var types scimList
		err := c.api.do(ctx, http.MethodGet, "/ResourceTypes", nil, nil, &types)
		switch {
		case scimNotServed(err):
			return true, nil
		case err != nil:
			return false, err
		}
		for _, t := range types.Resources {
			if strings.EqualFold(scimText(scimLookup(t, "name")), "Group") || strings.EqualFold(scimText(scimLookup(t, "endpoint")), "/Groups") {
				return true, nil
			}
		}
		return false, nil
	})
	if err == nil && !ok {
		return ErrGroupsUnsupported
	}
	return err
}

// discover returns *slot, reading it first if it was never read. A failed
// read is not remembered: the next call tries again.
func (c *SCIM) discover(slot **bool, read func() (bool, error)) (bool, error) {
	c.mu.Lock()
	known := *slot
	c.mu.Unlock()
	if known != nil {
		return *known, nil
	}
	v, err := read()
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	*slot = &v
	c.mu.Unlock()
	return v, nil
}
