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

const wantCSP = "default-src 'self'; style-src 'self' 'unsafe-inline'"

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

// TestHandlerServesPortal checks the page, its script and style sheet, the security headers
// on every reply, and a 404 for a file that is not there.
func TestHandlerServesPortal(t *testing.T) {
	h := Handler()
	cases := []struct {
		target, wantType string
		wantStatus       int
		wantBody         []string
	}{
		{"/", "text/html", http.StatusOK, []string{`src="/portal/app.js"`, `href="/portal/style.css"`}},
		{"/portal/app.js", "text/javascript", http.StatusOK, []string{"'use strict'", "Authorization"}},
		{"/portal/style.css", "text/css", http.StatusOK, []string{".badge"}},
		{"/portal/favicon.svg", "image/svg+xml", http.StatusOK, []string{"<svg"}},
		{"/portal/no-such-file.js", "", http.StatusNotFound, nil},
		{"/portal/static/app.js", "", http.StatusNotFound, nil}, // the embed root is not exposed
	}
	for _, c := range cases {
		r := fetch(t, h, c.target)
		if r.status != c.wantStatus {
			t.Errorf("GET %s = %d, want %d", c.target, r.status, c.wantStatus)
			continue
		}
		if got := r.header.Get("Content-Security-Policy"); got != wantCSP {
			t.Errorf("GET %s: Content-Security-Policy = %q, want %q", c.target, got, wantCSP)
		}
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q, want nosniff", c.target, got)
		}
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

// TestIndexReferencesResolve checks that every /portal/ URL index.html points at is served.
func TestIndexReferencesResolve(t *testing.T) {
	h := Handler()
	index := fetch(t, h, "/").body
	refs := regexp.MustCompile(`(?:src|href)="(/portal/[^"]+)"`).FindAllStringSubmatch(index, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d /portal/ files, want at least app.js and style.css", len(refs))
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
	if n < 3 {
		t.Fatalf("walked %d files under static, want index.html, app.js and style.css at least", n)
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
	if handlerAttr.MatchString(`<script src="/portal/app.js" defer></script>`) {
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

// TestAppJSParses checks app.js is valid JavaScript.
func TestAppJSParses(t *testing.T) {
	out, err := exec.Command(node(t), "--check", "static/app.js").CombinedOutput()
	if err != nil {
		t.Fatalf("node --check static/app.js: %v\n%s", err, out)
	}
}

// TestAppJSHelpers runs testdata/helpers.js, which checks app.js's pure helpers (the SSE
// parser above all) under node.
func TestAppJSHelpers(t *testing.T) {
	out, err := exec.Command(node(t), "testdata/helpers.js").CombinedOutput()
	if err != nil {
		t.Fatalf("node testdata/helpers.js: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "ok") {
		t.Fatalf("node testdata/helpers.js printed no ok:\n%s", out)
	}
}
