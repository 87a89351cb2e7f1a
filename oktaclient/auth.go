package oktaclient

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/go-jose/go-jose/v3"
	"github.com/okta/okta-sdk-golang/v2/okta"
)

// The values of Config.Auth.
const (
	// AuthToken authenticates with an Okta API token: "Authorization: SSWS …".
	AuthToken = "token"
	// AuthOAuth authenticates as an OAuth 2.0 service app with
	// private_key_jwt: a client assertion signed with the app's private key
	// buys an access token from the org authorization server, which is then
	// sent as "Authorization: Bearer …".
	AuthOAuth = "oauth"
)

// DefaultScopes are the scopes asked when Config.Scopes is empty: all that
// reading groups and their members needs.
var DefaultScopes = []string{"okta.users.read", "okta.groups.read"}

// tokenPath is the org authorization server's token endpoint.
const tokenPath = "/oauth2/v1/token"

// minRSABits is the smallest RSA key Okta accepts for a service app.
const minRSABits = 2048

// authMode is Config.Auth normalised; "" means token.
func (c Config) authMode() string {
	if m := strings.ToLower(strings.TrimSpace(c.Auth)); m != "" {
		return m
	}
	return AuthToken
}

// scopes are the scopes to ask, one per entry, DefaultScopes when none.
func (c Config) scopes() []string {
	var out []string
	for _, s := range c.Scopes {
		out = append(out, strings.Fields(s)...)
	}
	if len(out) == 0 {
		return append([]string(nil), DefaultScopes...)
	}
	return out
}

// validateAuth checks the keys of the chosen authentication mode only.
func (c Config) validateAuth() error {
	switch c.authMode() {
	case AuthToken:
		if strings.TrimSpace(c.Token) == "" {
			return errors.New("okta.token: missing (set it in the config file or OKTALMS_OKTA_TOKEN)")
		}
		return nil
	case AuthOAuth:
		if strings.TrimSpace(c.ClientID) == "" {
			return errors.New("okta.client_id: missing (needed when okta.auth is oauth)")
		}
		if strings.ContainsFunc(c.PrivateKeyID, isSpace) {
			return fmt.Errorf("okta.private_key_id: %q contains a space; it is the key's kid as Okta shows it", c.PrivateKeyID)
		}
		_, _, err := parsePrivateKey(c.PrivateKeyPEM)
		return err
	default:
		return fmt.Errorf("okta.auth: %q is not token or oauth", c.Auth)
	}
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// parsePrivateKey reads the service app's private key: the first private-key
// block of a PEM file, PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or
// SEC 1 ("EC PRIVATE KEY"); RSA of 2048 bits or more, or EC P-256, P-384 or
// P-521, the key types Okta accepts for private_key_jwt. It returns the key
// and the JWS algorithm to sign with.
//
// Errors name okta.private_key_file and describe the content, never quote
// it: not the PEM, and not the parser's message either.
func parsePrivateKey(pemBytes []byte) (crypto.Signer, jose.SignatureAlgorithm, error) {
	const key = "okta.private_key_file"
	if len(bytes.TrimSpace(pemBytes)) == 0 {
		return nil, "", errors.New(key + ": missing or empty (needed when okta.auth is oauth)")
	}
	notPEM := func(why string) error {
		return fmt.Errorf(`%s: not a PEM private key: %s; give the service app's private key as PEM, PKCS#8 ("BEGIN PRIVATE KEY") or PKCS#1 ("BEGIN RSA PRIVATE KEY")`, key, why)
	}
	var others []string
	rest := pemBytes
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
			others = append(others, block.Type)
			continue
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, "", fmt.Errorf("%s: the private key is encrypted; oktalms needs it unencrypted, readable only by its own user (openssl pkcs8 -topk8 -nocrypt converts it)", key)
		}
		var parsed any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			parsed, err = x509.ParseECPrivateKey(block.Bytes)
		case "OPENSSH PRIVATE KEY":
			return nil, "", notPEM("it is an OpenSSH key")
		default:
			return nil, "", notPEM(fmt.Sprintf("%q blocks are not supported", block.Type))
		}
		if err != nil {
			return nil, "", notPEM(fmt.Sprintf("its %q block does not decode as one", block.Type))
		}
		return checkKeyType(parsed)
	}
	switch {
	case len(others) > 0:
		return nil, "", notPEM(fmt.Sprintf("it holds only %s", strings.Join(others, ", ")))
	case bytes.HasPrefix(bytes.TrimSpace(pemBytes), []byte("{")):
		return nil, "", notPEM("it looks like a JWK (JSON); copy the key in PEM format from the Okta app instead")
	case bytes.Contains(pemBytes, []byte("-----BEGIN")):
		return nil, "", notPEM("its PEM block is cut short or damaged")
	default:
		return nil, "", notPEM("no -----BEGIN … PRIVATE KEY----- block found")
	}
}

