package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"
	"gopkg.in/yaml.v3"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/metrics"
)

// The contract tests prove that api/openapi.yaml (the embedded OpenAPI bytes) and the
// server agree: the same endpoints, the roles and audit actions of the route table, auth
// and error responses on every /api/v1 operation, resolvable references, and schemas whose
// properties are the JSON fields of the Go types the handlers encode and decode.

var oasMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// contractAPI is an API without a store: enough to walk the routes and serve the contract.
// It has a fault registry, as in dev mode, so that the dev routes are walked too.
func contractAPI() *API {
	return New(Config{Metrics: metrics.New(), Logger: slog.New(slog.DiscardHandler), DevFaults: noDevFaults{}})
}

// noDevFaults is a DevFaults without rules that accepts none.
type noDevFaults struct{}

func (noDevFaults) List() DevFaultList              { return DevFaultList{} }
func (noDevFaults) Add(spec string) (string, error) { return "", fmt.Errorf("no rules here") }
func (noDevFaults) Clear()                          {}

// authenticated reports whether a path needs a token: the API's and dev mode's.
func authenticated(path string) bool {
	return strings.HasPrefix(path, "/api/v1/") || strings.HasPrefix(path, "/dev/")
}

// contractDoc is the OpenAPI document as generic YAML values, for JSON-pointer lookups.
func contractDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if len(doc) == 0 {
		t.Fatal("openapi.yaml is empty")
	}
	return doc
}

// oasMap returns v as a map, or nil.
func oasMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// oasList returns v as a list, or nil.
func oasList(v any) []any {
	l, _ := v.([]any)
	return l
}

// resolve follows a local reference ("#/components/...") in doc.
func oasResolve(doc map[string]any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("reference %q is not local to the document", ref)
	}
	var cur any = doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m := oasMap(cur)
		if m == nil {
			return nil, fmt.Errorf("reference %q: %q is not inside an object", ref, tok)
		}
		next, ok := m[tok]
		if !ok {
			return nil, fmt.Errorf("reference %q: no %q", ref, tok)
		}
		cur = next
	}
	return cur, nil
}

// deref returns v itself, or what its $ref points at (following chains of references).
func oasDeref(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	for range 10 {
		m := oasMap(v)
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		next, err := oasResolve(doc, ref)
		if err != nil {
			t.Fatal(err)
		}
		v = next
	}
	t.Fatalf("reference chain too long at %v", v)
	return nil
}

// oasOperations returns every operation of the document by "METHOD /path".
func oasOperations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths := oasMap(doc["paths"])
	if paths == nil {
		t.Fatal("openapi.yaml has no paths")
	}
	ops := map[string]map[string]any{}
	for path, item := range paths {
		for key, op := range oasMap(item) {
			if !slices.Contains(oasMethods, key) {
				continue
			}
			ops[strings.ToUpper(key)+" "+path] = oasMap(op)
		}
	}
	return ops
}

// contractRouterRoutes lists the router's endpoints as "METHOD /path", without the portal's.
func contractRouterRoutes(t *testing.T) map[string]bool {
	t.Helper()
	rs, ok := contractAPI().Handler().(chi.Routes)
	if !ok {
		t.Fatalf("Handler() is a %T, not chi.Routes", contractAPI().Handler())
	}
	got := map[string]bool{}
	err := chi.Walk(rs, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route == "/" || strings.HasPrefix(route, "/portal/") || strings.Contains(route, "*") {
			return nil // the portal, and chi's catch-all entries
		}
		got[method+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatalf("walk routes: %v", err)
	}
	if len(got) == 0 {
		t.Fatal("the router has no routes")
	}
	return got
}

func oasSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestOpenAPIParsesAndIsServed(t *testing.T) {
	onDisk, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, OpenAPI) {
		t.Fatal("the embedded OpenAPI bytes differ from api/openapi.yaml")
	}
	doc := contractDoc(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi = %q, want a 3.x version", v)
	}

	srv := httptest.NewServer(contractAPI().Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/openapi.yaml = %d %s", resp.StatusCode, body.String())
	}
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "yaml") {
		t.Errorf("Content-Type = %q, want a YAML type", ct)
	}
	if !bytes.Equal(body.Bytes(), OpenAPI) {
		t.Error("GET /api/openapi.yaml does not serve the embedded document")
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on the reply")
	}
}

// TestOpenAPIValidates loads the document with kin-openapi and validates it against the
// OpenAPI specification (3.1 rules for a 3.1 document), including its examples.
func TestOpenAPIValidates(t *testing.T) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(OpenAPI)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
}

func TestContractRoutesMatchRouter(t *testing.T) {
	doc := contractDoc(t)
	ops := oasOperations(t, doc)
	router := contractRouterRoutes(t)

	for _, key := range oasSortedKeys(router) {
		if _, ok := ops[key]; !ok {
			t.Errorf("router serves %s, which openapi.yaml does not document", key)
		}
	}
	for _, key := range oasSortedKeys(ops) {
		if !router[key] {
			t.Errorf("openapi.yaml documents %s, which the router does not serve", key)
		}
	}

	// The route table and the router agree too (the router is built from it).
	a := contractAPI()
	for _, rt := range append(a.routes(), a.publicRoutes()...) {
		if !router[rt.method+" "+rt.pattern] {
			t.Errorf("route table entry %s %s is not in the router", rt.method, rt.pattern)
		}
	}
}

func TestContractRolesAndAuditActions(t *testing.T) {
	doc := contractDoc(t)
	ops := oasOperations(t, doc)
	a := contractAPI()
	roles := []string{string(domain.RoleAdmin), string(domain.RoleOperator), string(domain.RoleViewer)}

	for _, rt := range a.routes() {
		key := rt.method + " " + rt.pattern
		op, ok := ops[key]
		if !ok {
			continue // reported by TestContractRoutesMatchRouter
		}
		if rt.role == "" || !slices.Contains(roles, string(rt.role)) {
			t.Errorf("route %s has role %q, not one of %v", key, rt.role, roles)
		}
		if got, _ := op["x-required-role"].(string); got != string(rt.role) {
			t.Errorf("%s: x-required-role = %q, the router requires %q", key, got, rt.role)
		}
		got, has := op["x-audit-action"].(string)
		switch {
		case rt.action == "" && has:
			t.Errorf("%s: x-audit-action = %q, but the router audits nothing", key, got)
		case rt.action != "" && got != rt.action:
			t.Errorf("%s: x-audit-action = %q, the router audits %q", key, got, rt.action)
		}
		if rt.method != http.MethodGet && rt.action == "" {
			t.Errorf("route %s mutates but has no audit action", key)
		}
	}
	for _, rt := range a.publicRoutes() {
		key := rt.method + " " + rt.pattern
		op, ok := ops[key]
		if !ok {
			continue
		}
		for _, ext := range []string{"x-required-role", "x-audit-action"} {
			if v, has := op[ext]; has {
				t.Errorf("public %s has %s %v", key, ext, v)
			}
		}
	}
}

