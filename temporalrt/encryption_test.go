package temporalrt

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/proto"
)

// TestHistoryHoldsNoPlaintext runs a workflow whose input and activity error
// carry canaries and checks that the history the server stores contains
// neither, while the codec'd client still reads both.
func TestHistoryHoldsNoPlaintext(t *testing.T) {
	key := testKey(t)
	opts, err := ClientOptions("", "", key, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	ts := temporaltest.NewServer(temporaltest.WithT(t), temporaltest.WithBaseClientOptions(opts))

	inputCanary, errorCanary := canary(t, "s3cr3t-CANARY-"), canary(t, "err-CANARY-")
	const taskQueue = "canary"
	ts.NewWorker(taskQueue, func(r worker.Registry) {
		r.RegisterWorkflow(canaryWorkflow)
		r.RegisterActivity(&canaryActivities{ErrorCanary: errorCanary})
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := ts.GetDefaultClient()
	in := canaryInput{Cluster: "dev-east", Secret: inputCanary}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: taskQueue}, canaryWorkflow, in)
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}

	// The codec'd client decodes the failure message.
	err = run.Get(ctx, nil)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !strings.Contains(appErr.Error(), errorCanary) {
		t.Fatalf("workflow error = %v, want an application error carrying the error canary", err)
	}

	// A client without the codec sees only ciphertext.
	plain := ts.NewClientWithOptions(client.Options{Namespace: ts.GetDefaultNamespace()})
	history := rawHistory(ctx, t, plain, ts.GetDefaultNamespace(), run.GetID(), run.GetRunID())
	raw, err := proto.Marshal(history)
	if err != nil {
		t.Fatal(err)
	}
	for name, secret := range map[string]string{"input": inputCanary, "error": errorCanary} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("stored history contains the %s canary in plain text", name)
		}
	}

	started := history.Events[0].GetWorkflowExecutionStartedEventAttributes()
	if started == nil {
		t.Fatalf("first event is %v, want WorkflowExecutionStarted", history.Events[0].EventType)
	}
	if enc := string(started.Input.Payloads[0].Metadata[MetadataEncoding]); enc != EncodingEncrypted {
		t.Errorf("input payload encoding = %q, want %q", enc, EncodingEncrypted)
	}
	var decoded canaryInput
	if err := opts.DataConverter.FromPayloads(started.Input, &decoded); err != nil {
		t.Fatalf("codec'd data converter cannot decode the stored input: %v", err)
	}
	if decoded != in {
		t.Errorf("decoded input = %+v, want %+v", decoded, in)
	}

	var sawActivityFailure bool
	for _, e := range history.Events {
		if a := e.GetActivityTaskFailedEventAttributes(); a != nil {
			sawActivityFailure = true
			if a.Failure.EncodedAttributes == nil {
				t.Error("activity failure has no encoded attributes: its message is stored in plain text")
			}
		}
	}
	if !sawActivityFailure {
		t.Error("history has no ActivityTaskFailed event")
	}
}

// rawHistory reads a workflow's history straight from the service, with no
// data converter involved.
func rawHistory(ctx context.Context, t *testing.T, c client.Client, namespace, workflowID, runID string) *historypb.History {
	t.Helper()
	history := &historypb.History{}
	var token []byte
	for {
		resp, err := c.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
			Namespace:              namespace,
			Execution:              &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID},
			NextPageToken:          token,
			HistoryEventFilterType: enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT,
		})
		if err != nil {
			t.Fatalf("GetWorkflowExecutionHistory: %v", err)
		}
		history.Events = append(history.Events, resp.History.GetEvents()...)
		token = resp.NextPageToken
		if len(token) == 0 {
			return history
		}
	}
}
