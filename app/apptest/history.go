package apptest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/temporalproto"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"

	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/temporalrt"
	"github.com/clusterwright/clusterwright/workflows"
)

// RecordHistoriesEnv, when set, makes CheckReplay keep the histories it replays under
// workflows/testdata/histories, for workflows' replay test.
const RecordHistoriesEnv = "CLUSTERWRIGHT_RECORD_HISTORIES"

// History returns the workflow history of an operation with every payload decoded by the
// service's own codec.
func (e *Env) History(op domain.Operation) *historypb.History {
	e.t.Helper()
	return e.history(op, true)
}

// RawHistory returns the workflow history of an operation as the Temporal server keeps
// it: payloads as the service's codec encoded them.
func (e *Env) RawHistory(op domain.Operation) *historypb.History {
	e.t.Helper()
	return e.history(op, false)
}

// history reads an operation's whole workflow history, decoding its payloads when decode.
func (e *Env) history(op domain.Operation, decode bool) *historypb.History {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	codec := e.codec()
	out := &historypb.History{}
	req := &workflowservice.GetWorkflowExecutionHistoryRequest{Namespace: e.App.Config.TemporalNamespace,
		Execution: &commonpb.WorkflowExecution{WorkflowId: op.WorkflowID, RunId: op.RunID}}
	for {
		resp, err := e.App.Temporal.WorkflowService().GetWorkflowExecutionHistory(ctx, req)
		if err != nil {
			e.t.Fatalf("history of operation %s: %v", op.ID, err)
		}
		if decode {
			err = proxy.VisitPayloads(ctx, resp.History, proxy.VisitPayloadsOptions{
				Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
					return codec.Decode(p)
				},
			})
			if err != nil {
				e.t.Fatalf("decode history of operation %s: %v", op.ID, err)
			}
		}
		out.Events = append(out.Events, resp.History.Events...)
		if len(resp.NextPageToken) == 0 {
			return out
		}
		req.NextPageToken = resp.NextPageToken
	}
}

// codec is the service's payload codec under the current master keys.
func (e *Env) codec() converter.PayloadCodec {
	e.t.Helper()
	keys, err := e.App.Config.MasterKeys()
	if err != nil {
		e.t.Fatal(err)
	}
	codec, err := temporalrt.NewCodec(app.PayloadKey(keys.Primary), keys.OldPayloadKeys()...)
	if err != nil {
		e.t.Fatal(err)
	}
	return codec
}

// Workflows lists every workflow execution of the service's namespace, open or closed,
// with its memo decoded by the service's codec and its search attributes as stored.
func (e *Env) Workflows() []*workflowpb.WorkflowExecutionInfo {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	codec := e.codec()
	var out []*workflowpb.WorkflowExecutionInfo
	req := &workflowservice.ListWorkflowExecutionsRequest{Namespace: e.App.Config.TemporalNamespace}
	for {
		resp, err := e.App.Temporal.WorkflowService().ListWorkflowExecutions(ctx, req)
		if err != nil {
			e.t.Fatalf("list workflows: %v", err)
		}
		for _, info := range resp.Executions {
			for k, p := range info.GetMemo().GetFields() {
				d, err := codec.Decode([]*commonpb.Payload{p})
				if err != nil {
					e.t.Fatalf("decode memo %s of workflow %s: %v", k, info.GetExecution().GetWorkflowId(), err)
				}
				info.Memo.Fields[k] = d[0]
			}
			out = append(out, info)
		}
		if len(resp.NextPageToken) == 0 {
			return out
		}
		req.NextPageToken = resp.NextPageToken
	}
}

// CheckReplay replays the (ended) operation's workflow history against this code, as a
// new release meets a running workflow. With RecordHistoriesEnv set it also keeps the
// history as workflows/testdata/histories/<name>.json.
func (e *Env) CheckReplay(name string, op domain.Operation) {
	e.t.Helper()
	h := e.History(op)
	r, err := workflows.NewReplayer()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := r.ReplayWorkflowHistory(log.NewStructuredLogger(discardLogger()), h); err != nil {
		e.t.Fatalf("replay of operation %s (%s): %v", op.ID, name, err)
	}
	if os.Getenv(RecordHistoriesEnv) == "" {
		return
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		e.t.Fatal(err)
	}
	_, self, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(self), "..", "..", "workflows", "testdata", "histories", name+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.t.Logf("recorded the history of operation %s as %s", op.ID, path)
}

// discardLogger drops the replayer's logs; a failed replay says why in its error.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
