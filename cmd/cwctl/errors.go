package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the server failed, the network, or the operation ended Failed/Canceled
	exitUsage = 2 // bad usage, or the API refused the request (4xx)
)

// usageError is a mistake in how cwctl was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// asUsageError makes err, which cobra returned before any command ran (an unknown flag
// or command, a missing argument), a usage error.
func asUsageError(err error) error {
	var usage *usageError
	if errors.As(err, &usage) {
		return err
	}
	return usageErrorf("%s; run `cwctl help`", err.Error())
}

// operationEndedError says that a watched operation ended other than Succeeded.
type operationEndedError struct{ op domain.Operation }

func (e *operationEndedError) Error() string {
	msg := fmt.Sprintf("operation %s (%s %s) ended %s", e.op.ID, e.op.Kind, e.op.Target.Name, e.op.State)
	if e.op.Error != "" {
		msg += ": " + e.op.Error
	}
	return msg
}

// report prints err for a person, as "error: <detail>" and one line per field error,
// and returns the exit code.
func report(w io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var problem *client.Problem
	var usage *usageError
	switch {
	case errors.As(err, &problem):
		fmt.Fprintf(w, "error: %s\n", problem.Error())
		for _, f := range problem.Errors {
			fmt.Fprintf(w, "  %s: %s\n", f.Field, f.Message)
		}
		if problem.Operation != "" {
			fmt.Fprintf(w, "  running operation: %s (cwctl ops watch %s)\n", problem.Operation, problem.Operation)
		}
		if !problem.ClientError() && problem.RequestID != "" {
			fmt.Fprintf(w, "  request id: %s\n", problem.RequestID)
		}
		if problem.ClientError() {
			return exitUsage
		}
		return exitFail
	case errors.As(err, &usage):
		fmt.Fprintf(w, "error: %s\n", usage.msg)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(w, "error: interrupted")
		return exitFail
	default:
		fmt.Fprintf(w, "error: %s\n", err)
		return exitFail
	}
}
