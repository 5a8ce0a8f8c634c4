package api

import (
	"net/http"
	"time"
)

// Routes whose replies outlast the server's timeouts (app.HTTPTimeouts): the event stream
// runs as long as its operation, so it lifts the read and write deadlines; a download
// gets a longer write deadline for a slow client.
var (
	streamingRoutes = map[string]bool{"/api/v1/operations/{id}/events": true}
	downloadRoutes  = map[string]bool{"/api/v1/clusters/{name}/kubeconfig": true}
)

// downloadWriteTimeout is the write deadline of a download route.
const downloadWriteTimeout = 10 * time.Minute

// limits runs inside authorize (so its replies are audited like any other): the rate
// limit of audited routes, and the deadlines of streaming and download routes.
func (a *API) limits(rt route) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rt.action != "" && a.rateLimited(w, r) {
				return
			}
			rc := http.NewResponseController(w)
			switch {
			case streamingRoutes[rt.pattern]:
				// Errors mean the connection cannot change its deadlines (e.g. a test
				// recorder); the stream then runs under the server's.
				_ = rc.SetReadDeadline(time.Time{})
				_ = rc.SetWriteDeadline(time.Time{})
			case downloadRoutes[rt.pattern]:
				_ = rc.SetWriteDeadline(time.Now().Add(downloadWriteTimeout))
			}
			next.ServeHTTP(w, r)
		})
	}
}
