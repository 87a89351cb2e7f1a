package oktaclient_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oktalms/oktalms/oktaclient"
	"github.com/oktalms/oktalms/oktaclient/oktatest"
)

const clientID = "0oa1servicEapp2TesT7"

// keys are generated once per test binary: RSA generation is slow.
var keys = sync.OnceValue(func() (k struct {
	rsa, otherRSA, rsa1024 *rsa.PrivateKey
	ec, ec224              *ecdsa.PrivateKey
	ed                     ed25519.PrivateKey
}) {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	var err error
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.otherRSA, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsa1024, err = rsa.GenerateKey(rand.Reader, 1024)
	must(err)
	k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.ec224, err = ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return k
})

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf("PRIVATE KEY", der)
}

func pkcs1(key *rsa.PrivateKey) []byte {
	return pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
}

func sec1(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf("EC PRIVATE KEY", der)
}

func publicPEM(t *testing.T, key crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf("PUBLIC KEY", der)
}

// oauthServer is a fake org with a service app whose public key is pub, and
// 450 members in "Everyone": three pages of 200.
func oauthServer(pub crypto.PublicKey) *oktatest.Server {
	srv := oktatest.NewServer()
	srv.Token = "an-api-token-the-client-does-not-know"
	srv.ClientID = clientID
	srv.ClientKey = pub
	g := srv.AddGroup("Everyone")
	srv.GenerateUsers(450, []string{g})
	return srv
}

func oauthConfig(srv *oktatest.Server, keyPEM []byte) oktaclient.Config {
	return oktaclient.Config{
		OrgURL: srv.URL, Auth: "oauth", ClientID: clientID, PrivateKeyPEM: keyPEM,
		Groups: []string{"Everyone"}, Mapping: testMapping(),
		RequestTimeout: 5 * time.Second, MaxRetries: 2, RetryBaseDelay: time.Millisecond, UserAgent: "oktalms/test",
	}
}

// secrets are the strings that must never appear in an error: every line of
// the key's base64 body, any access token the fake issued, any client
// assertion (a JWT: its header starts "eyJ").
func secrets(keyPEM []byte) []string {
	out := []string{"oktatest-access-token", "eyJ", "client_assertion="}
	for line := range strings.Lines(string(keyPEM)) {
		if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	return out
}

func assertNoSecrets(t *testing.T, err error, secrets []string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains secret material %q", err, s)
		}
	}
}

func countPath(srv *oktatest.Server, pred func(oktatest.Request) bool) (n int, reqs []oktatest.Request) {
	for _, r := range srv.Requests() {
		if pred(r) {
			n++
			reqs = append(reqs, r)
		}
	}
	return n, reqs
}

func isToken(r oktatest.Request) bool { return r.Path == "/oauth2/v1/token" }

