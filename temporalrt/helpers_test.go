package temporalrt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"
	"time"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Workflows, activities and helpers of the integration tests.

// canaryInput is a workflow input carrying a value that must never reach the
// server in plain text.
type canaryInput struct {
	Cluster string
	Secret  string
}

// canaryActivities fails with a message carrying ErrorCanary.
type canaryActivities struct {
	ErrorCanary string
}

func (a *canaryActivities) FailWithCanary(_ context.Context, in canaryInput) (string, error) {
	return "", temporal.NewNonRetryableApplicationError("vCenter rejected the login: "+a.ErrorCanary, "LoginFailed", nil)
}

// canaryWorkflow hands its input to an activity that fails.
func canaryWorkflow(ctx workflow.Context, in canaryInput) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var out string
	err := workflow.ExecuteActivity(ctx, (*canaryActivities).FailWithCanary, in).Get(ctx, &out)
	return out, err
}

// echoActivity returns its input.
func echoActivity(_ context.Context, s string) (string, error) { return "echo: " + s, nil }

// echoWorkflow returns its input through an activity.
func echoWorkflow(ctx workflow.Context, s string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, echoActivity, s).Get(ctx, &out)
	return out, err
}

func canary(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// quietSDKLogger discards the SDK's logs.
func quietSDKLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
}

// testLogger logs warnings and errors to stderr; go test shows them when a test fails or with -v.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
