package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"testing"
)

const wantCSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type reply struct {
	status int
	header http.Header
	body   string
}

func fetch(t *testing.T, h http.Handler, target string) reply {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return reply{status: rec.Code, header: rec.Result().Header, body: string(body)}
}

// TestHandlerServesPortal checks the page, its entry module and style sheet, the security
// headers on every reply, and a 404 for a file that is not there.
func TestHandlerServesPortal(t *testing.T) {
	h := Handler()
	cases := []struct {
		target, wantType string
		wantStatus       int
		wantBody         []string
	}{
		{"/", "text/html", http.StatusOK, []string{`<script type="module" src="/portal/js/main.js">`, `href="/portal/style.css"`,
			`href="#/clustersets"`, `href="#/schedules"`}},
		{"/portal/js/main.js", "text/javascript", http.StatusOK, []string{"import { start } from './router.js'"}},
		{"/portal/js/api.js", "text/javascript", http.StatusOK, []string{"Authorization", "Last-Event-ID"}},
		{"/portal/js/router.js", "text/javascript", http.StatusOK, []string{"clusterSetsView", "clusterSetView"}},
		{"/portal/js/pages/clustersets.js", "text/javascript", http.StatusOK, []string{"/clustersets/", "confirmDialog"}},
		{"/portal/js/pages/schedules.js", "text/javascript", http.StatusOK, []string{"/schedules/", "/trigger", "confirmDialog"}},
		{"/portal/style.css", "text/css", http.StatusOK, []string{".badge", ".waterfall"}},
		{"/portal/favicon.svg", "image/svg+xml", http.StatusOK, []string{"<svg"}},
		{"/portal/no-such-file.js", "", http.StatusNotFound, nil},
		{"/portal/app.js", "", http.StatusNotFound, nil},            // the one big script is gone
		{"/portal/static/js/main.js", "", http.StatusNotFound, nil}, // the embed root is not exposed
	}
	for _, c := range cases {
		r := fetch(t, h, c.target)
		if r.status != c.wantStatus {
			t.Errorf("GET %s = %d, want %d", c.target, r.status, c.wantStatus)
			continue
		}
		checkSecurityHeaders(t, c.target, r)
		if c.wantType != "" && !strings.HasPrefix(r.header.Get("Content-Type"), c.wantType) {
			t.Errorf("GET %s: Content-Type = %q, want %s", c.target, r.header.Get("Content-Type"), c.wantType)
		}
		for _, want := range c.wantBody {
			if !strings.Contains(r.body, want) {
				t.Errorf("GET %s: body lacks %q", c.target, want)
			}
		}
	}
}

func checkSecurityHeaders(t *testing.T, target string, r reply) {
	t.Helper()
	if got := r.header.Get("Content-Security-Policy"); got != wantCSP {
		t.Errorf("GET %s: Content-Security-Policy = %q, want %q", target, got, wantCSP)
	}
	if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("GET %s: X-Content-Type-Options = %q, want nosniff", target, got)
	}
}

// modules lists the portal's JavaScript modules, as paths below static/js.
func modules(t *testing.T) []string {
	t.Helper()
	var out []string
	err := fs.WalkDir(static, "static/js", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(name) == ".js" {
			out = append(out, strings.TrimPrefix(name, "static/js/"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("%d modules under static/js, want main.js, the shared ones and one per page", len(out))
	}
	return out
}

// TestModulesServedAsJavaScript checks that every module is served with a JavaScript
// content type: with nosniff, a browser refuses to run a module served as anything else.
func TestModulesServedAsJavaScript(t *testing.T) {
	h := Handler()
	for _, m := range modules(t) {
		target := "/portal/js/" + m
		r := fetch(t, h, target)
		if r.status != http.StatusOK {
			t.Errorf("GET %s = %d", target, r.status)
			continue
		}
		checkSecurityHeaders(t, target, r)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("GET %s: Content-Type = %q, want text/javascript", target, ct)
		}
	}
}

// importSpec finds the module each import or re-export statement names.
var importSpec = regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]`)

// TestModuleImportsResolve checks that every import names an embedded module by a relative
// .js path (the browser resolves it with no build step and no import map), and that every
// module is reached from main.js, so none is dead weight.
func TestModuleImportsResolve(t *testing.T) {
	all := modules(t)
	imports := map[string][]string{}
	for _, m := range all {
		b, err := static.ReadFile("static/js/" + m)
		if err != nil {
			t.Fatal(err)
		}
		for _, match := range importSpec.FindAllStringSubmatch(string(b), -1) {
			spec := match[1] + match[2]
			if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") || path.Ext(spec) != ".js" {
				t.Errorf("%s imports %q; want a relative path to a .js module", m, spec)
				continue
			}
			target := path.Join(path.Dir(m), spec)
			if _, err := fs.Stat(static, "static/js/"+target); err != nil {
				t.Errorf("%s imports %q, which is not embedded: %v", m, spec, err)
				continue
			}
			imports[m] = append(imports[m], target)
		}
	}
	reached := map[string]bool{}
	var visit func(string)
	visit = func(m string) {
		if reached[m] {
			return
		}
		reached[m] = true
		for _, next := range imports[m] {
			visit(next)
		}
	}
	visit("main.js")
	for _, m := range all {
		if !reached[m] {
			t.Errorf("module %s is not imported from main.js", m)
		}
	}
	if len(imports["main.js"]) == 0 || len(imports["router.js"]) < 5 {
		t.Errorf("imports found: %v; the pattern misses import statements", imports)
	}
}

// TestIndexReferencesResolve checks that every /portal/ URL index.html points at is served.
func TestIndexReferencesResolve(t *testing.T) {
	h := Handler()
	index := fetch(t, h, "/").body
	refs := regexp.MustCompile(`(?:src|href)="(/portal/[^"]+)"`).FindAllStringSubmatch(index, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d /portal/ files, want at least js/main.js and style.css", len(refs))
	}
	for _, m := range refs {
		if r := fetch(t, h, m[1]); r.status != http.StatusOK || r.body == "" {
			t.Errorf("index.html references %s, which answers %d", m[1], r.status)
		}
	}
}

