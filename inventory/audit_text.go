package inventory

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/clusterwright/clusterwright/domain"
)

// storableDetail is an audit event's detail as jsonb can hold it: "{}" when empty, else
// the JSON with every string (and key) that holds a NUL or invalid UTF-8 escaped by
// domain.EscapeText; detail that is not JSON is kept, escaped, under "unparsed".
func storableDetail(detail json.RawMessage) []byte {
	if len(bytes.TrimSpace(detail)) == 0 || string(detail) == "null" {
		return []byte("{}")
	}
	if utf8.Valid(detail) && !bytes.Contains(detail, []byte(`\u0000`)) && json.Valid(detail) {
		return detail
	}
	dec := json.NewDecoder(bytes.NewReader(detail))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		v = map[string]any{"unparsed": string(detail)}
	}
	out, err := json.Marshal(escapeJSONText(v))
	if err != nil { // cannot happen: every value came from a decoder or is a string
		return []byte("{}")
	}
	return out
}

// escapeJSONText escapes the strings and keys of a decoded JSON value.
func escapeJSONText(v any) any {
	switch v := v.(type) {
	case string:
		return domain.EscapeText(v)
	case []any:
		for i := range v {
			v[i] = escapeJSONText(v[i])
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[domain.EscapeText(k)] = escapeJSONText(e)
		}
		return out
	}
	return v
}
