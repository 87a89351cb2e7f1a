package lms

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
)

// CheckAccess makes the smallest read the API allows: it proves the URL
// answers and the credentials are accepted, changing nothing.
func (c *Lessonly) CheckAccess(ctx context.Context) error {
	var page lessonlyUserPage
	return c.api.do(ctx, http.MethodGet, "/api/v1/users", url.Values{"per_page": {"1"}}, nil, &page)
}

// MissingCustomFields returns the names, among names, that Lessonly does
// not know, and every field name it does know. Lessonly has no endpoint
// listing its custom fields, so they are learned from the accounts' custom
// field data, page by page, stopping as soon as every name is found. A name
// given an id in lms.custom_field_ids counts as known.
func (c *Lessonly) MissingCustomFields(ctx context.Context, names []string) (missing, known []string, err error) {
	unknown := func() []string {
		var out []string
		for _, n := range names {
			if _, ok := c.customField[n]; !ok {
				out = append(out, n)
			}
		}
		return out
	}
	for page := 1; len(unknown()) > 0; page++ {
		var p lessonlyUserPage
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(listPageSize)}}
		if err := c.api.do(ctx, http.MethodGet, "/api/v1.1/users", q, nil, &p); err != nil {
			return nil, nil, err
		}
		for _, lu := range p.Users {
			c.learnCustomFields(lu.CustomData)
		}
		if page >= p.TotalPages {
			break
		}
	}
	for name := range c.customField {
		known = append(known, name)
	}
	sort.Strings(known)
	return unknown(), known, nil
}

// Unauthorized reports whether err is the API refusing the credentials.
func Unauthorized(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized
}

// Transient reports whether err may pass by itself: a rate limit or a 5xx
// that outlasted the retries.
func Transient(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Retryable()
}
