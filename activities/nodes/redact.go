package nodes

import (
	"regexp"
	"sort"
	"strings"
)

// RedactedMark replaces every secret in output that goes into errors and logs.
const RedactedMark = "[REDACTED]"

var (
	// pemKeyBegin and pemKeyEnd delimit PEM private keys of any kind
	// (PRIVATE KEY, RSA/EC/OPENSSH PRIVATE KEY, ENCRYPTED PRIVATE KEY).
	pemKeyBegin = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`)
	pemKeyEnd   = regexp.MustCompile(`-----END [A-Z0-9 ]*PRIVATE KEY-----`)
	// bootstrapToken is a kubeadm bootstrap token (id.secret).
	bootstrapToken = regexp.MustCompile(`\b[a-z0-9]{6}\.[a-z0-9]{16}\b`)
)

// span is a byte range [start, end) of text.
type span struct{ start, end int }

// Redact replaces, in text, every PEM private key, every kubeadm bootstrap
// token and every occurrence of the given secrets with RedactedMark. A
// private key whose END line is missing is redacted to the end of text.
func Redact(text string, secrets ...string) string {
	return redact(text, 0, secrets)
}

// redact is Redact for text that may begin in the middle of a secret: the
// first cutFront bytes of text (0 when text is whole) are dropped unless
// they are part of a redacted secret, and a private key's END line with no
// BEGIN before it is redacted from the start of text.
func redact(text string, cutFront int, secrets []string) string {
	spans := secretSpans(text, cutFront > 0, secrets)
	var b strings.Builder
	pos := 0
	emit := func(from, to int) { // plain text, minus the dropped front
		from = max(from, cutFront)
		if from < to {
			b.WriteString(text[from:to])
		}
	}
	for _, s := range spans {
		emit(pos, s.start)
		if s.end > cutFront || s.start >= cutFront {
			b.WriteString(RedactedMark)
		}
		pos = s.end
	}
	emit(pos, len(text))
	return b.String()
}

// secretSpans finds the secrets in text, sorted and merged.
func secretSpans(text string, cutFront bool, secrets []string) []span {
	var spans []span
	begins := pemKeyBegin.FindAllStringIndex(text, -1)
	ends := pemKeyEnd.FindAllStringIndex(text, -1)
	if cutFront && len(ends) > 0 && (len(begins) == 0 || begins[0][0] > ends[0][0]) {
		spans = append(spans, span{0, ends[0][1]}) // the key began before text did
	}
	for _, bg := range begins {
		end := len(text)
		for _, e := range ends {
			if e[0] > bg[0] {
				end = e[1]
				break
			}
		}
		spans = append(spans, span{bg[0], end})
	}
	for _, m := range bootstrapToken.FindAllStringIndex(text, -1) {
		spans = append(spans, span{m[0], m[1]})
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for from := 0; ; {
			i := strings.Index(text[from:], s)
			if i < 0 {
				break
			}
			spans = append(spans, span{from + i, from + i + len(s)})
			from += i + len(s)
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && s.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// keySecrets are the strings of a PEM private key to redact besides the
// whole block: each of its base64 lines, in case a tool reformats it.
func keySecrets(pemKey []byte) []string {
	secrets := []string{strings.TrimSpace(string(pemKey))}
	for line := range strings.Lines(string(pemKey)) {
		line = strings.TrimSpace(line)
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	return secrets
}
