package steptrack

import (
	"errors"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// ErrorMessage is the text of an activity's or workflow's error as a person reads it in
// a step: each message of the chain once, outermost first, without the wrapping Temporal
// adds ("activity error (type: ..., scheduledEventID: ...)", "(type: X, retryable: true)").
// Errors joined together (steps that run activities in parallel) are separated by "; ".
func ErrorMessage(err error) string {
	var parts []string
	for e := err; e != nil; {
		if joined, ok := e.(interface{ Unwrap() []error }); ok {
			var each []string
			for _, j := range joined.Unwrap() {
				if m := ErrorMessage(j); m != "" && !containsString(each, m) {
					each = append(each, m)
				}
			}
			parts = append(parts, strings.Join(each, "; "))
			break
		}
		var app *temporal.ApplicationError
		var activity *temporal.ActivityError
		var canceled *temporal.CanceledError
		switch {
		case errors.As(e, &activity) && e == error(activity):
			e = activity.Unwrap()
			continue
		case errors.As(e, &app) && e == error(app):
			parts = append(parts, app.Message())
			e = app.Unwrap()
			continue
		case errors.As(e, &canceled) && e == error(canceled):
			parts = append(parts, "canceled")
		default:
			parts = append(parts, e.Error())
		}
		break
	}
	out := ""
	for _, p := range parts {
		switch {
		case p == "" || strings.Contains(out, p):
		case out == "":
			out = p
		default:
			out += ": " + p
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
