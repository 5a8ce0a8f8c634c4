package node

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// signDetachedJWS computes a detached HS256 JWS the way the bootstrap
// signer does (k8s.io/cluster-bootstrap/token/jws).
func signDetachedJWS(content, tokenID, tokenSecret string) string {
	header := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"alg":"HS256","kid":%q}`, tokenID))
	mac := hmac.New(sha256.New, []byte(tokenSecret))
	mac.Write([]byte(header + "." + base64.RawURLEncoding.EncodeToString([]byte(content))))
	return header + ".." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func TestVerifyDetachedJWS(t *testing.T) {
	const content = "apiVersion: v1\nkind: Config\n"
	sig := signDetachedJWS(content, "abcdef", "0123456789abcdef")
	if err := verifyDetachedJWS(sig, content, "abcdef", "0123456789abcdef"); err != nil {
		t.Fatalf("valid signature: %v", err)
	}
	for name, tc := range map[string]struct{ sig, content, id, secret, want string }{
		"wrong secret":    {sig, content, "abcdef", "0123456789abcdeX", "does not match"},
		"changed content": {sig, content + "x", "abcdef", "0123456789abcdef", "does not match"},
		"other token ID":  {sig, content, "zzzzzz", "0123456789abcdef", "key ID"},
		"not detached":    {strings.Replace(sig, "..", ".x.", 1), content, "abcdef", "0123456789abcdef", "detached"},
		"empty":           {"", content, "abcdef", "0123456789abcdef", "detached"},
		"other algorithm": {base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"abcdef"}`)) + "..eA",
			content, "abcdef", "0123456789abcdef", "algorithm"},
	} {
		err := verifyDetachedJWS(tc.sig, tc.content, tc.id, tc.secret)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, tc.want)
		}
	}
}
