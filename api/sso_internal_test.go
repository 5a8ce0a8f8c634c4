package api

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSSOInputChecks(t *testing.T) {
	for s, want := range map[string]bool{
		"/": true, "/#/clusters?state=Running": true, "/portal/x": true,
		"": false, "//evil.example/": false, "/\\evil.example": false, "https://evil.example/": false, "evil": false,
		"/a\nb": false, "/a\\b": false,
	} {
		if got := validReturnTo(s); got != want {
			t.Errorf("validReturnTo(%q) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{
		"http://127.0.0.1:5000/callback": true, "http://[::1]:5000/callback": true, "http://localhost:5000/cb": true,
		"http://127.0.0.1/callback": false, "https://127.0.0.1:5000/": false, "http://evil.example:5000/": false,
		"http://u:p@127.0.0.1:5000/": false, "http://127.0.0.1:5000/#x": false, "http://10.0.0.1:5000/": false,
	} {
		if got := validCLIRedirect(s); got != want {
			t.Errorf("validCLIRedirect(%q) = %v, want %v", s, got, want)
		}
	}
	if a, b := csrfToken("one"), csrfToken("two"); a == b || len(a) != 43 || csrfToken("one") != a {
		t.Errorf("csrf tokens %q %q: want distinct, stable, 256 bits", a, b)
	}
	if got := tokenNamePart("Alice.Smith+x@Example.com"); got != "alice-smith-x" {
		t.Errorf("tokenNamePart = %q", got)
	}
	if got := errorCode("access_denied<script>"); got != "access_deniedscript" {
		t.Errorf("errorCode = %q", got)
	}
}

// TestSessionCookieSecure: Secure over TLS or with an https public URL, not over plain
// http; always HttpOnly and SameSite=Lax.
func TestSessionCookieSecure(t *testing.T) {
	plain := httptest.NewRequest("GET", "http://cw.example/auth/callback", nil)
	overTLS := httptest.NewRequest("GET", "https://cw.example/auth/callback", nil)
	overTLS.TLS = &tls.ConnectionState{}
	direct := &API{sso: newSSO(&SSOConfig{IssuerURL: "http://idp"})}
	behindProxy := &API{sso: newSSO(&SSOConfig{IssuerURL: "http://idp", PublicURL: "https://cw.example/"})}
	for _, c := range []struct {
		name string
		api  *API
		r    *http.Request
		want bool
	}{{"plain http", direct, plain, false}, {"TLS", direct, overTLS, true}, {"https public URL", behindProxy, plain, true}} {
		w := httptest.NewRecorder()
		c.api.setCookie(w, c.r, sessionCookie, "v", "/", time.Now().Add(time.Hour))
		cookies := w.Result().Cookies()
		if len(cookies) != 1 || cookies[0].Secure != c.want || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
			t.Errorf("%s: %+v, want Secure=%v, HttpOnly, SameSite=Lax", c.name, cookies, c.want)
		}
	}
	if got := behindProxy.sso.baseURL(plain); got != "https://cw.example" {
		t.Errorf("base URL behind a proxy: %q", got)
	}
	if got := direct.sso.baseURL(overTLS); got != "https://cw.example" {
		t.Errorf("base URL over TLS: %q", got)
	}
}