// oasSecurity is the security requirement of op: its own or the document's.
func oasSecurity(doc, op map[string]any) []any {
	if s, ok := op["security"]; ok {
		return oasList(s)
	}
	return oasList(doc["security"])
}

func TestContractAuthAndErrorResponses(t *testing.T) {
	doc := contractDoc(t)
	ops := oasOperations(t, doc)

	// The bearer scheme the operations name.
	schemes := oasMap(oasMap(doc["components"])["securitySchemes"])
	var bearer []string
	for name, s := range schemes {
		s := oasMap(s)
		if s["type"] == "http" && strings.EqualFold(fmt.Sprint(s["scheme"]), "bearer") {
			bearer = append(bearer, name)
		}
	}
	if len(bearer) == 0 {
		t.Fatal("components.securitySchemes has no http bearer scheme")
	}

	for _, key := range oasSortedKeys(ops) {
		op := ops[key]
		method, path, _ := strings.Cut(key, " ")
		responses := oasMap(op["responses"])
		if len(responses) == 0 {
			t.Errorf("%s lists no responses", key)
			continue
		}
		sec := oasSecurity(doc, op)
		if authenticated(path) {
			found := false
			for _, req := range sec {
				for name := range oasMap(req) {
					found = found || slices.Contains(bearer, name)
				}
			}
			if !found {
				t.Errorf("%s does not require the bearer token", key)
			}
			for _, code := range []string{"401", "403"} {
				if _, ok := responses[code]; !ok {
					t.Errorf("%s does not list %s", key, code)
				}
			}
			if r := oasDeref(t, doc, responses["401"]); r != nil && oasMap(r["headers"])["WWW-Authenticate"] == nil {
				t.Errorf("%s: 401 does not document WWW-Authenticate", key)
			}
			for code, r := range responses {
				if code[0] != '4' && code[0] != '5' {
					continue
				}
				if _, ok := oasMap(oasDeref(t, doc, r)["content"])["application/problem+json"]; !ok {
					t.Errorf("%s: %s is not application/problem+json", key, code)
				}
			}
		} else if len(sec) != 0 {
			t.Errorf("%s is public but its security is %v; want security: []", key, sec)
		}

		body, hasBody := op["requestBody"]
		switch method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			if !hasBody {
				break
			}
			for _, code := range []string{"400", "415"} {
				if _, ok := responses[code]; !ok {
					t.Errorf("%s takes a body but does not list %s", key, code)
				}
			}
			if _, ok := oasMap(oasDeref(t, doc, body)["content"])["application/json"]; !ok {
				t.Errorf("%s: the request body is not application/json", key)
			}
		default:
			if hasBody {
				t.Errorf("%s has a request body", key)
			}
		}

		// Accepted replies carry the operation and say where to follow it.
		if r, ok := responses["202"]; ok {
			if oasMap(oasDeref(t, doc, r)["headers"])["Location"] == nil {
				t.Errorf("%s: 202 without a Location header", key)
			}
			if !strings.HasSuffix(fmt.Sprint(oasMap(oasMap(oasMap(oasDeref(t, doc, r)["content"])["application/json"])["schema"])["$ref"]), "/OperationReply") {
				t.Errorf("%s: 202 is not an OperationReply", key)
			}
		}
	}
}

var oasPathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

// TestContractPathParameters checks that every {param} of a path is declared in: path.
func TestContractPathParameters(t *testing.T) {
	doc := contractDoc(t)
	for path, item := range oasMap(doc["paths"]) {
		item := oasMap(item)
		for _, method := range oasMethods {
			op := oasMap(item[method])
			if op == nil {
				continue
			}
			declared := map[string]bool{}
			for _, p := range append(oasList(item["parameters"]), oasList(op["parameters"])...) {
				p := oasDeref(t, doc, p)
				if p["in"] == "path" {
					declared[fmt.Sprint(p["name"])] = true
					if p["required"] != true {
						t.Errorf("%s %s: path parameter %v is not required", method, path, p["name"])
					}
				}
			}
			want := map[string]bool{}
			for _, m := range oasPathParamRE.FindAllStringSubmatch(path, -1) {
				want[m[1]] = true
				if !declared[m[1]] {
					t.Errorf("%s %s: path parameter %s is not declared", method, path, m[1])
				}
			}
			for name := range declared {
				if !want[name] {
					t.Errorf("%s %s: declares path parameter %s, which the path lacks", method, path, name)
				}
			}
		}
	}
}

// TestContractRefsResolve checks that every $ref in the document points at something.
func TestContractRefsResolve(t *testing.T) {
	doc := contractDoc(t)
	n := 0
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"]; ok {
				n++
				s, isString := ref.(string)
				if !isString {
					t.Errorf("%s: $ref is %v, not a string", at, ref)
				} else if _, err := oasResolve(doc, s); err != nil {
					t.Errorf("%s: %v", at, err)
				}
			}
			for k, e := range v {
				walk(at+"/"+k, e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s/%d", at, i), e)
			}
		}
	}
	walk("#", doc)
	if n == 0 {
		t.Error("no $ref found; the walk is broken")
	}
}

// oasSchemaShape is the properties and required properties of a schema, allOf flattened.
func oasSchemaShape(t *testing.T, doc map[string]any, s map[string]any) (props, required map[string]bool) {
	t.Helper()
	props, required = map[string]bool{}, map[string]bool{}
	s = oasDeref(t, doc, s)
	for name := range oasMap(s["properties"]) {
		props[name] = true
	}
	for _, r := range oasList(s["required"]) {
		required[fmt.Sprint(r)] = true
	}
	for _, part := range oasList(s["allOf"]) {
		p, r := oasSchemaShape(t, doc, oasMap(part))
		for k := range p {
			props[k] = true
		}
		for k := range r {
			required[k] = true
		}
	}
	return props, required
}

// goJSONShape is the JSON fields of a Go struct type (embedded structs flattened) and which
// of them are always present (no omitempty).
func goJSONShape(typ reflect.Type) (fields, always map[string]bool) {
	fields, always = map[string]bool{}, map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				ef, ea := goJSONShape(ft)
				for k := range ef {
					fields[k] = true
				}
				for k := range ea {
					always[k] = true
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = true
		if !slices.Contains(strings.Split(opts, ","), "omitempty") {
			always[name] = true
		}
	}
	return fields, always
}