func TestOAuthPullsEndToEnd(t *testing.T) {
	k := keys()
	tests := []struct {
		name      string
		keyPEM    []byte
		pub       crypto.PublicKey
		kid       string
		scopes    []string
		wantAlg   string
		wantScope []string
	}{
		{name: "PKCS#8 RSA", keyPEM: pkcs8(t, k.rsa), pub: &k.rsa.PublicKey,
			wantAlg: "RS256", wantScope: []string{"okta.users.read", "okta.groups.read"}},
		{name: "PKCS#1 RSA with kid and scopes", keyPEM: pkcs1(k.rsa), pub: &k.rsa.PublicKey, kid: "kid-from-okta",
			scopes:  []string{"okta.users.read", "okta.groups.read", "okta.apps.read"},
			wantAlg: "RS256", wantScope: []string{"okta.users.read", "okta.groups.read", "okta.apps.read"}},
		{name: "PKCS#8 EC P-256", keyPEM: pkcs8(t, k.ec), pub: &k.ec.PublicKey,
			wantAlg: "ES256", wantScope: []string{"okta.users.read", "okta.groups.read"}},
		{name: "SEC 1 EC P-256, scopes in one string", keyPEM: sec1(t, k.ec), pub: &k.ec.PublicKey,
			scopes:  []string{"okta.users.read okta.groups.read"},
			wantAlg: "ES256", wantScope: []string{"okta.users.read", "okta.groups.read"}},
		{name: "PKCS#8 RSA after text, before a public key", pub: &k.rsa.PublicKey,
			keyPEM:  slices.Concat([]byte("Bag Attributes\n  friendlyName: okta\n"), pkcs8(t, k.rsa), publicPEM(t, &k.rsa.PublicKey)),
			wantAlg: "RS256", wantScope: []string{"okta.users.read", "okta.groups.read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oauthServer(tt.pub)
			defer srv.Close()
			cfg := oauthConfig(srv, tt.keyPEM)
			cfg.PrivateKeyID, cfg.Scopes = tt.kid, tt.scopes
			c, err := oktaclient.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}

			for pull := 1; pull <= 2; pull++ {
				state, err := c.Pull(context.Background())
				if err != nil {
					t.Fatalf("pull %d: %v", pull, err)
				}
				if len(state.Users) != 450 {
					t.Fatalf("pull %d: got %d users, want 450", pull, len(state.Users))
				}
			}

			pages, _ := countPath(srv, func(r oktatest.Request) bool { return strings.HasSuffix(r.Path, "/users") })
			tokens, tokenReqs := countPath(srv, isToken)
			if pages != 6 || tokens != 1 {
				t.Errorf("%d member pages over two pulls with %d token requests; want 6 pages and the token fetched once, then reused", pages, tokens)
			}
			for _, r := range tokenReqs {
				if r.Method != "POST" || r.RawQuery != "" {
					t.Errorf("token request %s ?%s: want a POST with its parameters in the form body, none in the URL", r.Method, r.RawQuery)
				}
			}
			want := oktatest.Grant{ClientID: clientID, KeyID: tt.kid, Alg: tt.wantAlg, Scopes: tt.wantScope}
			if got := srv.Grants(); len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
				t.Errorf("grants = %+v, want one %+v", got, want)
			}
		})
	}
}

func TestOAuthRefusalsAreClearAndKeepSecrets(t *testing.T) {
	k := keys()
	keyPEM := pkcs8(t, k.rsa)
	tests := []struct {
		name    string
		setup   func(*oktatest.Server, *oktaclient.Config)
		wantErr []string
	}{
		{name: "wrong client id",
			setup:   func(_ *oktatest.Server, c *oktaclient.Config) { c.ClientID = "0oaSomeOtherApp00000" },
			wantErr: []string{"okta.auth oauth: Okta refused the token request: invalid_client", "Invalid value for 'client_id'", "check okta.client_id"}},
		{name: "key not the app's",
			setup:   func(s *oktatest.Server, _ *oktaclient.Config) { s.ClientKey = &k.otherRSA.PublicKey },
			wantErr: []string{"invalid_client", "signature is invalid", "okta.private_key_file"}},
		{name: "scope not granted",
			setup:   func(s *oktatest.Server, _ *oktaclient.Config) { s.GrantedScopes = []string{"okta.users.read"} },
			wantErr: []string{"invalid_scope", "okta.users.read okta.groups.read", "Okta API Scopes"}},
		{name: "app requires DPoP",
			setup:   func(s *oktatest.Server, _ *oktaclient.Config) { s.RequireDPoP = true },
			wantErr: []string{"invalid_dpop_proof", `turn off "Require Demonstrating Proof of Possession (DPoP)`}},
		{name: "token endpoint drops the connection",
			setup: func(s *oktatest.Server, _ *oktaclient.Config) {
				s.InjectFault(oktatest.Fault{PathPrefix: "/oauth2/v1/token", DropConnection: true})
			},
			wantErr: []string{"/oauth2/v1/token"}},
		{name: "token lacks an admin role",
			setup: func(s *oktatest.Server, _ *oktaclient.Config) {
				s.InjectFault(oktatest.Fault{PathPrefix: "/api/v1/groups", Status: 403})
			},
			wantErr: []string{"You do not have permission", "admin role assigned"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oauthServer(&k.rsa.PublicKey)
			defer srv.Close()
			cfg := oauthConfig(srv, keyPEM)
			tt.setup(srv, &cfg)
			c, err := oktaclient.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			state, err := c.Pull(context.Background())
			if err == nil {
				t.Fatal("pull succeeded; want it refused")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q\nwant it to mention %q", err, w)
				}
			}
			assertNoSecrets(t, err, secrets(keyPEM))
			if len(state.Users) != 0 {
				t.Errorf("a refused pull returned %d users", len(state.Users))
			}
		})
	}
}

