package oktatest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oktalms/oktalms/oktaclient/oktatest"
)

const testClient = "0oaTestServiceApp001"

// signJWT makes a compact JWS of claims with an RS256 or ES256 key.
func signJWT(t *testing.T, key crypto.Signer, kid string, claims map[string]any) string {
	t.Helper()
	header := map[string]string{"alg": "RS256"}
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		header["alg"] = "ES256"
	}
	if kid != "" {
		header["kid"] = kid
	}
	seg := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := seg(header) + "." + seg(claims)
	digest := sha256.Sum256([]byte(signed))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:]); err != nil {
			t.Fatal(err)
		}
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestTokenEndpointChecksAssertions(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	claims := func(aud string, edit func(map[string]any)) map[string]any {
		c := map[string]any{"iss": testClient, "sub": testClient, "aud": aud + "/oauth2/v1/token",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	tests := []struct {
		name       string
		configure  func(*oktatest.Server)
		key        crypto.Signer
		edit       func(map[string]any)
		assertion  string // overrides the signed one
		inQuery    bool   // send the parameters as the SDK does, in the URL
		noType     bool
		scope      string
		wantStatus int
		wantError  string
	}{
		{name: "RS256 in the form body", key: rsaKey, wantStatus: 200},
		{name: "RS256 in the query", key: rsaKey, inQuery: true, wantStatus: 200},
		{name: "ES256", key: ecKey, configure: func(s *oktatest.Server) { s.ClientKey = &ecKey.PublicKey }, wantStatus: 200},
		{name: "aud as a list", key: rsaKey, edit: func(c map[string]any) { c["aud"] = []any{c["aud"]} }, wantStatus: 200},
		{name: "no key configured: any signature", key: ecKey, configure: func(s *oktatest.Server) { s.ClientKey = nil }, wantStatus: 200},
		{name: "other client", key: rsaKey, edit: func(c map[string]any) { c["iss"], c["sub"] = "0oaOther", "0oaOther" },
			wantStatus: 401, wantError: "invalid_client"},
		{name: "sub differs from iss", key: rsaKey, edit: func(c map[string]any) { c["sub"] = "someone" },
			wantStatus: 401, wantError: "invalid_client"},
		{name: "wrong audience", key: rsaKey, edit: func(c map[string]any) { c["aud"] = "https://acme.okta.com/oauth2/v1/token" },
			wantStatus: 401, wantError: "invalid_client"},
		{name: "expired", key: rsaKey, edit: func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() },
			wantStatus: 401, wantError: "invalid_client"},
		{name: "no exp", key: rsaKey, edit: func(c map[string]any) { delete(c, "exp") },
			wantStatus: 401, wantError: "invalid_client"},
		{name: "signed by another key", key: ecKey, wantStatus: 401, wantError: "invalid_client"},
		{name: "not a JWT", assertion: "any.signed.jwt", wantStatus: 400, wantError: "invalid_client"},
		{name: "no assertion type", key: rsaKey, noType: true, wantStatus: 400, wantError: "invalid_request"},
		{name: "scope not granted", key: rsaKey, scope: "okta.users.manage",
			configure:  func(s *oktatest.Server) { s.GrantedScopes = []string{"okta.users.read", "okta.groups.read"} },
			wantStatus: 400, wantError: "invalid_scope"},
		{name: "DPoP required", key: rsaKey, configure: func(s *oktatest.Server) { s.RequireDPoP = true },
			wantStatus: 400, wantError: "invalid_dpop_proof"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oktatest.NewServer()
			defer srv.Close()
			srv.ClientID, srv.ClientKey = testClient, &rsaKey.PublicKey
			if tt.configure != nil {
				tt.configure(srv)
			}
			assertion := tt.assertion
			if assertion == "" {
				assertion = signJWT(t, tt.key, "kid1", claims(srv.URL, tt.edit))
			}
			form := url.Values{
				"grant_type":       {"client_credentials"},
				"client_assertion": {assertion},
				"scope":            {"okta.users.read okta.groups.read"},
			}
			if !tt.noType {
				form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
			}
			if tt.scope != "" {
				form.Set("scope", tt.scope)
			}
			target, body := srv.URL+"/oauth2/v1/token", form.Encode()
			if tt.inQuery {
				target, body = target+"?"+body, ""
			}
			resp, err := http.Post(target, "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct {
				AccessToken string `json:"access_token"`
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || got.Error != tt.wantError {
				t.Fatalf("status %d, error %q (%s); want %d %q", resp.StatusCode, got.Error, got.Description, tt.wantStatus, tt.wantError)
			}
			if tt.wantError != "" && got.Description == "" {
				t.Error("a refusal without error_description")
			}
			grants := srv.Grants()
			if len(grants) != 1 || grants[0].Error != tt.wantError {
				t.Fatalf("grants = %+v", grants)
			}
			if tt.wantStatus != 200 {
				return
			}
			if grants[0].ClientID != testClient || grants[0].KeyID != "kid1" ||
				!reflect.DeepEqual(grants[0].Scopes, []string{"okta.users.read", "okta.groups.read"}) {
				t.Errorf("grant = %+v", grants[0])
			}
			if resp, _ := get(t, srv, "/api/v1/groups", "Bearer "+got.AccessToken); resp.StatusCode != 200 {
				t.Errorf("the issued token is refused: %d", resp.StatusCode)
			}
		})
	}
}
