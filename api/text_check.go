package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// Text that Postgres cannot store (NUL bytes, invalid UTF-8) is refused in two places:
// checkParams for the path and query parameters of every /api/v1 route, before its
// handler runs, and decode (through bodyTextError) for every JSON body. A refused request
// is a 400 naming the parameter or the field, and changes nothing.

// checkParams replies 400 naming each path or query parameter whose value (or name)
// cannot be stored, and reports whether all of them can.
func (a *API) checkParams(w http.ResponseWriter, r *http.Request) bool {
	var v domain.ValidationError
	if rc := chi.RouteContext(r.Context()); rc != nil {
		for i, key := range rc.URLParams.Keys {
			if i < len(rc.URLParams.Values) {
				addTextProblem(&v, key, rc.URLParams.Values[i])
			}
		}
	}
	query := r.URL.Query()
	keys := make([]string, 0, len(query))
	for key := range query {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if p := domain.TextProblem(key); p != "" {
			v.Add(domain.EscapeText(key), "is a query parameter whose name %s", p)
			continue
		}
		for _, value := range query[key] {
			if addTextProblem(&v, key, value) {
				break
			}
		}
	}
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return false
	}
	return true
}

// addTextProblem adds a field error for name when value cannot be stored, and reports
// whether it did.
func addTextProblem(v *domain.ValidationError, name, value string) bool {
	p := domain.TextProblem(value)
	if p == "" {
		return false
	}
	v.Add(name, "%s", p)
	return true
}

// maxTextScanDepth bounds the nesting bodyTextError follows: encoding/json's own limit,
// beyond which it refuses a document.
const maxTextScanDepth = 10000

// bodyTextError finds the first string of a JSON body, value or key, that cannot be
// stored: a raw NUL byte, a \u0000 escape or invalid UTF-8. It names the string by its
// JSON path as sent (e.g. "placement.datastore", "worker_pools[0].name"; "body" for a
// top-level string). encoding/json would silently replace invalid UTF-8 by U+FFFD, so the
// raw bytes are read here. A body that is not JSON yields no error unless a string before
// the broken part holds such text: the decoder names what is wrong with the rest.
func bodyTextError(body []byte) (domain.FieldError, bool) {
	s := textScanner{b: body}
	s.value()
	return s.found, s.ok
}

// textScanner walks a JSON document's raw bytes far enough to find its strings.
type textScanner struct {
	b     []byte
	i     int
	found domain.FieldError
	ok    bool // found is set
	stop  bool // the document is not JSON here, or text was found: scan no further
	// path is the JSON path of the value being read, one element per level: ".key"
	// (the key escaped by domain.EscapeText) or "[index]".
	path []string
}

func (s *textScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek is the next non-space byte, 0 at the end.
func (s *textScanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *textScanner) value() {
	if s.stop {
		return
	}
	if len(s.path) > maxTextScanDepth {
		s.stop = true
		return
	}
	switch s.peek() {
	case '{':
		s.object()
	case '[':
		s.array()
	case '"':
		if _, problem := s.str(); problem != "" {
			s.report(problem)
		}
	case 0:
		s.stop = true
	default: // a number, true, false or null: up to the next delimiter
		for s.i < len(s.b) && !isDelimiter(s.b[s.i]) {
			s.i++
		}
	}
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', ']', '}', ':', ' ', '\t', '\n', '\r', '"', '{', '[':
		return true
	}
	return false
}

func (s *textScanner) object() {
	s.i++ // {
	if s.peek() == '}' {
		s.i++
		return
	}
	for !s.stop {
		if s.peek() != '"' {
			s.stop = true
			return
		}
		key, problem := s.str()
		if s.stop {
			return
		}
		s.path = append(s.path, "."+domain.EscapeText(key))
		if problem != "" {
			s.report(problem)
			return
		}
		if s.peek() != ':' {
			s.stop = true
			return
		}
		s.i++
		s.value()
		s.path = s.path[:len(s.path)-1]
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.stop = true
		}
	}
}

func (s *textScanner) array() {
	s.i++ // [
	if s.peek() == ']' {
		s.i++
		return
	}
	for n := 0; !s.stop; n++ {
		s.path = append(s.path, "["+strconv.Itoa(n)+"]")
		s.value()
		s.path = s.path[:len(s.path)-1]
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return
		default:
			s.stop = true
		}
	}
}

// str reads a string at s.i (its opening quote) and returns it, its escapes other than
// \u left as they are, with the problem of its text ("" when it can be stored). An
// unterminated string stops the scan.
func (s *textScanner) str() (string, string) {
	s.i++ // "
	start, problem := s.i, ""
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			text := string(s.b[start:s.i])
			s.i++
			return text, problem
		case c == '\\':
			if s.i+1 < len(s.b) && s.b[s.i+1] == 'u' && s.i+6 <= len(s.b) && string(s.b[s.i+2:s.i+6]) == "0000" && problem == "" {
				problem = domain.TextNUL
			}
			s.i += 2
		case c == 0:
			if problem == "" {
				problem = domain.TextNUL
			}
			s.i++
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 && problem == "" {
				problem = domain.TextInvalidUTF8
			}
			s.i += size
		}
	}
	s.stop = true
	return "", ""
}

// report records the value at s.path as the one holding text with problem.
func (s *textScanner) report(problem string) {
	path := strings.TrimPrefix(strings.Join(s.path, ""), ".")
	if path == "" {
		path = "body"
	}
	s.found, s.ok, s.stop = domain.FieldError{Field: path, Message: problem}, true, true
}
