package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// The fuzz targets (fuzz_*_test.go) drive the real API — Postgres, Temporal, a worker,
// vcsim — with one JSON input type or the path and query parameters of every route, and
// check what no input may do: answer 5xx (a handler panic is a 500), or, when the input
// holds text the database cannot store (a NUL byte, raw or \u0000, or invalid UTF-8),
// answer other than 4xx, write a row, or leave the call without its completed audit
// event. Their seeds put such text in every string field of each type (found by
// reflection, so a new field is seeded too) and in every path parameter; `make test`
// runs the seeds and fuzzes a few targets briefly.

// fuzzAPI is the stack a fuzz target drives, with an inventory its inputs can name:
// vCenter "vc1" (a record only: nothing answers it, so cluster preflights stop at 422),
// IP pool "lab", project "fz-proj", Ready clusters "east" and "west" (nodes <name>-cp-0 and
// <name>-default-{0,1}, Antrea deployed), ClusterSet "set1" led by east, and a Failed
// operation of east.
type fuzzAPI struct {
	env       *apptest.Env
	api       *api.API
	url       string
	token     string
	faults    *fakeDevFaults
	operation string // the id of east's Failed operation
	client    *http.Client
}

// startFuzzAPI starts the stack for f; it serves dev mode's /dev/faults too.
func startFuzzAPI(f *testing.F) *fuzzAPI {
	f.Helper()
	env := apptest.Start(f)
	faults := &fakeDevFaults{}
	cfg := env.App.APIConfig()
	cfg.DevFaults = faults
	a := api.New(cfg)
	srv := httptest.NewServer(a.Handler())
	f.Cleanup(srv.Close)
	fa := &fuzzAPI{env: env, api: a, url: srv.URL, token: env.Token("fuzz-caller", domain.RoleAdmin), faults: faults,
		client: &http.Client{Timeout: 2 * time.Minute}}

	ctx := context.Background()
	s := env.App.Store
	vin := domain.VCenterInput{Name: "vc1", Server: "vc.example.com", Username: "u", Password: "p"}
	if err := vin.Validate(); err != nil {
		f.Fatal(err)
	}
	if _, err := s.CreateVCenter(ctx, vin); err != nil {
		f.Fatal(err)
	}
	// vc-fz is the one FuzzVCenterPatch changes; its server's name never resolves, so a
	// valid patch fails its login check at once.
	if _, err := s.CreateVCenter(ctx, domain.VCenterInput{Name: "vc-fz", Server: "https://vc.invalid/sdk", Username: "u", Password: "p",
		ShareServiceAccountWithClusters: true}); err != nil {
		f.Fatal(err)
	}
	if _, err := s.CreateIPPool(ctx, domain.IPPoolInput{Name: "lab", CIDR: "127.71.0.0/24", RangeStart: "127.71.0.10",
		RangeEnd: "127.71.0.250", Gateway: "127.71.0.1"}); err != nil {
		f.Fatal(err)
	}
	// fz-proj is the project FuzzProjectPatch changes.
	pin := domain.ProjectInput{Name: "fz-proj", VCenters: []string{"vc1"}, IPPools: []string{"lab"}}
	if err := pin.Validate(); err != nil {
		f.Fatal(err)
	}
	if _, err := s.CreateProject(ctx, pin, "test"); err != nil {
		f.Fatal(err)
	}
	version := domain.KubernetesVersions().Default
	for _, name := range []string{"east", "west"} {
		c := recordDay2Cluster(f, env, name, version, domain.PhaseReady, "lab")
		if err := s.UpsertAddon(ctx, c.ID, domain.Addon{Name: "antrea", ChartVersion: "2.7.0", Status: "deployed"}, "antrea", ""); err != nil {
			f.Fatal(err)
		}
	}
	if _, err := s.CreateClusterSet(ctx, domain.ClusterSetSpec{Name: "set1", Leader: "east",
		GatewayIPPrecedence: domain.GatewayIPPrivate, EndpointIPType: domain.EndpointIPTypeCluster}, "test"); err != nil {
		f.Fatal(err)
	}
	east, err := s.GetCluster(ctx, "east")
	if err != nil {
		f.Fatal(err)
	}
	op, err := s.CreateOperation(ctx, domain.Operation{Kind: domain.OpUpgradeCluster, Actor: "test", WorkflowID: "fuzz-east",
		Target: domain.Target{Kind: "cluster", ID: east.ID, Name: east.Name}})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.FinishOperation(ctx, op.ID, domain.OpFailed, "recorded by the fuzz setup"); err != nil {
		f.Fatal(err)
	}
	fa.operation = op.ID
	return fa
}

// fuzzReply is what a request of a fuzz target got.
type fuzzReply struct {
	status    int
	body      []byte
	requestID string
}

