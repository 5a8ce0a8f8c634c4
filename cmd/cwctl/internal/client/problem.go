package client

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"
)

// FieldError is one bad input field named by a problem reply.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problem is an RFC 9457 problem reply of the API, returned as an error.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail"`
	RequestID string       `json:"request_id"`
	Errors    []FieldError `json:"errors"`
	Operation string       `json:"operation"` // the running operation, on 409 busy
}

// Error is the problem's detail (or title), as a person reads it.
func (p *Problem) Error() string {
	switch {
	case p.Detail != "":
		return p.Detail
	case p.Title != "":
		return p.Title
	default:
		return http.StatusText(p.Status)
	}
}

// ClientError reports whether the server refused the request itself (a 4xx status):
// bad input, a missing resource, a conflict or a denied token.
func (p *Problem) ClientError() bool { return p.Status >= 400 && p.Status < 500 }

// maxPlainDetail bounds how much of a reply that is not a problem becomes its detail.
const maxPlainDetail = 300

// parseProblem turns an error reply into a *Problem; replies that are not problem JSON
// (a proxy's page, say) keep their status and a short excerpt of their text.
func parseProblem(status int, contentType string, body []byte) *Problem {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/problem+json" || mt == "application/json" {
		var p Problem
		if err := json.Unmarshal(body, &p); err == nil && (p.Detail != "" || p.Title != "" || len(p.Errors) > 0) {
			p.Status = status
			return &p
		}
	}
	detail := strings.TrimSpace(string(body))
	if len(detail) > maxPlainDetail {
		detail = detail[:maxPlainDetail] + "..."
	}
	if detail == "" {
		detail = http.StatusText(status)
	}
	return &Problem{Status: status, Title: http.StatusText(status), Detail: detail}
}