// TestContractSchemasMatchGoTypes checks every schema against the Go type behind it: the
// same JSON field names; for replies, required exactly when the field is always encoded;
// for request bodies, no unknown fields (the decoder rejects them).
func TestContractSchemasMatchGoTypes(t *testing.T) {
	doc := contractDoc(t)
	schemas := oasMap(oasMap(doc["components"])["schemas"])

	replies := map[string]any{
		"Problem":          Problem{},
		"FieldError":       domain.FieldError{},
		"APIToken":         domain.APIToken{},
		"TokenCreated":     TokenCreated{},
		"Whoami":           Whoami{},
		"SessionInfo":      SessionInfo{},
		"SessionUser":      SessionUser{},
		"LoginToken":       LoginToken{},
		"TokenList":        List[domain.APIToken]{},
		"VCenter":          domain.VCenter{},
		"VCenterCreated":   VCenterCreated{},
		"VCenterList":      List[domain.VCenter]{},
		"Inventory":        domain.Inventory{},
		"InventoryObject":  domain.InventoryObject{},
		"DatastoreInfo":    domain.DatastoreInfo{},
		"TemplateInfo":     domain.TemplateInfo{},
		"NetworkInfo":      domain.NetworkInfo{},
		"ComputeInfo":      domain.ComputeInfo{},
		"IPPool":           domain.IPPool{},
		"IPLease":          domain.IPLease{},
		"IPPoolList":       List[domain.IPPool]{},
		"VersionList":      domain.VersionList{},
		"ClusterSpec":      domain.ClusterSpec{},
		"Placement":        domain.Placement{},
		"NodeShape":        domain.NodeShape{},
		"WorkerPool":       domain.WorkerPool{},
		"NetworkSpec":      domain.NetworkSpec{},
		"AddonsSpec":       domain.AddonsSpec{},
		"AntreaSpec":       domain.AntreaSpec{},
		"CSISpec":          domain.CSISpec{},
		"KubeSphereSpec":   domain.KubeSphereSpec{},
		"Cluster":          domain.Cluster{},
		"Node":             domain.Node{},
		"Addon":            domain.Addon{},
		"ClusterList":      List[domain.Cluster]{},
		"ClusterDetail":    ClusterReply{},
		"Target":           domain.Target{},
		"Operation":        domain.Operation{},
		"Step":             domain.Step{},
		"StepRun":          domain.StepRun{},
		"StepAttempt":      domain.StepAttempt{},
		"Decision":         domain.Decision{},
		"ActiveOperation":  domain.ActiveOperation{},
		"OperationReply":   OperationReply{},
		"OperationList":    List[domain.Operation]{},
		"AuditEvent":       domain.AuditEvent{},
		"AuditList":        List[domain.AuditEvent]{},
		"DevFaultList":     DevFaultList{},
		"DevFault":         DevFault{},
		"ClusterSetRef":    domain.ClusterSetRef{},
		"ClusterSetSpec":   domain.ClusterSetSpec{},
		"ClusterSet":       domain.ClusterSet{},
		"ClusterSetMember": domain.ClusterSetMember{},
		"MemberGateway":    domain.MemberGateway{},
		"ClusterSetList":   List[domain.ClusterSet]{},
		"Certificate":      domain.Certificate{},
		"Backup":           domain.Backup{},
		"BackupList":       List[domain.Backup]{},
		"CertificateList":  CertificatesReply{},
		"Schedule":         domain.Schedule{},
		"ScheduleRun":      domain.ScheduleRun{},
		"RunCounts":        domain.RunCounts{},
		"ScheduledTarget":  domain.ScheduledTarget{},
		"ScheduleList":     List[domain.Schedule]{},
		"Project":          domain.Project{},
		"ProjectMember":    domain.ProjectMember{},
		"Quotas":           domain.Quotas{},
		"PlacementScope":   domain.PlacementScope{},
		"ProjectUsage":     domain.ProjectUsage{},
		"Resources":        domain.Resources{},
		"ProjectDetail":    ProjectReply{},
		"ProjectList":      List[domain.Project]{},
	}
	requests := map[string]any{
		"DevFaultInput":       DevFault{},
		"TokenInput":          domain.TokenInput{},
		"LoginTokenRequest":   LoginTokenRequest{},
		"VCenterInput":        domain.VCenterInput{},
		"IPPoolInput":         domain.IPPoolInput{},
		"ClusterSpecInput":    ClusterRequest{},
		"PlacementInput":      domain.Placement{},
		"ControlPlaneInput":   domain.NodeShape{},
		"WorkerPoolInput":     domain.WorkerPool{},
		"NetworkSpecInput":    domain.NetworkSpec{},
		"AddonsSpecInput":     domain.AddonsSpec{},
		"AntreaInput":         domain.AntreaSpec{},
		"CSIInput":            domain.CSISpec{},
		"KubeSphereInput":     domain.KubeSphereSpec{},
		"ClusterSetInput":     ClusterSetRequest{},
		"ClusterSetJoinInput": ClusterSetJoinRequest{},
		"ScheduleInput":       domain.ScheduleInput{},
		"BackupInput":         domain.BackupRequest{},
		"BackupScheduleInput": BackupScheduleRequest{},
		"UpgradeInput":        domain.UpgradeRequest{},
		"ScaleInput":          domain.ScaleRequest{},
		"ReplaceInput":        domain.ReplaceRequest{},
		"ProjectInput":        domain.ProjectInput{},
		"ProjectPatch":        domain.ProjectPatch{},
		"ProjectMemberInput":  domain.ProjectMember{},
		"QuotasInput":         domain.Quotas{},
		"PlacementScopeInput": domain.PlacementScope{},
	}
	check := func(name string, v any, reply bool) {
		s := oasMap(schemas[name])
		if s == nil {
			t.Errorf("components.schemas has no %s", name)
			return
		}
		if oasMap(s)["description"] == nil {
			t.Errorf("schema %s has no description", name)
		}
		props, required := oasSchemaShape(t, doc, s)
		fields, always := goJSONShape(reflect.TypeOf(v))
		for _, f := range oasSortedKeys(fields) {
			if !props[f] {
				t.Errorf("schema %s lacks property %q of %T", name, f, v)
			}
		}
		for _, p := range oasSortedKeys(props) {
			if !fields[p] {
				t.Errorf("schema %s has property %q, which %T does not have", name, p, v)
			}
		}
		for _, r := range oasSortedKeys(required) {
			if !props[r] {
				t.Errorf("schema %s requires %q, which it does not define", name, r)
			}
		}
		if reply {
			for _, f := range oasSortedKeys(fields) {
				if always[f] != required[f] {
					t.Errorf("schema %s: %q required=%v, but %T always encodes it: %v", name, f, required[f], v, always[f])
				}
			}
		} else if s["additionalProperties"] != false {
			t.Errorf("request schema %s must say additionalProperties: false (the decoder rejects unknown fields)", name)
		}
	}
	for _, name := range oasSortedKeys(replies) {
		check(name, replies[name], true)
	}
	for _, name := range oasSortedKeys(requests) {
		check(name, requests[name], false)
	}

	// Secrets are write-only and appear in no reply.
	pw := oasMap(oasMap(oasMap(schemas["VCenterInput"])["properties"])["password"])
	if pw["writeOnly"] != true {
		t.Error("VCenterInput.password is not writeOnly")
	}
	for _, name := range oasSortedKeys(replies) {
		props, _ := oasSchemaShape(t, doc, oasMap(schemas[name]))
		for _, secret := range []string{"password", "password_sealed", "token_hash", "kubeconfig", "private_key"} {
			if props[secret] {
				t.Errorf("reply schema %s has secret property %q", name, secret)
			}
		}
	}
}

