package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode"

	"github.com/clusterwright/clusterwright/domain"
)

// maxBody bounds request bodies.
const maxBody = 1 << 20

// decode reads a JSON body into v strictly: unknown fields, trailing data, wrong types,
// text the database cannot store (NUL bytes, invalid UTF-8; see bodyTextError) and a
// wrong content type are field errors. It replies itself and returns false on failure.
func (a *API) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		a.writeProblem(w, r, Problem{Status: http.StatusUnsupportedMediaType, Detail: "send application/json"})
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		a.invalid(w, r, bodyError(err))
		return false
	}
	if field, bad := bodyTextError(body); bad {
		a.invalid(w, r, field)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if extra := dec.Decode(&json.RawMessage{}); !errors.Is(extra, io.EOF) {
			err = errTrailing
		}
	}
	if err == nil {
		return true
	}
	a.invalid(w, r, bodyError(err))
	return false
}

var errTrailing = errors.New("trailing data after the JSON object")

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// bodyError names the field a JSON decoding error is about.
func bodyError(err error) domain.FieldError {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &typeErr) && typeErr.Type == reflect.TypeFor[domain.NodeList]():
		return domain.FieldError{Field: jsonPath(typeErr.Field), Message: "must be a node name or an array of node names"}
	case errors.As(err, &typeErr):
		field := jsonPath(typeErr.Field)
		if field == "" {
			field = "body"
		}
		return domain.FieldError{Field: field, Message: fmt.Sprintf("must be %s", jsonKind(typeErr.Type.Kind().String()))}
	case errors.As(err, &syntaxErr):
		return domain.FieldError{Field: "body", Message: fmt.Sprintf("is not valid JSON (at byte %d)", syntaxErr.Offset)}
	case errors.As(err, &maxErr):
		return domain.FieldError{Field: "body", Message: fmt.Sprintf("is larger than %d bytes", maxBody)}
	case errors.Is(err, errTrailing):
		return domain.FieldError{Field: "body", Message: "has data after the JSON object"}
	case errors.Is(err, io.EOF):
		return domain.FieldError{Field: "body", Message: "is empty; send a JSON object"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return domain.FieldError{Field: name, Message: "is not a known field"}
	}
	return domain.FieldError{Field: "body", Message: "is not a valid JSON object"}
}

// jsonPath is the JSON path of a decoding error's field without the Go names of the
// embedded structs it passed (e.g. "ClusterSpec.network.pod_cidr" is "network.pod_cidr"):
// every JSON name of this API is lower case.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	for len(parts) > 0 && parts[0] != "" && unicode.IsUpper(rune(parts[0][0])) {
		parts = parts[1:]
	}
	return strings.Join(parts, ".")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a number"
}
