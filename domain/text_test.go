package domain

import "testing"

func TestTextProblemAndEscape(t *testing.T) {
	for _, c := range []struct{ in, problem, escaped string }{
		{"plain", "", "plain"},
		{`back\slash`, "", `back\slash`}, // storable text is kept as it is
		{"ünïcode ✓", "", "ünïcode ✓"},
		{"a\x00b", TextNUL, `a\x00b`},
		{"\x00", TextNUL, `\x00`},
		{"a\xffb", TextInvalidUTF8, `a\xffb`},
		{"ok\xc3(", TextInvalidUTF8, `ok\xc3(`},
		{"\xed\xa0\x80", TextInvalidUTF8, `\xed\xa0\x80`}, // a UTF-16 surrogate
		{"a\\\x00", TextNUL, `a\\\x00`},                   // escaped text doubles its backslashes
		{"\xff\x00é", TextNUL, `\xff\x00é`},
	} {
		if got := TextProblem(c.in); got != c.problem {
			t.Errorf("TextProblem(%q) = %q, want %q", c.in, got, c.problem)
		}
		if got := StorableText(c.in); got != (c.problem == "") {
			t.Errorf("StorableText(%q) = %v", c.in, got)
		}
		got := EscapeText(c.in)
		if got != c.escaped {
			t.Errorf("EscapeText(%q) = %q, want %q", c.in, got, c.escaped)
		}
		if !StorableText(got) {
			t.Errorf("EscapeText(%q) = %q cannot be stored", c.in, got)
		}
	}
}