func TestValidateAuth(t *testing.T) {
	k := keys()
	good := pkcs8(t, k.rsa)
	garbled := pemOf("PRIVATE KEY", []byte(strings.Repeat("not a key, but long enough to be mistaken for one. ", 8)))
	encrypted := pemOf("ENCRYPTED PRIVATE KEY", []byte(strings.Repeat("x", 300)))
	mislabelled := pemOf("RSA PRIVATE KEY", mustPKCS8DER(t, k.rsa))
	tests := []struct {
		name    string
		cfg     oktaclient.Config
		wantErr string // "" for valid; else the error's exact start
		pem     []byte // whose body must not appear in the error
	}{
		{"token by default", oktaclient.Config{Token: "t"}, "", nil},
		{"token named", oktaclient.Config{Auth: "token", Token: "t"}, "", nil},
		{"token mode ignores a bad key", oktaclient.Config{Token: "t", PrivateKeyPEM: garbled}, "", nil},
		{"token missing", oktaclient.Config{}, "okta.token: missing", nil},
		{"token missing, oauth keys set", oktaclient.Config{Auth: "token", ClientID: clientID, PrivateKeyPEM: good}, "okta.token: missing", nil},
		{"unknown mode", oktaclient.Config{Auth: "x", Token: "t"}, `okta.auth: "x" is not token or oauth`, nil},
		{"oauth, any letter case", oktaclient.Config{Auth: "OAuth", ClientID: clientID, PrivateKeyPEM: good}, "", nil},
		{"oauth needs no token", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: good}, "", nil},
		{"oauth without client id", oktaclient.Config{Auth: "oauth", PrivateKeyPEM: good, Token: "t"},
			"okta.client_id: missing (needed when okta.auth is oauth)", good},
		{"oauth without key", oktaclient.Config{Auth: "oauth", ClientID: clientID},
			"okta.private_key_file: missing or empty (needed when okta.auth is oauth)", nil},
		{"key not PEM", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: []byte("my-private-key-is-in-vault-under-okta-svc\n")},
			"okta.private_key_file: not a PEM private key: no -----BEGIN … PRIVATE KEY----- block found", nil},
		{"key PEM garbled", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: garbled},
			`okta.private_key_file: not a PEM private key: its "PRIVATE KEY" block does not decode as one`, garbled},
		{"key PEM cut short", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: good[:len(good)/2]},
			"okta.private_key_file: not a PEM private key: its PEM block is cut short or damaged", good},
		{"PKCS#8 labelled PKCS#1", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: mislabelled},
			`okta.private_key_file: not a PEM private key: its "RSA PRIVATE KEY" block does not decode as one`, mislabelled},
		{"public key only", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: publicPEM(t, &k.rsa.PublicKey)},
			"okta.private_key_file: not a PEM private key: it holds only PUBLIC KEY", nil},
		{"JWK", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: []byte(`{"kty":"RSA","d":"c2VjcmV0LXNlY3JldC1zZWNyZXQ"}`)},
			"okta.private_key_file: not a PEM private key: it looks like a JWK", []byte("c2VjcmV0LXNlY3JldC1zZWNyZXQ")},
		{"encrypted", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: encrypted},
			"okta.private_key_file: the private key is encrypted", encrypted},
		{"RSA too short", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: pkcs1(k.rsa1024)},
			"okta.private_key_file: the RSA key has 1024 bits; Okta needs at least 2048", pkcs1(k.rsa1024)},
		{"EC P-224", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: pkcs8(t, k.ec224)},
			"okta.private_key_file: EC keys must be on P-256, P-384 or P-521", nil},
		{"Ed25519", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: pkcs8(t, k.ed)},
			"okta.private_key_file: Okta does not accept Ed25519 keys", nil},
		{"kid with a space", oktaclient.Config{Auth: "oauth", ClientID: clientID, PrivateKeyPEM: good, PrivateKeyID: "a b"},
			`okta.private_key_id: "a b" contains a space`, good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.OrgURL, cfg.Groups, cfg.Mapping = "https://acme.okta.com", []string{"Everyone"}, testMapping()
			err := cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("got %v\nwant %s…", err, tt.wantErr)
			}
			assertNoSecrets(t, err, secrets(tt.pem))
			// New refuses the same way, before any request.
			if _, nerr := oktaclient.New(context.Background(), cfg); nerr == nil || nerr.Error() != err.Error() {
				t.Errorf("New: %v, want %v", nerr, err)
			}
		})
	}
}

