package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"

	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/yaml"
)

// pageSize is how many items cwctl asks for per page when it reads a whole list.
const pageSize = 500

// getJSON GETs path and decodes the reply into v; it returns the raw reply too.
func getJSON(ctx context.Context, s *session, path string, query url.Values, v any) ([]byte, error) {
	resp, err := s.api.Do(ctx, "GET", path, query, nil)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return nil, fmt.Errorf("GET %s: reply is not the expected JSON: %w", path, err)
	}
	return resp.Body, nil
}

// listPage is the envelope of every list reply.
type listPage struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// listAll reads every page of the list at path and decodes its items into T. It also
// returns the items as one list reply, for -o json.
func listAll[T any](ctx context.Context, s *session, path string, query url.Values) ([]T, []byte, error) {
	all := listPage{Items: []json.RawMessage{}}
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", strconv.Itoa(pageSize))
	for {
		var page listPage
		if _, err := getJSON(ctx, s, path, q, &page); err != nil {
			return nil, nil, err
		}
		all.Items = append(all.Items, page.Items...)
		if page.NextCursor == "" {
			break
		}
		q.Set("cursor", page.NextCursor)
	}
	items := make([]T, len(all.Items))
	for i, raw := range all.Items {
		if err := json.Unmarshal(raw, &items[i]); err != nil {
			return nil, nil, fmt.Errorf("GET %s: item %d is not the expected JSON: %w", path, i, err)
		}
	}
	raw, err := json.Marshal(all)
	return items, raw, err
}

// readInput reads the YAML or JSON file of a create command ("-" is standard input) and
// returns it as JSON, checked to be one object; the server checks every field.
func readInput(file string) ([]byte, error) {
	if file == "" {
		return nil, usageErrorf("-f: a YAML or JSON file is required (- reads standard input)")
	}
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(os.Stdin)
		file = "(standard input)"
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, usageErrorf("-f: %v", err)
	}
	j, err := toJSON(b)
	if err != nil {
		return nil, usageErrorf("-f %s: %v", file, err)
	}
	return j, nil
}

// toJSON turns a YAML or JSON document (JSON is YAML too) holding one object into JSON.
func toJSON(b []byte) ([]byte, error) {
	if !json.Valid(b) {
		if n, err := yamlDocuments(b); err == nil && n > 1 {
			return nil, fmt.Errorf("holds %d YAML documents; give one", n)
		}
		var err error
		if b, err = yaml.YAMLToJSONStrict(b); err != nil {
			return nil, fmt.Errorf("neither YAML nor JSON: %w", err)
		}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, errors.New("must hold one object (name: value, ...)")
	}
	return b, nil
}

// yamlDocuments counts the documents in a YAML stream ("---" separates them).
func yamlDocuments(b []byte) (int, error) {
	dec := yamlv3.NewDecoder(bytes.NewReader(b))
	n := 0
	for {
		var doc yamlv3.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// operationReply is the 202 reply of every long operation.
type operationReply struct {
	Operation json.RawMessage `json:"operation"`
}
