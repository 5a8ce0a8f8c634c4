package temporalrt

import (
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

const devTaskQueue = "dev"

// Environment of the child process that TestDevServerSurvivesRestart starts.
const (
	childDBEnv  = "TEMPORALRT_TEST_CHILD_DB"
	childKeyEnv = "TEMPORALRT_TEST_CHILD_KEY"
)

// TestDevServerSurvivesRestart runs a workflow, restarts the server on the
// same database file (in this process, then in a new one), and checks that
// finished workflows are still there and new ones run.
func TestDevServerSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server twice and a child process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := filepath.Join(t.TempDir(), "state", "temporal.db")
	key := testKey(t)

	srv := startDevServer(t, db)
	c := dialDevServer(ctx, t, srv, key)
	runEcho(ctx, t, c, "first", "before restart")
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	srv = startDevServer(t, db)
	c = dialDevServer(ctx, t, srv, key)
	checkCompleted(ctx, t, c, "first", "echo: before restart")
	runEcho(ctx, t, c, "second", "after restart")
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// The SQLite connection outlives the server within a process, so restart
	// in a fresh process too: only what reached the file counts there.
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDevServerChildProcess$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childDBEnv+"="+db, childKeyEnv+"="+hex.EncodeToString(key))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("restart in a child process: %v\n%s", err, out)
	}
	t.Logf("child process:\n%s", out)
}

// TestDevServerChildProcess is the last life of TestDevServerSurvivesRestart's
// database, in a process of its own; it runs only when that test starts it.
func TestDevServerChildProcess(t *testing.T) {
	db := os.Getenv(childDBEnv)
	if db == "" {
		t.Skip("runs only as the child process of TestDevServerSurvivesRestart")
	}
	key, err := hex.DecodeString(os.Getenv(childKeyEnv))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	srv := startDevServer(t, db)
	c := dialDevServer(ctx, t, srv, key)
	defer c.Close()
	checkCompleted(ctx, t, c, "first", "echo: before restart")
	checkCompleted(ctx, t, c, "second", "echo: after restart")
	runEcho(ctx, t, c, "third", "in a new process")
}

// checkCompleted checks that workflow id is described and listed as completed
// and that its result decodes to want.
func checkCompleted(ctx context.Context, t *testing.T, c client.Client, id, want string) {
	t.Helper()
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution %s: %v", id, err)
	}
	if got := desc.WorkflowExecutionInfo.Status; got != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Errorf("workflow %s status = %v, want COMPLETED", id, got)
	}
	var result string
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &result); err != nil || result != want {
		t.Errorf("workflow %s result = %q, %v; want %q", id, result, err, want)
	}
	list, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowId = '" + id + "'"})
	if err != nil {
		t.Fatalf("ListWorkflow %s: %v", id, err)
	}
	if len(list.Executions) != 1 || list.Executions[0].Status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Errorf("ListWorkflow %s = %v, want one completed execution", id, list.Executions)
	}
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

// runEcho runs echoWorkflow to completion under id with a worker of its own.
func runEcho(ctx context.Context, t *testing.T, c client.Client, id, input string) {
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
}
