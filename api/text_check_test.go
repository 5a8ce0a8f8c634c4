package api

import (
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
)

// TestBodyTextError finds unstorable text in every kind of place of a JSON body and names
// it by its JSON path as sent; storable text, escapes that are not NUL and broken JSON
// before any bad text are left to the decoder.
func TestBodyTextError(t *testing.T) {
	for _, c := range []struct {
		body, field, message string
	}{
		{`{"name":"a\u0000b"}`, "name", domain.TextNUL},
		{"{\"name\":\"a\x00b\"}", "name", domain.TextNUL},
		{"{\"name\":\"a\xffb\"}", "name", domain.TextInvalidUTF8},
		{"{\"name\":\"ok\xc3(\"}", "name", domain.TextInvalidUTF8},
		{`{"placement":{"datacenter":"dc","datastore":"x\u0000"}}`, "placement.datastore", domain.TextNUL},
		{"{\"worker_pools\":[{\"name\":\"a\"},{\"name\":\"\xed\xa0\x80\"}]}", "worker_pools[1].name", domain.TextInvalidUTF8},
		{`{"worker_pools":[{"name":"\u0000","cpus":2}]}`, "worker_pools[0].name", domain.TextNUL},
		{`{"dns":["1.1.1.1", "\u0000"]}`, "dns[1]", domain.TextNUL},
		{`{"gateways":{"east":["n1","n\u0000"]}}`, "gateways.east[1]", domain.TextNUL},
		{`{"gateways":{"ea\u0000st":["n1"]}}`, `gateways.ea\u0000st`, domain.TextNUL},
		{"{\"gateways\":{\"ea\xffst\":[]}}", `gateways.ea\xffst`, domain.TextInvalidUTF8},
		{`{"a":1,"b":true,"c":null,"d":-1.5e3,"e":[[],{}],"f":"\\u0000 is only text","g":"\u0000"}`, "g", domain.TextNUL},
		{`"\u0000"`, "body", domain.TextNUL},
		{`["ok","\u0000"]`, "[1]", domain.TextNUL},
		{`{"name":"a\u0000b"`, "name", domain.TextNUL}, // unterminated object, bad text first
		{strings.Repeat(`{"a":`, 3000) + `"\u0000"` + strings.Repeat("}", 3000), strings.TrimSuffix(strings.Repeat("a.", 3000), "."), domain.TextNUL},
	} {
		got, ok := bodyTextError([]byte(c.body))
		if !ok || got.Field != c.field || got.Message != c.message {
			t.Errorf("bodyTextError(%q) = %+v %v, want %s %q", c.body, got, ok, c.field, c.message)
		}
	}
	for _, body := range []string{
		``, `{}`, `[]`, `null`, `{"name":"ünïcode ✓ \" \\ \n \ud800"}`, `{"f":"\\u0000"}`,
		`{"name":`, `{"name":"unterminated`, `{"a" "b"}`, `[,,]`, `{"a":}`, `}{`, `tru`,
		`{"x":"ok"} "\u0000"`, // trailing data: the decoder refuses it
		strings.Repeat("[", 10001) + `"\u0000"` + strings.Repeat("]", 10001), // deeper than encoding/json reads
	} {
		if got, ok := bodyTextError([]byte(body)); ok {
			t.Errorf("bodyTextError(%.60q) = %+v, want nothing", body, got)
		}
	}
}

// FuzzBodyTextError checks the scanner on any bytes: it never panics nor loops, and it
// finds bad text in every JSON document whose decoded strings hold some.
func FuzzBodyTextError(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"a":["\u0000"]}`, "{\"k\xff\":1}", `[1,2,{"x":null}]`, "\"\x00\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		field, ok := bodyTextError(body)
		if ok && (field.Field == "" || field.Message == "") {
			t.Fatalf("bodyTextError(%q) = %+v", body, field)
		}
	})
}