// send sends method path?query with body (none when nil) as the fuzz caller; path is
// sent as it is (its parameters escaped by the caller).
func (fa *fuzzAPI) send(t *testing.T, method, path, rawQuery string, body []byte) fuzzReply {
	t.Helper()
	target := fa.url + path
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatalf("%s %q: %v", method, target, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	id := make([]byte, 8)
	rand.Read(id)
	reply := fuzzReply{requestID: "fuzz-" + hex.EncodeToString(id)}
	req.Header.Set("X-Request-Id", reply.requestID)
	req.Header.Set("Authorization", "Bearer "+fa.token)
	resp, err := fa.client.Do(req)
	if err != nil {
		t.Fatalf("%s %q: %v", method, target, err)
	}
	defer resp.Body.Close()
	reply.status = resp.StatusCode
	if reply.body, err = io.ReadAll(resp.Body); err != nil {
		t.Fatalf("%s %q: read the reply: %v", method, target, err)
	}
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s %q: %d is %q, want application/problem+json", method, target, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return reply
}

// rowCounts counts what a request may write: each entry is a table (with an optional
// " WHERE ..." condition), or "dev faults" for the fault registry.
func (fa *fuzzAPI) rowCounts(t *testing.T, what []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, w := range what {
		if w == "dev faults" {
			out[w] = fa.faults.count()
			continue
		}
		var n int
		if err := fa.env.App.Store.Pool().QueryRow(context.Background(), "SELECT count(*) FROM "+w).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", w, err)
		}
		out[w] = n
	}
	return out
}