func checkKeyType(parsed any) (crypto.Signer, jose.SignatureAlgorithm, error) {
	const key = "okta.private_key_file"
	switch k := parsed.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, "", fmt.Errorf("%s: the RSA key has %d bits; Okta needs at least %d", key, bits, minRSABits)
		}
		return k, jose.RS256, nil
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return k, jose.ES256, nil
		case elliptic.P384():
			return k, jose.ES384, nil
		case elliptic.P521():
			return k, jose.ES512, nil
		}
		return nil, "", fmt.Errorf("%s: EC keys must be on P-256, P-384 or P-521", key)
	case ed25519.PrivateKey:
		return nil, "", fmt.Errorf("%s: Okta does not accept Ed25519 keys for service apps; use RSA (2048 bits or more) or EC P-256", key)
	default:
		return nil, "", fmt.Errorf("%s: a %T key is not supported; use RSA (2048 bits or more) or EC P-256", key, parsed)
	}
}

// authOptions are the SDK options of the chosen authentication mode. Every
// credential option is set, including the ones the mode does not use, so
// that none can come from ~/.okta/okta.yaml or an OKTA_CLIENT_* variable.
//
// For OAuth the SDK gets a ready go-jose signer (WithPrivateKeySigner) rather
// than the PEM (WithPrivateKey): the SDK would take only PKCS#1, would
// treat a string naming an existing file as a path to read, and would
// log.Fatal on a read error.
func (c Config) authOptions() ([]okta.ConfigSetter, error) {
	if c.authMode() != AuthOAuth {
		return []okta.ConfigSetter{
			okta.WithAuthorizationMode("SSWS"),
			okta.WithToken(c.Token),
			okta.WithClientId(""), okta.WithScopes(nil),
			okta.WithPrivateKey(""), okta.WithPrivateKeyId(""), okta.WithPrivateKeySigner(nil),
			okta.WithClientAssertion(""),
		}, nil
	}
	priv, alg, err := parsePrivateKey(c.PrivateKeyPEM)
	if err != nil {
		return nil, err
	}
	opts := &jose.SignerOptions{}
	if kid := strings.TrimSpace(c.PrivateKeyID); kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: priv}, opts)
	if err != nil {
		return nil, fmt.Errorf("okta.private_key_file: cannot sign with the key (%s)", alg)
	}
	return []okta.ConfigSetter{
		okta.WithAuthorizationMode("PrivateKey"),
		okta.WithToken(""),
		okta.WithClientId(strings.TrimSpace(c.ClientID)), okta.WithScopes(c.scopes()),
		okta.WithPrivateKey(""), okta.WithPrivateKeyId(""), okta.WithPrivateKeySigner(signer),
		okta.WithClientAssertion(""),
	}, nil
}

// tokenTransport carries the SDK's token requests. The SDK puts the client
// assertion in the URL's query and sends the request without a context;
// this moves the parameters to the form body (RFC 6749 §4.4, and out of
// proxy and access logs) and lets the context of the Pull under way cancel
// the request. Every other request passes through untouched.
type tokenTransport struct {
	next http.RoundTripper
	org  *url.URL

	mu  sync.Mutex
	ctx context.Context // of the Pull under way; nil between pulls
}

// use makes ctx cancel token requests until the returned func is called.
// Pulls on one Client are not meant to overlap; if they do, the latest
// context is the one that cancels.
func (t *tokenTransport) use(ctx context.Context) (done func()) {
	t.mu.Lock()
	t.ctx = ctx
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		t.ctx = nil
		t.mu.Unlock()
	}
}

