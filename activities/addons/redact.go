package addons

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// sensitiveKeys are substrings of value names whose string values are
// secret: they go to the chart, never into an error or a log line.
var sensitiveKeys = []string{"password", "passwd", "secret", "token", "privatekey", "private_key", "passphrase", "credential"}

// isSensitiveKey reports whether a value name holds a secret.
func isSensitiveKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range sensitiveKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// sensitiveValues returns the non-empty strings found under sensitive keys
// anywhere in vals (nested maps and lists included).
func sensitiveValues(vals map[string]any) []string {
	var out []string
	var walk func(v any, sensitive bool)
	walk = func(v any, sensitive bool) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(e, sensitive || isSensitiveKey(k))
			}
		case []any:
			for _, e := range v {
				walk(e, sensitive)
			}
		case string:
			if sensitive && v != "" {
				out = append(out, v)
			}
		}
	}
	walk(vals, false)
	return out
}

// redactor masks secrets in text: each secret as it is and in the encoded
// forms an error message may show it in (quoted, JSON-escaped, base64 as in
// a Secret's data).
type redactor struct {
	forms []string // longest first
}

func newRedactor(secrets ...string) *redactor {
	seen := map[string]bool{}
	r := &redactor{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			r.forms = append(r.forms, s)
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		add(s)
		quoted := strconv.Quote(s)
		add(quoted[1 : len(quoted)-1])
		if b, err := json.Marshal(s); err == nil {
			add(string(b[1 : len(b)-1]))
		}
		add(base64.StdEncoding.EncodeToString([]byte(s)))
	}
	slices.SortFunc(r.forms, func(a, b string) int { return len(b) - len(a) })
	return r
}

// string masks every secret in s.
func (r *redactor) string(s string) string {
	for _, f := range r.forms {
		s = strings.ReplaceAll(s, f, "<redacted>")
	}
	return s
}

// error returns err unchanged unless its message shows a secret. Then it
// returns an error with the secret masked that keeps err's class for
// errors.Is but no longer leads back to err: nothing that records an
// error's whole chain (Temporal's failure converter, a log handler) can
// reach the unmasked text.
func (r *redactor) error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	masked := r.string(msg)
	if masked == msg {
		return err
	}
	return &redactedError{class: classOf(err), msg: masked}
}

// redactedError is an error whose message had secrets masked.
type redactedError struct {
	class error // the classification sentinel, if any
	msg   string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.class }