// checkAudit checks that the request has exactly one audit event, completed with the
// reply's status.
func (fa *fuzzAPI) checkAudit(t *testing.T, what string, r fuzzReply) {
	t.Helper()
	rows, err := fa.env.App.Store.Pool().Query(context.Background(),
		`SELECT outcome, status FROM audit_events WHERE request_id = $1`, r.requestID)
	if err != nil {
		t.Fatalf("audit events of %s: %v", r.requestID, err)
	}
	type event struct {
		Outcome string
		Status  int
	}
	var events []event
	for rows.Next() {
		var e event
		if err := rows.Scan(&e.Outcome, &e.Status); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Outcome == domain.OutcomePending || events[0].Status != r.status {
		t.Errorf("%s answered %d; its audit events are %+v, want one completed with status %d", what, r.status, events, r.status)
	}
}

// checkReply applies the fuzz rules to a request: never 5xx; when bad (its input holds
// text the database cannot store), a 4xx that wrote nothing (before and after are
// rowCounts). audited says the route keeps an audit event, which every call then has.
func (fa *fuzzAPI) checkReply(t *testing.T, what string, r fuzzReply, bad, audited bool, before, after map[string]int) {
	t.Helper()
	if r.status >= 500 {
		t.Errorf("%s answered %d: %s", what, r.status, r.body)
	}
	if bad && (r.status < 400 || r.status >= 500) {
		t.Errorf("%s holds text the database cannot store and answered %d, want a 4xx: %s", what, r.status, r.body)
	}
	if bad {
		for k, n := range before {
			if after[k] != n {
				t.Errorf("%s holds text the database cannot store and changed %s: %d rows, then %d", what, k, n, after[k])
			}
		}
	}
	if audited {
		fa.checkAudit(t, what, r)
	}
}

// unstorableJSON reports whether a JSON body holds text the database cannot store: a NUL
// byte or invalid UTF-8 anywhere in its bytes, or a decoded string or key with a NUL.
func unstorableJSON(body []byte) bool {
	if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return !domain.StorableText(v)
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for k, e := range v {
				if !domain.StorableText(k) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// unstorableStrings are the texts the seeds put in every string field and parameter.
var unstorableStrings = []string{"a\x00b", "\x00", "\xff\xfe", "ok\xc3(", "\xed\xa0\x80"}

// unstorableLiterals are JSON string literals that decode to text the database cannot
// store, as a client could send them: escaped and raw NUL, invalid UTF-8.
var unstorableLiterals = [][]byte{
	[]byte(`"a\u0000b"`), []byte(`"\u0000"`), []byte("\"a\x00b\""),
	[]byte("\"\xff\xfe\""), []byte("\"ok\xc3(\""), []byte("\"\xed\xa0\x80\""),
}

// jsonStringPaths lists the JSON paths (keys and, for arrays, index 0) of every string
// a value of type t can hold, and of every map whose keys are strings (keys: true).
// Embedded structs are flattened as encoding/json does.
func jsonStringPaths(t reflect.Type) (values, keys [][]any) {
	var walk func(t reflect.Type, path []any)
	walk = func(t reflect.Type, path []any) {
		switch t.Kind() {
		case reflect.Pointer:
			walk(t.Elem(), path)
		case reflect.String:
			values = append(values, path)
		case reflect.Slice, reflect.Array:
			if t.Elem().Kind() != reflect.Uint8 {
				walk(t.Elem(), appendPath(path, 0))
			}
		case reflect.Map:
			if t.Key().Kind() == reflect.String {
				keys = append(keys, path)
				walk(t.Elem(), appendPath(path, "k"))
			}
		case reflect.Struct:
			for i := range t.NumField() {
				sf := t.Field(i)
				name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
				if name == "-" || (!sf.IsExported() && !sf.Anonymous) {
					continue
				}
				if sf.Anonymous && name == "" {
					walk(sf.Type, path)
					continue
				}
				if name == "" {
					name = sf.Name
				}
				walk(sf.Type, appendPath(path, name))
			}
		}
	}
	walk(t, nil)
	return values, keys
}

func appendPath(path []any, elem any) []any {
	return append(append([]any(nil), path...), elem)
}

// setJSONPath sets path in a decoded JSON document to v, creating the objects and arrays
// on the way, and returns the document.
func setJSONPath(doc any, path []any, v any) any {
	if len(path) == 0 {
		return v
	}
	switch elem := path[0].(type) {
	case string:
		m, ok := doc.(map[string]any)
		if !ok {
			m = map[string]any{}
		}
		m[elem] = setJSONPath(m[elem], path[1:], v)
		return m
	default:
		a, ok := doc.([]any)
		if !ok || len(a) == 0 {
			a = []any{nil}
		}
		a[0] = setJSONPath(a[0], path[1:], v)
		return a
	}
}

// markers stand in for an unstorable literal while a seed is encoded.
const (
	valueMarker = "@@fuzz-bad-value@@"
	keyMarker   = "@@fuzz-bad-key@@"
)

// unstorableSeeds are JSON bodies made from base (a valid input of the type) with each
// string field — and each key of each map — in turn set to each unstorable literal.
func unstorableSeeds(t testing.TB, base any) [][]byte {
	t.Helper()
	raw, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	values, keys := jsonStringPaths(reflect.TypeOf(base))
	if len(values) == 0 {
		t.Fatalf("%T has no string field", base)
	}
	var seeds [][]byte
	seed := func(path []any, value any, marker string) {
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(setJSONPath(doc, path, value))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`"`+marker+`"`)) {
			t.Fatalf("the seed of %v in %T lost its marker: %s", path, base, b)
		}
		for _, lit := range unstorableLiterals {
			seeds = append(seeds, bytes.Replace(b, []byte(`"`+marker+`"`), lit, 1))
		}
	}
	for _, p := range values {
		seed(p, valueMarker, valueMarker)
	}
	for _, p := range keys {
		seed(p, map[string]any{keyMarker: nil}, keyMarker)
	}
	return seeds
}

// fuzzBody is a fuzz target of one JSON input type: method path with a body, base a
// valid input whose fields the seeds spoil one at a time, counted what a bad body must
// not change (see rowCounts).
func fuzzBody(f *testing.F, method, path string, base any, counted ...string) {
	f.Helper()
	fa := startFuzzAPI(f)
	for _, s := range unstorableSeeds(f, base) {
		f.Add(s)
	}
	path = strings.ReplaceAll(path, "{operation}", fa.operation)
	f.Fuzz(func(t *testing.T, body []byte) {
		before := fa.rowCounts(t, counted)
		r := fa.send(t, method, path, "", body)
		after := fa.rowCounts(t, counted)
		what := fmt.Sprintf("%s %s with %q", method, path, body)
		fa.checkReply(t, what, r, unstorableJSON(body), true, before, after)
	})
}

// routeURL is rt's URL path with its parameters: values[i] for the i-th, escaped as a
// client would. It returns the values the router will see, as the server parses the
// request line (an escaped "/" keeps its escapes in the value).
func routeURL(rt api.RouteInfo, values []string) (string, []string) {
	var b strings.Builder
	n := 0
	for seg := range strings.SplitSeq(strings.TrimPrefix(rt.Pattern, "/"), "/") {
		b.WriteByte('/')
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			b.WriteString(url.PathEscape(values[n]))
			n++
			continue
		}
		b.WriteString(seg)
	}
	path := b.String()
	u, err := url.ParseRequestURI(path)
	if err != nil {
		return path, values
	}
	routed := u.RawPath
	if routed == "" {
		routed = u.Path
	}
	var seen []string
	patternSegs := strings.Split(strings.TrimPrefix(rt.Pattern, "/"), "/")
	routedSegs := strings.Split(strings.TrimPrefix(routed, "/"), "/")
	if len(patternSegs) != len(routedSegs) {
		return path, nil
	}
	for i, seg := range patternSegs {
		if strings.HasPrefix(seg, "{") {
			seen = append(seen, routedSegs[i])
		}
	}
	return path, seen
}

// routeParams are the names of rt's path parameters, in order.
func routeParams(rt api.RouteInfo) []string {
	var out []string
	for seg := range strings.SplitSeq(rt.Pattern, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.Trim(seg, "{}"))
		}
	}
	return out
}
