package api

import (
	"net/http"
	"strconv"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// page reads ?limit= and ?cursor=; a bad limit is a field error.
func page(r *http.Request, v *domain.ValidationError) inventory.Page {
	p := inventory.Page{Cursor: r.URL.Query().Get("cursor")}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > inventory.MaxLimit {
			v.Add("limit", "must be a whole number from 1 to %d", inventory.MaxLimit)
		}
		p.Limit = n
	}
	return p
}

// oneOf adds a field error when the query parameter name is set to a value not in allowed.
func oneOf(r *http.Request, v *domain.ValidationError, name string, allowed []string) string {
	s := r.URL.Query().Get(name)
	if s == "" {
		return ""
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	v.Add(name, "must be one of %v", allowed)
	return s
}

// List is the envelope of every list reply.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func list[T any](items []T, next string) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, NextCursor: next}
}
