package addons

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestSensitiveValues(t *testing.T) {
	vals := map[string]any{
		"config": map[string]any{"username": "admin", "password": "pw-1", "vcenter": "vc"},
		"authentication": map[string]any{
			"adminPassword": "pw-2",
			"oidc":          map[string]any{"clientSecret": "pw-3"},
		},
		"tokens":   []any{"pw-4", map[string]any{"value": "pw-5"}},
		"message":  "not secret",
		"password": "", // empty: nothing to hide
	}
	got := sensitiveValues(vals)
	slices.Sort(got)
	if want := []string{"pw-1", "pw-2", "pw-3", "pw-4", "pw-5"}; !slices.Equal(got, want) {
		t.Errorf("sensitiveValues = %v, want %v", got, want)
	}
}

func TestRedactError(t *testing.T) {
	secret := `pa"ss\word`
	red := newRedactor(secret, "")
	for _, shown := range []string{
		secret,
		`pa\"ss\\word`, // quoted (Go, JSON)
		base64.StdEncoding.EncodeToString([]byte(secret)), // a Secret's data
	} {
		inner := fmt.Errorf("render: value %s rejected", shown)
		err := red.error(withClass(fmt.Errorf("apply: %w", inner), ErrInvalidValues))
		if strings.Contains(err.Error(), shown) || !strings.Contains(err.Error(), "<redacted>") {
			t.Errorf("redacted error %q still shows %q", err, shown)
		}
		if !errors.Is(err, ErrInvalidValues) {
			t.Errorf("redacted error %q lost its class", err)
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), shown) {
				t.Errorf("the chain of %q leads to %q", err, e)
			}
		}
	}
	plain := errors.New("nothing secret here")
	if red.error(plain) != plain {
		t.Error("an error without secrets was replaced")
	}
	if red.error(nil) != nil {
		t.Error("nil error became non-nil")
	}
}

func TestClassifyKube(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want error
	}{
		{errors.New(`Kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": dial tcp 127.0.0.1:6443: connect: connection refused`), ErrUnreachable},
		{errors.New(`ConfigMap "x" is invalid: data[a b]: Invalid value`), ErrInvalidValues},
		{errors.New(`error validating data: unknown field "spec.foo"`), ErrInvalidValues},
		{errors.New("timed out waiting for the condition"), ErrNotReady},
		{fmt.Errorf("upgrade: %w", context.DeadlineExceeded), ErrNotReady},
		{errors.New("the server could not find the requested resource"), nil},
		{withClass(errors.New("x"), ErrReleaseBusy), ErrReleaseBusy},
	} {
		got := classOf(classifyKube(tt.err))
		if got != tt.want {
			t.Errorf("classifyKube(%q) class %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestClassifyFetch(t *testing.T) {
	for _, tt := range []struct {
		msg  string
		want error
	}{
		{"failed to fetch http://repo/index.yaml : 404 Not Found", ErrChartNotFound},
		{"failed to fetch http://repo/x.tgz : 403 Forbidden", ErrChartNotFound},
		{"failed to fetch http://repo/index.yaml : 503 Service Unavailable", ErrSourceUnreachable},
		{"failed to fetch http://repo/index.yaml : 429 Too Many Requests", ErrSourceUnreachable},
		{`Get "http://127.0.0.1:1/index.yaml": dial tcp 127.0.0.1:1: connect: connection refused`, ErrSourceUnreachable},
	} {
		if got := classOf(classifyFetch(errors.New(tt.msg))); got != tt.want {
			t.Errorf("classifyFetch(%q) class %v, want %v", tt.msg, got, tt.want)
		}
	}
}