// TestContractEnums checks the documented enums against the server's values.
func TestContractEnums(t *testing.T) {
	doc := contractDoc(t)
	schemas := oasMap(oasMap(doc["components"])["schemas"])
	enum := func(s map[string]any) []string {
		var out []string
		for _, v := range oasList(s["enum"]) {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	want := map[string][]string{
		"Role":           {string(domain.RoleAdmin), string(domain.RoleOperator), string(domain.RoleViewer)},
		"ClusterPhase":   domain.ClusterPhases,
		"OperationState": domain.OperationStates,
		"StepState": {domain.StepPending, domain.StepRunning, domain.StepSucceeded, domain.StepFailed,
			domain.StepCanceled, domain.StepSkipped},
		"AuditOutcome":          {domain.OutcomePending, domain.OutcomeSuccess, domain.OutcomeFailure, domain.OutcomeDenied},
		"ClusterSetPhase":       domain.ClusterSetPhases,
		"ClusterSetMemberState": domain.MemberStates,
		"ScheduleKind":          domain.ScheduleKinds,
		"RunOutcome":            {domain.RunSucceeded, domain.RunFailed, domain.RunPartiallyFailed, domain.RunSkipped},
	}
	for name, values := range want {
		got := enum(oasMap(schemas[name]))
		if !slices.Equal(oasSorted(got), oasSorted(values)) {
			t.Errorf("schema %s enum = %v, the server uses %v", name, got, values)
		}
	}
	for _, name := range []string{"ClusterSetInput", "ClusterSetSpec"} {
		props := oasMap(oasMap(schemas[name])["properties"])
		if got := enum(oasMap(props["gateway_ip_precedence"])); !slices.Equal(got, []string{domain.GatewayIPPrivate, domain.GatewayIPPublic}) {
			t.Errorf("%s.gateway_ip_precedence enum = %v", name, got)
		}
		if got := enum(oasMap(props["endpoint_ip_type"])); !slices.Equal(got, []string{domain.EndpointIPTypeCluster, domain.EndpointIPTypePod}) {
			t.Errorf("%s.endpoint_ip_type enum = %v", name, got)
		}
	}
	kinds := enum(oasMap(oasMap(oasMap(schemas["InventoryObject"])["properties"])["kind"]))
	if !slices.Equal(oasSorted(kinds), oasSorted(domain.InventoryKinds)) {
		t.Errorf("InventoryObject.kind enum = %v, the server uses %v", kinds, domain.InventoryKinds)
	}

	// Every role named by x-required-role is a Role.
	roles := enum(oasMap(schemas["Role"]))
	for key, op := range oasOperations(t, doc) {
		if r, ok := op["x-required-role"]; ok && !slices.Contains(roles, fmt.Sprint(r)) {
			t.Errorf("%s: x-required-role %v is not a Role", key, r)
		}
	}

	// Pagination limits match the store's.
	limit := oasMap(oasMap(oasMap(oasMap(doc["components"])["parameters"])["Limit"])["schema"])
	if fmt.Sprint(limit["minimum"]) != "1" || fmt.Sprint(limit["maximum"]) != fmt.Sprint(inventory.MaxLimit) ||
		fmt.Sprint(limit["default"]) != fmt.Sprint(inventory.DefaultLimit) {
		t.Errorf("Limit parameter = %v, want 1..%d, default %d", limit, inventory.MaxLimit, inventory.DefaultLimit)
	}
}

func oasSorted(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}

// TestContractRepliesMatchSchemas encodes what the handlers send, as they encode it, and
// validates the JSON against the documented schemas (JSON Schema 2020-12, formats on).
func TestContractRepliesMatchSchemas(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	validate := func(name string, v any, opts ...openapi3.SchemaValidationOption) error {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			return fmt.Errorf("no schema %s", name)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var value any
		if err := json.Unmarshal(b, &value); err != nil {
			return err
		}
		opts = append(opts, openapi3.EnableJSONSchema2020(), openapi3.EnableFormatValidation())
		if err := ref.Value.VisitJSON(value, opts...); err != nil {
			return fmt.Errorf("%s\n%s", err, b)
		}
		return nil
	}

	now := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	later := now.Add(time.Hour)
	token := domain.APIToken{ID: "5d0f6a3e-2b1c-4e8f-9a7d-6c5b4a392817", Name: "ci", Role: domain.RoleOperator,
		CreatedBy: "admin", CreatedAt: now, LastUsedAt: &later}
	vc := domain.VCenter{ID: "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968", Name: "vc1", Server: "https://vc.example.com/sdk",
		Username: "administrator@vsphere.local", Thumbprint: "AB:CD", CreatedAt: now, UpdatedAt: now, SyncedAt: &later}
	running := domain.Operation{ID: "0b6f0c1e-4d1a-4b9e-9a55-2f4f1c8d7e10", Kind: domain.OpSyncInventory,
		Target: domain.Target{Kind: "vcenter", ID: vc.ID, Name: vc.Name}, Actor: "admin", RequestID: "r1",
		State: domain.OpRunning, WorkflowID: "vcenter-sync-1", RunID: "run-1", Steps: []domain.Step{}, CreatedAt: now, UpdatedAt: now}
	done := running
	done.State, done.Error, done.FinishedAt = domain.OpFailed, "boom", &later
	done.Params = json.RawMessage(`{"pool":"default","replicas":3}`)
	done.FailurePolicy = domain.FailurePolicy{OnFailure: domain.OnFailureWait, DecisionTimeout: "24h0m0s"}
	done.Steps = []domain.Step{
		{Name: "collect-inventory", State: domain.StepFailed, Attempts: 3, StartedAt: &now, FinishedAt: &later, Error: "boom",
			Runs: []domain.StepRun{
				{Run: 1, State: domain.StepFailed, Actor: "admin", StartedAt: now, FinishedAt: &later, Error: "boom",
					Attempts: []domain.StepAttempt{{Attempt: 1, State: domain.StepFailed, StartedAt: now, FinishedAt: &later, Error: "boom"},
						{Attempt: 2, State: domain.StepRunning, StartedAt: later}}},
				{Run: 2, State: domain.StepRunning, Actor: "alice", StartedAt: later, Attempts: []domain.StepAttempt{}}}},
		{Name: "record", State: domain.StepSkipped, Runs: []domain.StepRun{}},
		{Name: "notify", State: domain.StepPending, Runs: []domain.StepRun{}},
	}
	waiting := running
	waiting.State = domain.OpAwaitingDecision
	waiting.Decision = &domain.Decision{Step: "collect-inventory", Reason: "boom", Since: now, Deadline: later}
	yes := true
	spec := domain.ClusterSpec{Name: "dev-east", VCenter: "vc1",
		Placement: domain.Placement{Datacenter: "DC0", ComputeCluster: "DC0_C0", Datastore: "LocalDS_0",
			Network: "VM Network", Template: "ubuntu-2404-kube-v1.34"},
		KubernetesVersion: "v1.34.2",
		ControlPlane:      domain.NodeShape{Replicas: 1, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60},
		WorkerPools:       []domain.WorkerPool{{Name: "default", NodeShape: domain.NodeShape{Replicas: 2, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60}}},
		Network:           domain.NetworkSpec{IPPool: "lab", PodCIDR: "10.10.0.0/16", ServiceCIDR: "10.96.0.0/16", ControlPlaneEndpoint: "10.0.0.5"},
		Addons: domain.AddonsSpec{Antrea: &domain.AntreaSpec{Multicluster: true, TrafficEncryption: "none"},
			VSphereCPI: &struct{}{}, VSphereCSI: &domain.CSISpec{StoragePolicy: "vSAN Default Storage Policy", DefaultClass: &yes},
			KubeSphere: &domain.KubeSphereSpec{Enabled: true, Role: "host"}},
	}
	noPools := spec
	noPools.WorkerPools, noPools.Addons = nil, domain.AddonsSpec{}
	cluster := domain.Cluster{ID: "c1", Name: "dev-east", VCenter: "vc1", Spec: spec, Phase: domain.PhaseReady,
		ControlPlaneEndpoint: "10.0.0.5:6443", CertificateExpiry: &later, CreatedBy: "admin", CreatedAt: now, UpdatedAt: now,
		Nodes: []domain.Node{{Name: "dev-east-cp-0", Role: "control-plane", IP: "10.0.0.11", VM: "vm-42", KubeletVersion: "v1.34.2", Ready: true},
			{Name: "dev-east-default-0", Role: "worker", Pool: "default"}},
		Addons:    []domain.Addon{{Name: "antrea", ChartVersion: "2.4.0", Status: "deployed"}},
		Operation: &domain.ActiveOperation{ID: waiting.ID, Kind: domain.OpDeleteCluster, State: waiting.State, Decision: waiting.Decision}}
	member := cluster
	member.Operation, member.ClusterSet = nil, &domain.ClusterSetRef{Name: "lab", Leader: true}
	setSpec := domain.ClusterSetSpec{Name: "lab", Leader: "dev-east", Members: []string{"dev-west"},
		Gateways:            map[string]domain.NodeList{"dev-west": {"dev-west-md-default-0", "dev-west-md-default-1"}},
		GatewayIPPrecedence: domain.GatewayIPPrivate, EndpointIPType: domain.EndpointIPTypeCluster}
	clusterSet := domain.ClusterSet{ID: "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c", Name: "lab", Leader: "dev-east", Spec: setSpec,
		Phase: domain.ClusterSetDegraded, PhaseReason: "dev-west is not ready", CreatedBy: "op", CreatedAt: now, UpdatedAt: later,
		Operation: &domain.ActiveOperation{ID: running.ID, Kind: domain.OpJoinClusterSet, State: domain.OpRunning},
		Members: []domain.ClusterSetMember{
			{Cluster: "dev-east", ClusterID: "c1", Leader: true, State: domain.MemberJoined, UpdatedAt: now,
				ClusterSetMemberStatus: domain.ClusterSetMemberStatus{Ready: true,
					Gateway: domain.MemberGateway{Active: "dev-east-md-default-0", Candidates: []string{"dev-east-md-default-0", "dev-east-md-default-1"}},
					Imports: []string{"dev-west"}}},
			{Cluster: "dev-west", ClusterID: "c3", State: domain.MemberJoining, UpdatedAt: now,
				ClusterSetMemberStatus: domain.ClusterSetMemberStatus{Message: "waiting for the member controller",
					Gateway: domain.MemberGateway{Candidates: []string{}}, Imports: []string{}}},
		}}
	newSet := domain.ClusterSet{ID: clusterSet.ID, Name: "solo", Leader: "dev-east", Phase: domain.ClusterSetPending, CreatedAt: now, UpdatedAt: now,
		Spec: domain.ClusterSetSpec{Name: "solo", Leader: "dev-east", Members: []string{}, GatewayIPPrecedence: "public", EndpointIPType: "PodIP"},
		Members: []domain.ClusterSetMember{{Cluster: "dev-east", ClusterID: "c1", Leader: true, State: domain.MemberJoining, UpdatedAt: now,
			ClusterSetMemberStatus: domain.ClusterSetMemberStatus{Gateway: domain.MemberGateway{Candidates: []string{}}, Imports: []string{}}}}}
	pending := domain.Cluster{ID: "c2", Name: "new", Spec: noPools, Phase: domain.PhasePending, Nodes: []domain.Node{}, Addons: []domain.Addon{}}
	pool := domain.IPPool{ID: "p1", Name: "lab", CIDR: "10.0.0.0/24", RangeStart: "10.0.0.10", RangeEnd: "10.0.0.99",
		Gateway: "10.0.0.1", DNS: []string{"10.0.0.2"}, Size: 90, Free: 89, CreatedAt: now,
		Leases: []domain.IPLease{{Address: "10.0.0.10", Owner: "dev-east-cp-0", ClusterID: "c1", LeasedAt: now}}}
	listed := pool
	listed.Leases = nil // as listIPPools sends it
	obj := func(kind string) domain.InventoryObject {
		return domain.InventoryObject{Kind: kind, Moref: kind + "-1", Name: kind, Path: "/DC0/" + kind, Datacenter: "DC0", Parent: "group-1"}
	}
	ds, tmpl, nw, cc := obj(domain.KindDatastore), obj(domain.KindTemplate), obj(domain.KindNetwork), obj(domain.KindComputeCluster)
	ds.Datastore = &domain.DatastoreInfo{Type: "VMFS", URL: "ds:///vmfs/volumes/1/", CapacityBytes: 1 << 40, FreeBytes: 1 << 39, Accessible: true}
	tmpl.Template = &domain.TemplateInfo{GuestID: "ubuntu64Guest", GuestFullName: "Ubuntu Linux (64-bit)", HardwareVersion: 19, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40}
	nw.Network = &domain.NetworkInfo{Type: "DistributedVirtualPortgroup"}
	cc.Compute = &domain.ComputeInfo{Hosts: 3, CPUMhz: 72000, MemoryBytes: 1 << 38}
	dc := obj(domain.KindDatacenter)
	dc.Datacenter = ""
	inv := domain.Inventory{VCenter: "vc1", SyncedAt: &now, Datacenters: []domain.InventoryObject{dc},
		ComputeClusters: []domain.InventoryObject{cc}, Hosts: []domain.InventoryObject{obj(domain.KindHost)},
		ResourcePools: []domain.InventoryObject{obj(domain.KindResourcePool)}, Folders: []domain.InventoryObject{obj(domain.KindFolder)},
		Datastores: []domain.InventoryObject{ds}, Networks: []domain.InventoryObject{nw}, Templates: []domain.InventoryObject{tmpl}}
	emptyInv := domain.Inventory{VCenter: "vc2", Datacenters: []domain.InventoryObject{}, ComputeClusters: []domain.InventoryObject{},
		Hosts: []domain.InventoryObject{}, ResourcePools: []domain.InventoryObject{}, Folders: []domain.InventoryObject{},
		Datastores: []domain.InventoryObject{}, Networks: []domain.InventoryObject{}, Templates: []domain.InventoryObject{}}
	schedule := domain.Schedule{ID: "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d", ScheduleInput: domain.ScheduleInput{Kind: domain.ScheduleBackup,
		Cluster: "dev-east", Cron: "0 3 * * *", Overlap: domain.OverlapSkip, ScheduleParams: domain.ScheduleParams{Retention: 7}},
		CreatedBy: "op", CreatedAt: now, NextRuns: []time.Time{later}}
	lastRun := schedule
	lastRun.Cluster, lastRun.Cron, lastRun.Every, lastRun.Paused, lastRun.NextRuns = "*", "", "1h", true, []time.Time{}
	lastRun.LastRun = &domain.ScheduleRun{Time: now, FinishedAt: later, Outcome: domain.RunSucceeded, Operations: []string{running.ID},
		Counts: domain.RunCounts{Succeeded: 1, Skipped: 1}, Targets: []domain.ScheduledTarget{
			{Cluster: "dev-east", Operation: running.ID, Outcome: domain.RunSucceeded},
			{Cluster: "dev-west", Outcome: domain.RunSkipped, Reason: "cluster dev-west is busy with operation x"}}}
	audit := domain.AuditEvent{ID: 7, At: now, Actor: "admin", Action: "token.create", Target: "token/ci", RequestID: "r1",
		Outcome: domain.OutcomeSuccess, Status: 201, Detail: json.RawMessage(`{"role":"operator"}`)}
	deleted := now
	backup := domain.Backup{ID: "0b6f3d2e-8a1c-4e7f-9d2b-5c3a1e0f7b6d", ClusterID: "c1", CreatedAt: now, State: domain.BackupDeleted, DeletedAt: &deleted,
		TargetKind: domain.TargetDirectory, TargetLocation: "/var/cache/clusterwright/backups", ObjectKey: "c1/0b6f/etcd-snapshot.db.age",
		SizeBytes: 4096, SHA256: strings.Repeat("ab", 32), SnapshotSizeBytes: 4000, SnapshotSHA256: strings.Repeat("cd", 32),
		EtcdRevision: 1234, EtcdHash: 987654, KubernetesVersion: "v1.35.1", Node: "dev-cp-0", Encryption: "age-x25519-hkdf-v1", KeyID: "0011223344556677",
		PKIObjectKey: "c1/0b6f/pki.tar.gz.age", PKISizeBytes: 2048, PKISHA256: strings.Repeat("ef", 32), OperationID: "0b6f3d2e-8a1c-4e7f-9d2b-5c3a1e0f7b6d"}

	ten := int64(10)
	project := domain.Project{ID: "7c6b5a49-3827-4165-9e8d-7c6b5a493827", Name: "team-a", Description: "Team A",
		Members: []domain.ProjectMember{{Subject: "alice", Kind: domain.MemberPerson, Role: domain.RoleAdmin},
			{Subject: "ci", Kind: domain.MemberToken, Role: domain.RoleOperator}},
		Quotas: domain.Quotas{Clusters: &ten}, VCenters: []string{"vc1"}, IPPools: []string{"*"},
		Placements: []domain.PlacementScope{{VCenter: "vc1", Datacenter: "DC0", ComputeCluster: "*"}},
		CreatedBy:  "admin", CreatedAt: now, UpdatedAt: later}
	emptyProject := domain.Project{ID: "p0", Name: "empty", Members: []domain.ProjectMember{}, VCenters: []string{},
		IPPools: []string{}, Placements: []domain.PlacementScope{}, CreatedAt: now, UpdatedAt: now}
	usage := domain.ProjectUsage{Project: "team-a", Resources: domain.Resources{Clusters: 1, VCPUs: 12, MemoryMiB: 24576, DiskGiB: 180, Nodes: 3}, ClusterSets: 1,
		Reserved: domain.Resources{VCPUs: 4, MemoryMiB: 8192, DiskGiB: 60, Nodes: 1}}
	replies := []struct {
		schema string
		value  any
	}{
		{"Problem", Problem{Type: problemBase + "busy", Title: "Busy", Status: 409, Detail: "vcenter vc1 is busy", Instance: "/api/v1/vcenters/vc1/sync",
			RequestID: "r1", Operation: running.ID}},
		{"Problem", Problem{Type: problemBase + "invalid-input", Title: "Invalid input", Status: 400, Instance: "/api/v1/ippools",
			Errors: []domain.FieldError{{Field: "cidr", Message: "must be a CIDR"}}}},
		{"Problem", Problem{Type: "about:blank", Title: "Unauthorized", Status: 401, Instance: "/api/v1/audit"}},
		{"APIToken", token},
		{"APIToken", domain.APIToken{ID: "t", Name: "admin", Role: domain.RoleAdmin, CreatedAt: now}},
		{"TokenCreated", TokenCreated{APIToken: token, Token: "cw_secret"}},
		{"Whoami", Whoami{Name: "alice", Kind: domain.MemberToken, Role: domain.RoleOperator, Projects: map[string]domain.Role{"team-a": domain.RoleOperator}}},
		{"SessionInfo", SessionInfo{SSO: true}},
		{"SessionInfo", SessionInfo{SSO: true, Session: &SessionUser{Whoami: Whoami{Name: "alice@example.com", Kind: domain.MemberPerson,
			Email: "alice@example.com", Role: domain.RoleOperator, Projects: map[string]domain.Role{"team-a": domain.RoleOperator}},
			Subject: "u-alice", CSRFToken: "c", ExpiresAt: &later}}},
		{"LoginToken", LoginToken{Token: "cw_secret", Name: "login-alice-0a1b2c3d", Role: domain.RoleOperator, Subject: "u-alice", ExpiresAt: &later}},
		{"TokenList", list([]domain.APIToken{token}, "")},
		{"TokenList", list[domain.APIToken](nil, "")},
		{"VCenter", vc},
		{"VCenter", domain.VCenter{ID: "v", Name: "vc2", Server: "https://h/sdk", Username: "u", Insecure: true, CreatedAt: now, UpdatedAt: now, SyncError: "x"}},
		{"VCenterCreated", VCenterCreated{VCenter: vc, Operation: running}},
		{"VCenterList", list([]domain.VCenter{vc}, "")},
		{"Inventory", inv},
		{"Inventory", emptyInv},
		{"IPPool", pool},
		{"IPPoolList", list([]domain.IPPool{listed}, "")},
		{"VersionList", domain.KubernetesVersions()},
		{"Cluster", cluster},
		{"Cluster", pending},
		{"ClusterList", list([]domain.Cluster{cluster, pending}, "eyJuIjoiZGV2In0")},
		{"Cluster", member},
		{"ClusterDetail", ClusterReply{Cluster: cluster, UpgradeTargets: []string{"v1.35.8"}}},
		{"ClusterDetail", ClusterReply{Cluster: pending, UpgradeTargets: []string{}}},
		{"ClusterSet", clusterSet},
		{"ClusterSet", newSet},
		{"ClusterSetList", list([]domain.ClusterSet{clusterSet, newSet}, "")},
		{"Schedule", schedule},
		{"Schedule", lastRun},
		{"ScheduleList", list([]domain.Schedule{schedule, lastRun}, "c")},
		{"Operation", running},
		{"Operation", done},
		{"Operation", waiting},
		{"OperationReply", OperationReply{Operation: running}},
		{"OperationList", list([]domain.Operation{running, done}, "c")},
		{"AuditEvent", audit},
		{"AuditList", list([]domain.AuditEvent{audit}, "")},
		{"Health", map[string]string{"status": "ok"}},
		{"CertificateList", CertificatesReply{Cluster: "dev", CheckedAt: &now, CertificateExpiry: &now, Certificates: []domain.Certificate{
			{Node: "dev-cp-0", Name: "apiserver", CAName: "ca", NotAfter: now, DaysLeft: 364, Source: domain.CertSourceKubeadm, CheckedAt: now},
			{Node: "dev-cp-0", Name: "ca", CAName: "ca", Authority: true, NotAfter: now, DaysLeft: 3649, Source: domain.CertSourceKubeadm, CheckedAt: now},
			{Name: "admin-kubeconfig", Subject: "kubernetes-admin", CAName: "ca", NotAfter: now, DaysLeft: -1, Source: domain.CertSourceServiceKubeconfig, CheckedAt: now}}}},
		{"CertificateList", CertificatesReply{Cluster: "new", Certificates: []domain.Certificate{}}},
		{"Backup", backup},
		{"BackupList", list([]domain.Backup{backup}, "c")},
		{"BackupList", list([]domain.Backup(nil), "")},
		{"DevFaultList", DevFaultList{Faults: []string{"vsphere.clone:vm=beta-md-default-1"}, Fired: []string{"vsphere.clone call 3 (VM \"beta-md-default-1\") failed by rule vsphere.clone:vm=beta-md-default-1"},
			Kinds: []string{"vsphere.clone", "node.boot"}}},
		{"DevFaultList", DevFaultList{Faults: []string{}, Fired: []string{}, Kinds: []string{"vsphere.clone"}}},
		{"DevFault", DevFault{Fault: "vsphere.clone:3"}},
		{"Project", project},
		{"Project", emptyProject},
		{"ProjectDetail", ProjectReply{Project: project, Usage: usage}},
		{"ProjectDetail", ProjectReply{Project: emptyProject, Usage: domain.ProjectUsage{Project: "empty"}}},
		{"ProjectList", list([]domain.Project{project, emptyProject}, "c")},
		{"Readiness", map[string]any{"status": "not ready", "checks": map[string]string{"postgres": "ok", "temporal": "unreachable"}}},
	}
	for i, r := range replies {
		if err := validate(r.schema, r.value, openapi3.VisitAsResponse()); err != nil {
			t.Errorf("reply %d (%T) does not match schema %s: %v", i, r.value, r.schema, err)
		}
	}

	// Request bodies the handlers accept match the request schemas; unknown fields do not.
	requests := []struct {
		schema string
		value  any
	}{
		{"TokenInput", domain.TokenInput{Name: "ci", Role: "viewer"}},
		{"DevFaultInput", DevFault{Fault: "vsphere.clone:vm=beta-md-default-1,times=2"}},
		{"VCenterInput", domain.VCenterInput{Name: "vc1", Server: "vc.example.com", Username: "u", Password: "p"}},
		{"VCenterInput", map[string]any{"name": "vc1", "server": "https://vc.example.com/sdk", "username": "u", "password": "p", "insecure": true,
			"thumbprint": strings.Repeat("AB:", 19) + "AB"}},
		{"IPPoolInput", domain.IPPoolInput{Name: "lab", CIDR: "10.0.0.0/24", RangeStart: "10.0.0.10", RangeEnd: "10.0.0.99", Gateway: "10.0.0.1", DNS: []string{"10.0.0.2"}}},
		{"IPPoolInput", map[string]any{"name": "lab", "cidr": "10.0.0.0/24", "range_start": "10.0.0.10", "range_end": "10.0.0.99"}},
		{"ClusterSpec", spec},
		{"ClusterSpecInput", spec},
		{"ClusterSpecInput", noPools},
		{"ClusterSpecInput", ClusterRequest{ClusterSpec: spec, FailurePolicy: domain.FailurePolicy{OnFailure: "compensate", DecisionTimeout: "30m"}}},
		// Only what has no default, as a client may send it.
		{"ClusterSpecInput", map[string]any{"name": "dev-east", "vcenter": "vc1",
			"placement":     map[string]any{"datacenter": "DC0", "compute_cluster": "DC0_C0", "datastore": "LocalDS_0", "network": "VM Network", "template": "t"},
			"control_plane": map[string]any{"cpus": 2, "memory_mib": 4096, "disk_gib": 40},
			"worker_pools":  []any{map[string]any{"name": "default", "cpus": 2, "memory_mib": 4096, "disk_gib": 40}},
			"network":       map[string]any{"ip_pool": "lab"},
			"addons":        map[string]any{"vsphere_cpi": map[string]any{}, "kubesphere": map[string]any{"enabled": true}}}},
		{"ScheduleInput", domain.ScheduleInput{Kind: domain.ScheduleCertificateRenewal, Cluster: "*", Every: "24h", Jitter: "10m",
			Overlap: domain.OverlapSkip, ScheduleParams: domain.ScheduleParams{RenewBeforeDays: 20}}},
		{"ScheduleInput", map[string]any{"kind": "backup", "cluster": "dev-east", "cron": "0 3 * * *"}},
		{"BackupInput", domain.BackupRequest{Target: "s3", Retention: 3}},
		{"BackupInput", map[string]any{}},
		{"BackupScheduleInput", BackupScheduleRequest{Cron: "0 3 * * *", Retention: 3}},
		{"UpgradeInput", domain.UpgradeRequest{KubernetesVersion: "v1.37.2", Backup: &yes, MaxUnavailable: 2, DrainTimeout: "5m"}},
		{"UpgradeInput", map[string]any{"kubernetes_version": "v1.37.2"}},
		{"ScaleInput", domain.ScaleRequest{Pool: "gpu", Replicas: new(int), CPUs: 8, MemoryMiB: 16384, DiskGiB: 100, DrainTimeout: "1h"}},
		{"ScaleInput", map[string]any{"pool": "default", "replicas": 3}},
		{"ReplaceInput", domain.ReplaceRequest{DrainTimeout: "30s"}},
		{"ReplaceInput", map[string]any{}},
		{"ProjectInput", domain.ProjectInput{Name: "team-a", Description: "d", Members: project.Members, Quotas: project.Quotas,
			VCenters: project.VCenters, IPPools: project.IPPools, Placements: project.Placements}},
		{"ProjectInput", map[string]any{"name": "team-a", "members": []any{map[string]any{"subject": "alice", "role": "viewer"}},
			"quotas": map[string]any{"vcpus": 64, "nodes": nil}}},
		{"ProjectPatch", domain.ProjectPatch{Quotas: &domain.QuotasPatch{Clusters: domain.QuotaChange{Set: true}, VCPUs: domain.QuotaChange{Set: true, Value: &ten}}}},
		{"ProjectPatch", map[string]any{"vcenters": []any{}, "description": ""}},
	}
	for i, r := range requests {
		if err := validate(r.schema, r.value, openapi3.VisitAsRequest()); err != nil {
			t.Errorf("request %d does not match schema %s: %v", i, r.schema, err)
		}
	}
	// Gateways may be a node name or an array of node names, as the decoder takes them.
	for _, body := range []string{
		`{"name": "lab", "leader": "east"}`,
		`{"name": "lab", "leader": "east", "members": ["west"], "gateways": {"east": "east-cp-0", "west": ["west-md-0", "west-md-1"]},
		  "gateway_ip_precedence": "public", "endpoint_ip_type": "PodIP", "on_failure": "compensate", "decision_timeout": "1h"}`,
	} {
		var req ClusterSetRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Errorf("the decoder rejects %s: %v", body, err)
		}
		var m map[string]any
		_ = json.Unmarshal([]byte(body), &m)
		if err := validate("ClusterSetInput", m, openapi3.VisitAsRequest()); err != nil {
			t.Errorf("ClusterSetInput rejects %s: %v", body, err)
		}
	}
	for _, body := range []string{`{"cluster": "north"}`, `{"cluster": "north", "gateways": "north-cp-0"}`, `{"cluster": "north", "gateways": ["a", "b"], "on_failure": "wait"}`} {
		var req ClusterSetJoinRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Errorf("the decoder rejects %s: %v", body, err)
		}
		var m map[string]any
		_ = json.Unmarshal([]byte(body), &m)
		if err := validate("ClusterSetJoinInput", m, openapi3.VisitAsRequest()); err != nil {
			t.Errorf("ClusterSetJoinInput rejects %s: %v", body, err)
		}
	}
	if err := validate("ClusterSetInput", map[string]any{"name": "lab", "leader": "east", "gateways": map[string]any{"east": 5}}, openapi3.VisitAsRequest()); err == nil {
		t.Error("ClusterSetInput accepts a gateway that is a number; the decoder rejects it")
	}
	for _, name := range []string{"TokenInput", "VCenterInput", "IPPoolInput", "ClusterSpecInput", "DevFaultInput", "ClusterSetInput", "ClusterSetJoinInput",
		"UpgradeInput", "ScaleInput", "ReplaceInput", "ProjectInput", "ProjectPatch"} {
		if err := validate(name, map[string]any{"name": "x", "surprise": 1}, openapi3.VisitAsRequest()); err == nil {
			t.Errorf("schema %s accepts an unknown field; the decoder rejects it", name)
		}
	}
	// The decoder rejects unknown fields at every depth of a cluster spec, and so does the schema.
	for _, nested := range []string{"placement", "control_plane", "network", "addons"} {
		b, _ := json.Marshal(spec)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		oasMap(m[nested])["surprise"] = 1
		if err := validate("ClusterSpecInput", m, openapi3.VisitAsRequest()); err == nil {
			t.Errorf("ClusterSpecInput accepts an unknown field in %s; the decoder rejects it", nested)
		}
	}
}

