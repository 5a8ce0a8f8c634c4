package node

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// verifyDetachedJWS checks a detached JWS (RFC 7515 appendix F) over
// content, as the bootstrap signer writes it into cluster-info for each
// signing token: a compact JWS "header..signature" whose protected header
// names the HS256 algorithm and the token ID as key ID, keyed with the
// token secret. It is what k8s.io/cluster-bootstrap/token/jws checks.
func verifyDetachedJWS(detached, content, tokenID, tokenSecret string) error {
	header, sig, ok := strings.Cut(detached, "..")
	if !ok || header == "" || sig == "" || strings.Contains(sig, ".") {
		return fmt.Errorf("not a detached compact JWS")
	}
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return fmt.Errorf("JWS header: %w", err)
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return fmt.Errorf("JWS header: %w", err)
	}
	if h.Alg != "HS256" {
		return fmt.Errorf("JWS algorithm %q, want HS256", h.Alg)
	}
	if h.Kid != tokenID {
		return fmt.Errorf("JWS key ID %q, want the token ID %q", h.Kid, tokenID)
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("JWS signature: %w", err)
	}
	mac := hmac.New(sha256.New, []byte(tokenSecret))
	mac.Write([]byte(header + "." + base64.RawURLEncoding.EncodeToString([]byte(content))))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("JWS signature does not match")
	}
	return nil
}
