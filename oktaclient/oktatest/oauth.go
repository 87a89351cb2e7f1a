package oktatest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	_ "crypto/sha256" // the hashes of RS256/ES256 …
	_ "crypto/sha512" // … and of RS384/RS512/ES384/ES512
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"
)

// jwtBearer is the client_assertion_type of private_key_jwt (RFC 7523).
const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Grant is one request that reached the token endpoint, as the fake read it.
type Grant struct {
	// ClientID is the assertion's iss claim, "" when it could not be read.
	ClientID string
	// KeyID and Alg are the kid and alg of the assertion's JOSE header.
	KeyID, Alg string
	// Scopes are the scopes asked, in order.
	Scopes []string
	// Error is the OAuth error code answered, "" when a token was issued.
	Error string
}

// Grants returns every request the token endpoint answered, in arrival order.
func (s *Server) Grants() []Grant {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.grants)
	for i := range out {
		out[i].Scopes = slices.Clone(out[i].Scopes)
	}
	return out
}

// oauthError is the RFC 6749 error body the token endpoint answers with.
type oauthError struct {
	status      int
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func refuse(status int, code, description string) *oauthError {
	return &oauthError{status: status, Code: code, Description: description}
}

// issueToken is the OAuth 2.0 client-credentials endpoint the SDK's
// PrivateKey mode calls. It reads its parameters from the form body or the
// query, as Okta does. Without ClientID it accepts any client_assertion; with
// it, it checks the assertion as described on [Server.ClientID].
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	clientID, key, granted, dpop := s.ClientID, s.ClientKey, slices.Clone(s.GrantedScopes), s.RequireDPoP
	s.mu.Unlock()

	assertion := r.FormValue("client_assertion")
	g := Grant{Scopes: strings.Fields(r.FormValue("scope"))}
	g.ClientID, g.KeyID, g.Alg = peekAssertion(assertion)

	e := func() *oauthError {
		if r.FormValue("grant_type") != "client_credentials" || assertion == "" {
			return refuse(http.StatusBadRequest, "invalid_request",
				"grant_type client_credentials with a client_assertion is required")
		}
		if dpop {
			return refuse(http.StatusBadRequest, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
		}
		if clientID != "" {
			if r.FormValue("client_assertion_type") != jwtBearer {
				return refuse(http.StatusBadRequest, "invalid_request",
					"The client_assertion_type must be "+jwtBearer+".")
			}
			if e := checkAssertion(assertion, clientID, baseURL(r)+tokenPath, key); e != nil {
				return e
			}
		}
		if granted != nil {
			for _, sc := range g.Scopes {
				if !slices.Contains(granted, sc) {
					return refuse(http.StatusBadRequest, "invalid_scope",
						"The requested scope is invalid, unknown, or malformed.")
				}
			}
		}
		return nil
	}()

	s.mu.Lock()
	var token string
	if e == nil {
		s.nToken++
		token = fmt.Sprintf("oktatest-access-token-%d", s.nToken)
		s.bearer[token] = true
	} else {
		g.Error = e.Code
	}
	s.grants = append(s.grants, g)
	s.mu.Unlock()

	if e != nil {
		writeJSON(w, e.status, e)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":   "Bearer",
		"expires_in":   3600,
		"access_token": token,
		"scope":        strings.Join(g.Scopes, " "),
	})
}

type joseHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type assertionClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"` // a string or a list of them
	Exp *float64        `json:"exp"`
}

// peekAssertion reads what it can of an assertion for the Grant record,
// without judging it.
func peekAssertion(jwt string) (iss, kid, alg string) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", "", ""
	}
	var h joseHeader
	var c assertionClaims
	_ = decodeSegment(parts[0], &h)
	_ = decodeSegment(parts[1], &c)
	return c.Iss, h.Kid, h.Alg
}

// checkAssertion checks a private_key_jwt client assertion as Okta would:
// a well-formed JWT, iss and sub the client id, aud the token endpoint, not
// expired and, when key is known, signed by it.
func checkAssertion(jwt, clientID, audience string, key crypto.PublicKey) *oauthError {
	malformed := refuse(http.StatusBadRequest, "invalid_client", "The client_assertion is not a well-formed JWT.")
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return malformed
	}
	var h joseHeader
	var c assertionClaims
	if decodeSegment(parts[0], &h) != nil || h.Alg == "" || decodeSegment(parts[1], &c) != nil {
		return malformed
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return malformed
	}
	if c.Iss != clientID || c.Sub != clientID {
		return refuse(http.StatusUnauthorized, "invalid_client", "Invalid value for 'client_id' parameter.")
	}
	if !audienceIs(c.Aud, audience) {
		return refuse(http.StatusUnauthorized, "invalid_client",
			"The audience claim for client_assertion must be the endpoint invoking the client_assertion.")
	}
	if c.Exp == nil || time.Unix(int64(*c.Exp), 0).Before(time.Now()) {
		return refuse(http.StatusUnauthorized, "invalid_client", "The client_assertion token is expired.")
	}
	if key != nil && !verifySignature(h.Alg, key, []byte(parts[0]+"."+parts[1]), sig) {
		return refuse(http.StatusUnauthorized, "invalid_client", "The client_assertion signature is invalid.")
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func audienceIs(raw json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	return json.Unmarshal(raw, &many) == nil && len(many) == 1 && many[0] == want
}

// verifySignature checks a JWS signature of the RS* or ES* families.
func verifySignature(alg string, key crypto.PublicKey, signed, sig []byte) bool {
	hashes := map[string]crypto.Hash{"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}
	if len(alg) != 5 {
		return false
	}
	hash, ok := hashes[alg[2:]]
	if !ok {
		return false
	}
	hh := hash.New()
	hh.Write(signed)
	digest := hh.Sum(nil)
	switch k := key.(type) {
	case *rsa.PublicKey:
		return alg[:2] == "RS" && rsa.VerifyPKCS1v15(k, hash, digest, sig) == nil
	case *ecdsa.PublicKey:
		bits := k.Curve.Params().BitSize
		size := (bits + 7) / 8
		curveOf := map[string]int{"ES256": 256, "ES384": 384, "ES512": 521}
		if curveOf[alg] != bits || len(sig) != 2*size {
			return false
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(k, digest, r, s)
	}
	return false
}
