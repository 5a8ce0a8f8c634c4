package api

import "net/http"

// apiContentSecurityPolicy is the policy of every reply but the portal's pages (which set
// their own, web.ContentSecurityPolicy): JSON and problem replies load nothing and may
// not be framed.
const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

// hstsMaxAge is how long a browser that reached the API over TLS keeps to HTTPS (a year).
const hstsMaxAge = "max-age=31536000"

// securityHeaders sets the headers every reply carries: no framing (clickjacking), no
// referrer leaving the service, no content sniffing, and, over TLS, Strict-Transport-
// Security.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", apiContentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", hstsMaxAge)
		}
		next.ServeHTTP(w, r)
	})
}
