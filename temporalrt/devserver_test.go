package temporalrt

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

const devTaskQueue = "dev"

// TestDevServerSurvivesRestart runs a workflow, restarts the server on the
// same database file, and checks the finished workflow is still there and new
// ones run.
func TestDevServerSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server twice")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := filepath.Join(t.TempDir(), "state", "temporal.db")
	key := testKey(t)

	srv := startDevServer(t, db)
	c := dialDevServer(ctx, t, srv, key)
	first := runEcho(ctx, t, c, "first", "before restart")
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	srv = startDevServer(t, db)
	c = dialDevServer(ctx, t, srv, key)
	defer c.Close()

	desc, err := c.DescribeWorkflowExecution(ctx, "first", first)
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution after restart: %v", err)
	}
	if got := desc.WorkflowExecutionInfo.Status; got != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Errorf("status after restart = %v, want COMPLETED", got)
	}
	var result string
	if err := c.GetWorkflow(ctx, "first", first).Get(ctx, &result); err != nil || result != "echo: before restart" {
		t.Errorf("result after restart = %q, %v", result, err)
	}
	list, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowId = 'first'"})
	if err != nil {
		t.Fatalf("ListWorkflow after restart: %v", err)
	}
	if len(list.Executions) != 1 || list.Executions[0].Execution.RunId != first {
		t.Errorf("ListWorkflow after restart = %v, want the first run", list.Executions)
	}

	runEcho(ctx, t, c, "second", "after restart")
}

func TestDevServerConfigValidation(t *testing.T) {
	for name, cfg := range map[string]DevServerConfig{
		"no database":   {},
		"bad host":      {DatabaseFile: "x.db", Host: "not-an-ip"},
		"bad port":      {DatabaseFile: "x.db", Port: 65534},
		"negative port": {DatabaseFile: "x.db", Port: -1},
		"query in path": {DatabaseFile: filepath.Join(t.TempDir(), "x?.db")},
	} {
		if srv, err := StartDevServer(cfg); err == nil {
			_ = srv.Stop()
			t.Errorf("%s: accepted", name)
		}
	}
}

func startDevServer(t *testing.T, db string) *DevServer {
	t.Helper()
	srv, err := StartDevServer(DevServerConfig{DatabaseFile: db, Namespace: "clusterwright", Logger: testLogger()})
	if err != nil {
		t.Fatalf("StartDevServer: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

func dialDevServer(ctx context.Context, t *testing.T, srv *DevServer, key []byte) client.Client {
	t.Helper()
	opts, err := ClientOptions(srv.FrontendHostPort(), srv.Namespace(), key, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	c, err := Dial(ctx, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	return c
}

// runEcho runs echoWorkflow to completion under id with a worker of its own
// and returns the run id.
func runEcho(ctx context.Context, t *testing.T, c client.Client, id, input string) string {
	t.Helper()
	w := worker.New(c, devTaskQueue, worker.Options{})
	w.RegisterWorkflow(echoWorkflow)
	w.RegisterActivity(echoActivity)
	if err := w.Start(); err != nil {
		t.Fatalf("worker: %v", err)
	}
	defer w.Stop()

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: devTaskQueue}, echoWorkflow, input)
	if err != nil {
		t.Fatalf("ExecuteWorkflow %s: %v", id, err)
	}
	var out string
	if err := run.Get(ctx, &out); err != nil {
		t.Fatalf("workflow %s: %v", id, err)
	}
	if want := "echo: " + input; out != want {
		t.Fatalf("workflow %s = %q, want %q", id, out, want)
	}
	return run.GetRunID()
}
