package api

import (
	"net/http"
	"strconv"
	"time"

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

// queryPolicy reads a failure policy from ?on_failure= and ?decision_timeout=.
func queryPolicy(r *http.Request) domain.FailurePolicy {
	q := r.URL.Query()
	return domain.FailurePolicy{OnFailure: q.Get("on_failure"), DecisionTimeout: q.Get("decision_timeout")}
}

// checkPolicy validates a request's failure policy and fills its defaults (wait, the
// server's decision timeout).
func (a *API) checkPolicy(p *domain.FailurePolicy) error {
	var v domain.ValidationError
	p.Validate(&v)
	p.Defaults(a.decisionTimeout)
	return v.Err()
}

// validateAll merges the field errors of several validations into one.
func validateAll(errs ...error) error {
	var all domain.ValidationError
	for _, err := range errs {
		if err == nil {
			continue
		}
		v, ok := domain.AsValidation(err)
		if !ok {
			return err
		}
		all.Fields = append(all.Fields, v.Fields...)
	}
	return all.Err()
}

// timeParam reads an RFC 3339 time from the query parameter name.
func timeParam(r *http.Request, v *domain.ValidationError, name string) time.Time {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		v.Add(name, "must be an RFC 3339 time such as 2026-12-01T00:00:00Z")
	}
	return t
}
