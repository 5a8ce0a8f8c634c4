package domain

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is one problem with one input field. Field uses the JSON path of the
// field as the client sent it, e.g. "placement.datastore" or "worker_pools[1].replicas".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every bad field of one request. Validation functions return it
// (never a bare error) so that the API can name each field in its problem reply.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem with field; the message is formatted like fmt.Sprintf.
func (e *ValidationError) Add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when no field was added, else e.
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// AsValidation reports whether err is (or wraps) a ValidationError and returns it.
func AsValidation(err error) (*ValidationError, bool) {
	var v *ValidationError
	ok := errors.As(err, &v)
	return v, ok
}

// Sentinel errors that stores and services return; the API maps them to HTTP statuses.
var (
	// ErrNotFound: the named resource does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the resource exists already, or is busy with another operation (409).
	ErrConflict = errors.New("conflict")
	// ErrExhausted: a pool has no free address left (409 on allocation).
	ErrExhausted = errors.New("exhausted")
	// ErrUnavailable: a part the request needs did not answer in time; try again (503).
	ErrUnavailable = errors.New("unavailable")
)

// NotAwaitingError says that a decision was asked of an operation that does not wait
// for one; it wraps ErrConflict.
type NotAwaitingError struct {
	Operation string // its id
	Reason    string // e.g. "it is Succeeded"
}

func (e *NotAwaitingError) Error() string {
	return "operation " + e.Operation + " is not awaiting a decision: " + e.Reason
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *NotAwaitingError) Unwrap() error { return ErrConflict }

// BusyError says that a target already has a running operation; it wraps ErrConflict.
type BusyError struct {
	Target    string // e.g. "cluster dev-east"
	Operation string // id of the running operation
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s is busy with operation %s", e.Target, e.Operation)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *BusyError) Unwrap() error { return ErrConflict }

// NotDueError says that a scheduled operation has nothing to do on a cluster yet (e.g. its
// certificates have more days left than the schedule renews at): the run skips the
// cluster with Reason.
type NotDueError struct {
	Reason string
}

func (e *NotDueError) Error() string { return "not due: " + e.Reason }
