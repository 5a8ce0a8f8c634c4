package api

import (
	"context"
	"log/slog"
	"net/http"
)

// accessEntry is what the access log line of a request says beyond the request itself:
// filled in by the middleware that learns it (authenticate names the token).
type accessEntry struct {
	actor string
}

type accessKey struct{}

// withAccessEntry gives r an access entry for the inner middleware to fill in.
func withAccessEntry(r *http.Request) (*http.Request, *accessEntry) {
	e := &accessEntry{}
	return r.WithContext(context.WithValue(r.Context(), accessKey{}, e)), e
}

// noteActor records the authenticated token's name for the access log.
func noteActor(ctx context.Context, name string) {
	if e, ok := ctx.Value(accessKey{}).(*accessEntry); ok {
		e.actor = name
	}
}

// quietRoutes are polled by probes and scrapers: their access lines are debug only, so
// they do not flood the log.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// accessLogLevel is the level of a request's access line: info, debug for quietRoutes.
func accessLogLevel(route string) slog.Level {
	if quietRoutes[route] {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