// TestContractAuthIsEnforced calls every /api/v1 route of the router without a token and
// expects the documented 401 problem, and the public routes that need no store without one.
func TestContractAuthIsEnforced(t *testing.T) {
	srv := httptest.NewServer(contractAPI().Handler())
	defer srv.Close()
	do := func(method, path string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		return resp, body.Bytes()
	}
	for _, key := range oasSortedKeys(contractRouterRoutes(t)) {
		method, pattern, _ := strings.Cut(key, " ")
		if !authenticated(pattern) {
			continue
		}
		path := oasPathParamRE.ReplaceAllString(pattern, "x")
		resp, body := do(method, path)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without a token = %d, want 401", method, path, resp.StatusCode)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s %s: 401 Content-Type = %q", method, path, ct)
		}
		if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s %s: 401 without WWW-Authenticate: Bearer", method, path)
		}
		var p Problem
		if err := json.Unmarshal(body, &p); err != nil || p.Status != http.StatusUnauthorized || p.Title == "" || p.Type == "" {
			t.Errorf("%s %s: 401 body %s is not a problem (%v)", method, path, body, err)
		}
	}
	for _, path := range []string{"/healthz", "/metrics", "/api/openapi.yaml"} {
		if resp, body := do(http.MethodGet, path); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token = %d %s, want 200", path, resp.StatusCode, body)
		}
	}
}