func (t *tokenTransport) isTokenRequest(req *http.Request) bool {
	return req.Method == http.MethodPost && req.URL.Host == t.org.Host &&
		req.URL.Path == strings.TrimRight(t.org.Path, "/")+tokenPath
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.isTokenRequest(req) {
		return t.next.RoundTrip(req)
	}
	t.mu.Lock()
	pullCtx := t.ctx
	t.mu.Unlock()
	if pullCtx != nil && pullCtx.Err() != nil {
		return nil, context.Cause(pullCtx)
	}

	ctx, cancel := context.WithCancelCause(req.Context())
	stop := func() bool { return false }
	if pullCtx != nil {
		stop = context.AfterFunc(pullCtx, func() { cancel(context.Cause(pullCtx)) })
	}
	release := func() { stop(); cancel(nil) }

	out := req.Clone(ctx)
	if req.URL.RawQuery != "" && (req.Body == nil || req.Body == http.NoBody) {
		form := []byte(req.URL.RawQuery) // already form-encoded by the SDK
		u := *req.URL
		u.RawQuery = ""
		out.URL = &u
		out.Body = io.NopCloser(bytes.NewReader(form))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(form)), nil }
		out.ContentLength = int64(len(form))
		out.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &onClose{ReadCloser: resp.Body, fn: release}
	return resp, nil
}

// onClose calls fn once the body is read to its end or closed, whichever
// comes first: the context of a response must live until its body is read,
// and the SDK reads the token response to its end without closing it.
type onClose struct {
	io.ReadCloser
	once sync.Once
	fn   func()
}

func (b *onClose) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.fn)
	}
	return n, err
}

func (b *onClose) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.fn)
	return err
}

// redact returns an SDK error fit to wrap and show. A network error on the
// SDK's token request quotes the request's URL, whose query carries the
// signed client assertion (a credential for an hour); that error is rebuilt
// with the query withheld. It must run before the error is wrapped, since
// fmt.Errorf renders its message at once.
func redact(err error) error {
	var ue *url.Error
	if err == nil || !errors.As(err, &ue) || !strings.Contains(ue.URL, "client_assertion") {
		return err
	}
	clean := "(URL withheld)"
	if u, perr := url.Parse(ue.URL); perr == nil {
		u.RawQuery = ""
		clean = u.String() + "?…"
	}
	// Any wrapping the SDK added quotes the URL too: keep only the url.Error,
	// which still unwraps to the cause (a timeout, a cancelled context, EOF).
	return &url.Error{Op: ue.Op, URL: clean, Err: redact(ue.Err)}
}

// explain says what to check when Okta refused the OAuth token request or
// what the token allows.
func (c *Client) explain(err error) error {
	if err == nil || c.cfg.authMode() != AuthOAuth {
		return err
	}
	var oe *okta.Error
	if !errors.As(err, &oe) {
		return err
	}
	if oe.ErrorMessage != "" { // an RFC 6749 error: only the token endpoint answers so
		return &tokenError{code: oe.ErrorMessage, description: oe.ErrorDescription, hint: c.tokenHint(oe.ErrorMessage), err: err}
	}
	if oe.ErrorCode == "E0000006" || strings.Contains(oe.ErrorSummary, "scope") {
		return fmt.Errorf("%w (with okta.auth oauth, the Okta app needs the scopes %s granted and an admin role assigned, such as Read-only Administrator)",
			err, strings.Join(c.cfg.scopes(), " "))
	}
	return err
}

func (c *Client) tokenHint(code string) string {
	switch code {
	case "invalid_client":
		return "check okta.client_id, and that the public key registered on the Okta app pairs with okta.private_key_file" +
			" (and has the kid okta.private_key_id, when the app holds several keys)"
	case "invalid_scope":
		return fmt.Sprintf("grant the scopes okta.scopes asks (%s) to the Okta app, on its Okta API Scopes tab", strings.Join(c.cfg.scopes(), " "))
	case "invalid_dpop_proof", "use_dpop_nonce":
		return "turn off \"Require Demonstrating Proof of Possession (DPoP) header in token requests\" on the Okta app: the Okta SDK oktalms uses cannot send DPoP proofs"
	case "unauthorized_client":
		return "the Okta app must be an API Services app allowed the Client Credentials grant"
	}
	return "check the Okta app's settings"
}

// tokenError is Okta refusing the OAuth token request.
type tokenError struct {
	code, description, hint string
	err                     error
}

func (e *tokenError) Error() string {
	msg := "okta.auth oauth: Okta refused the token request: " + e.code
	if e.description != "" {
		msg += " (" + e.description + ")"
	}
	return msg + "; " + e.hint
}

func (e *tokenError) Unwrap() error { return e.err }
