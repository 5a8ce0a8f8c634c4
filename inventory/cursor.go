package inventory

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clusterwright/clusterwright/domain"
)

// Page is the limit and the opaque cursor of a list request.
type Page struct {
	Limit  int
	Cursor string
}

// Default and largest page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// keyset is what a cursor encodes: the sort key of the last row returned.
type keyset struct {
	Time time.Time `json:"t,omitempty"`
	ID   string    `json:"i,omitempty"`
	Name string    `json:"n,omitempty"`
	Seq  int64     `json:"s,omitempty"`
}

func encodeCursor(k keyset) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses a cursor; a malformed one is a validation error on field "cursor".
func decodeCursor(s string) (keyset, bool, error) {
	if s == "" {
		return keyset{}, false, nil
	}
	var k keyset
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &k)
	}
	if err != nil {
		v := &domain.ValidationError{}
		v.Add("cursor", "is not a cursor this server returned")
		return k, false, fmt.Errorf("decode cursor: %w", v)
	}
	return k, true, nil
}

// pageByName trims a result read with limit+1 rows to limit and returns the cursor of
// the next page ("" on the last page), for lists ordered by name.
func pageByName[T any](items []T, limit int, name func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, encodeCursor(keyset{Name: name(items[limit-1])})
}
