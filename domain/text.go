package domain

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text problems: what Postgres cannot store in a text or jsonb column.
const (
	TextNUL         = "contains a NUL byte (\\u0000), which cannot be stored"
	TextInvalidUTF8 = "is not valid UTF-8, which cannot be stored"
)

// TextProblem says why s cannot be stored as text (TextNUL or TextInvalidUTF8), or ""
// when it can: Postgres refuses NUL bytes and invalid UTF-8 in text and jsonb values.
func TextProblem(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return TextNUL
	}
	if !utf8.ValidString(s) {
		return TextInvalidUTF8
	}
	return ""
}

// StorableText reports whether s can be stored as text: no NUL byte, valid UTF-8.
func StorableText(s string) bool { return TextProblem(s) == "" }

// EscapeText returns s unchanged when it is storable, else s with each NUL byte written
// as \x00, each byte of invalid UTF-8 as \xNN and each backslash doubled, so that the
// audit log keeps (and can be searched for) what a refused request sent.
func EscapeText(s string) string {
	if StorableText(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == 0:
			b.WriteString(`\x00`)
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
