package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/domain"
)

// fuzzQueryKeys are the query parameters the routes read; the seeds spoil each.
var fuzzQueryKeys = []string{"cursor", "limit", "on_failure", "decision_timeout", "delete_volumes", "actor", "action",
	"target", "kind", "cluster", "phase", "vcenter", "state", "since", "until", "last_event_id"}

// fuzzParamDefault is a value of a path parameter that names something of the fuzz
// inventory (see startFuzzAPI), by the route's first segment after /api/v1/.
func fuzzParamDefault(fa *fuzzAPI, rt api.RouteInfo, param string) string {
	kind := strings.Split(strings.TrimPrefix(rt.Pattern, "/api/v1/"), "/")[0]
	switch {
	case param == "node":
		return "east-default-0"
	case param == "cluster":
		return "west"
	case kind == "clusters":
		return "east"
	case kind == "vcenters":
		return "vc1"
	case kind == "ippools":
		return "lab"
	case kind == "clustersets":
		return "set1"
	case kind == "projects":
		return domain.DefaultProject
	case kind == "tokens":
		return "nobody"
	case kind == "operations":
		return fa.operation
	}
	return "00000000-0000-0000-0000-000000000000" // a schedule or backup id
}

// FuzzPathParams sends every route (by index in the router's table) with one path
// parameter set to value (param indexes the route's parameters; out of range: none) and
// the query parameter key=qvalue (none when key is empty). The seeds put unstorable text
// in each path parameter of each route, in a query parameter of each route, and in a
// query parameter's name.
func FuzzPathParams(f *testing.F) {
	fa := startFuzzAPI(f)
	routes := fa.api.Routes()
	for i, rt := range routes {
		for p := range routeParams(rt) {
			for _, bad := range unstorableStrings {
				f.Add(uint8(i), uint8(p), bad, "", "")
			}
		}
		for k, bad := range unstorableStrings {
			f.Add(uint8(i), uint8(255), "", fuzzQueryKeys[(i+k)%len(fuzzQueryKeys)], bad)
		}
		f.Add(uint8(i), uint8(255), "", unstorableStrings[i%len(unstorableStrings)], "x")
	}
	counted := []string{"operations", "api_tokens WHERE revoked_at IS NOT NULL", "schedules", "clustersets",
		"clusterset_members", "clusters WHERE phase <> 'Ready'", "ip_pools", "vcenters", "dev faults",
		"projects WHERE deleted_at IS NULL", "project_members"}
	f.Fuzz(func(t *testing.T, route, param uint8, value, key, qvalue string) {
		rt := routes[int(route)%len(routes)]
		names := routeParams(rt)
		values := make([]string, len(names))
		for i, name := range names {
			values[i] = fuzzParamDefault(fa, rt, name)
			if i == int(param) {
				values[i] = value
			}
		}
		path, seen := routeURL(rt, values)
		var rawQuery string
		if key != "" {
			rawQuery = url.Values{key: {qvalue}}.Encode()
		}
		routed := seen != nil && !slices.Contains(seen, "")
		bad := false
		for _, v := range seen {
			bad = bad || !domain.StorableText(v)
		}
		if q, _ := url.ParseQuery(rawQuery); routed {
			for k, vs := range q {
				bad = bad || !domain.StorableText(k)
				for _, v := range vs {
					bad = bad || !domain.StorableText(v)
				}
			}
		}
		var body []byte
		if rt.Method == "POST" && strings.HasSuffix(rt.Pattern, "/dev/faults") {
			body = []byte(`{"fault":"vsphere.clone:vm=fz"}`)
		}
		before := fa.rowCounts(t, counted)
		r := fa.send(t, rt.Method, path, rawQuery, body)
		after := fa.rowCounts(t, counted)
		what := fmt.Sprintf("%s %q (query %q)", rt.Method, path, rawQuery)
		fa.checkReply(t, what, r, bad && routed, routed && rt.Action != "", before, after)
	})
}