func mustPKCS8DER(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestIgnoresOktaEnvironment: NewClient reads OKTA_* variables (and
// ~/.okta/okta.yaml, into the same fields) before applying our options; every
// one that could change whom we authenticate as, or how, must lose.
func TestIgnoresOktaEnvironment(t *testing.T) {
	k := keys()
	for _, auth := range []string{"token", "oauth"} {
		t.Run(auth, func(t *testing.T) {
			srv := oauthServer(&k.rsa.PublicKey)
			defer srv.Close()
			env := map[string]string{
				"OKTA_CLIENT_ORGURL":               "https://evil.okta.com",
				"OKTA_CLIENT_TOKEN":                srv.Token, // would work, were it used in oauth mode
				"OKTA_CLIENT_AUTHORIZATIONMODE":    "SSWS",
				"OKTA_CLIENT_CLIENTID":             "0oaFromTheEnvironmen",
				"OKTA_CLIENT_SCOPES":               "okta.users.manage",
				"OKTA_CLIENT_PRIVATEKEY":           string(pkcs1(k.otherRSA)),
				"OKTA_CLIENT_PRIVATEKEYID":         "kid-from-env",
				"OKTA_CLIENT_CLIENTASSERTION":      "x.y.z",
				"OKTA_CLIENT_CACHE_ENABLED":        "true",
				"OKTA_CLIENT_PROXY_HOST":           "127.0.0.1",
				"OKTA_CLIENT_PROXY_PORT":           "9",
				"OKTA_TESTING_DISABLE_HTTPS_CHECK": "false",
			}
			if auth == "token" {
				env["OKTA_CLIENT_AUTHORIZATIONMODE"] = "PrivateKey"
				env["OKTA_CLIENT_TOKEN"] = "a-token-from-the-environment"
			}
			for name, v := range env {
				t.Setenv(name, v)
			}
			cfg := oauthConfig(srv, pkcs8(t, k.rsa))
			cfg.Auth, cfg.PrivateKeyID = auth, "kid-from-config"
			if auth == "token" {
				cfg.Token = srv.Token
			}
			c, err := oktaclient.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			state, err := c.Pull(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(state.Users) != 450 {
				t.Errorf("got %d users, want 450", len(state.Users))
			}
			grants := srv.Grants()
			switch auth {
			case "token":
				if len(grants) != 0 {
					t.Errorf("token mode asked for OAuth tokens: %+v", grants)
				}
			case "oauth":
				want := oktatest.Grant{ClientID: clientID, KeyID: "kid-from-config", Alg: "RS256",
					Scopes: []string{"okta.users.read", "okta.groups.read"}}
				if len(grants) != 1 || fmt.Sprint(grants[0]) != fmt.Sprint(want) {
					t.Errorf("grants = %+v, want one %+v", grants, want)
				}
			}
		})
	}
}

func TestOAuthPullStopsWhenCancelled(t *testing.T) {
	k := keys()
	keyPEM := pkcs8(t, k.rsa)
	srv := oauthServer(&k.rsa.PublicKey)
	defer srv.Close()
	srv.SetLatency(2 * time.Second) // the token request hangs
	c, err := oktaclient.New(context.Background(), oauthConfig(srv, keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Pull(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v: the token request did not stop with the context", took)
	}
	assertNoSecrets(t, err, secrets(keyPEM))
}

func TestConfigPrintsNoSecrets(t *testing.T) {
	keyPEM := pkcs8(t, keys().rsa)
	cfg := oktaclient.Config{OrgURL: "https://acme.okta.com", Auth: "oauth", Token: "00secret-api-token",
		ClientID: clientID, PrivateKeyPEM: keyPEM}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, cfg)
		if !strings.Contains(out, clientID) {
			t.Errorf("%s: %s lacks the client id", verb, out)
		}
		for _, s := range append(secrets(keyPEM), "00secret-api-token") {
			if strings.Contains(out, s) {
				t.Errorf("%s prints secret %q", verb, s)
			}
		}
	}
}