var (
	scriptTag     = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script\s*>`)
	handlerAttr   = regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+\s*=`)
	javascriptURL = regexp.MustCompile(`(?i)(?:href|src|action)\s*=\s*["']?\s*javascript:`)
	srcAttr       = regexp.MustCompile(`(?i)\ssrc\s*=`)
	// DOM sinks that parse strings as HTML or code; the portal writes text only.
	unsafeJS = regexp.MustCompile(`\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\s*\(|new Function\s*\(|setAttribute\(\s*['"]on`)
)

// TestStaticFilesAreCSPSafe checks that no file would need 'unsafe-inline' scripts: no
// inline <script> with content, no on*= handler attributes, no javascript: URLs; and that
// the JavaScript never turns strings into HTML or code.
func TestStaticFilesAreCSPSafe(t *testing.T) {
	n := 0
	err := fs.WalkDir(static, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := static.ReadFile(name)
		if err != nil {
			return err
		}
		text := string(b)
		for _, m := range scriptTag.FindAllStringSubmatch(text, -1) {
			if strings.TrimSpace(m[2]) != "" {
				t.Errorf("%s: inline <script> with content: %.80q", name, m[0])
			}
			if !srcAttr.MatchString(m[1]) {
				t.Errorf("%s: <script> without src: %.80q", name, m[0])
			}
		}
		if m := handlerAttr.FindString(text); m != "" && path.Ext(name) != ".js" && path.Ext(name) != ".css" {
			t.Errorf("%s: inline event handler attribute: %.80q", name, m)
		}
		if m := javascriptURL.FindString(text); m != "" {
			t.Errorf("%s: javascript: URL: %q", name, m)
		}
		if path.Ext(name) == ".js" {
			for _, m := range unsafeJS.FindAllString(text, -1) {
				t.Errorf("%s uses %q; put data in the DOM with textContent or el()", name, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 12 {
		t.Fatalf("walked %d files under static, want index.html, style.css and the modules at least", n)
	}
}

// TestCSPCheckCatchesViolations makes sure the patterns above do find what they look for.
func TestCSPCheckCatchesViolations(t *testing.T) {
	bad := []string{
		`<script>alert(1)</script>`,
		`<button onclick="go()">x</button>`,
		`<body onload='x()'>`,
		`<a href="javascript:void(0)">`,
	}
	for _, s := range bad {
		inline := false
		for _, m := range scriptTag.FindAllStringSubmatch(s, -1) {
			inline = inline || strings.TrimSpace(m[2]) != ""
		}
		if !inline && !handlerAttr.MatchString(s) && !javascriptURL.MatchString(s) {
			t.Errorf("not caught: %s", s)
		}
	}
	if handlerAttr.MatchString(`<script type="module" src="/portal/js/main.js"></script>`) {
		t.Error("a script with src is flagged")
	}
	if !unsafeJS.MatchString(`node.innerHTML = data;`) {
		t.Error("innerHTML is not caught")
	}
}

func node(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to check the portal's JavaScript (install nodejs): %v", err)
	}
	return p
}

// TestModulesParse checks that every module is valid JavaScript (node reads them as ES
// modules: web/package.json says so).
func TestModulesParse(t *testing.T) {
	for _, m := range modules(t) {
		out, err := exec.Command(node(t), "--check", "static/js/"+m).CombinedOutput()
		if err != nil {
			t.Errorf("node --check static/js/%s: %v\n%s", m, err, out)
		}
	}
}

// TestPortalJSHelpers runs the node checks under testdata: helpers.js (the pure helpers,
// the SSE parser above all), operation.js (applying the event stream to an operation,
// following it across a dropped connection, the waterfall's geometry), clustersets.js
// (the ClusterSet forms' candidates and bodies), schedules.js (the Schedules page's
// timetable, counts and form body), projects.js (the project switcher's choices, the
// quota figures) and modules.js (every import of every module resolves).
func TestPortalJSHelpers(t *testing.T) {
	for _, script := range []string{"testdata/helpers.js", "testdata/operation.js", "testdata/clustersets.js", "testdata/schedules.js", "testdata/projects.js", "testdata/modules.js"} {
		out, err := exec.Command(node(t), script).CombinedOutput()
		if err != nil {
			t.Errorf("node %s: %v\n%s", script, err, out)
			continue
		}
		if !strings.HasPrefix(string(out), "ok") {
			t.Errorf("node %s printed no ok:\n%s", script, out)
		}
	}
}
