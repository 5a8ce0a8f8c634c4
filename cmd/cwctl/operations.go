package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"strconv"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func listOperationsSetup(fs *flag.FlagSet) runFunc {
	var cluster, kind, state string
	fs.StringVar(&cluster, "cluster", "", "only operations on the cluster `NAME`")
	fs.StringVar(&kind, "kind", "", "only operations of `KIND`, e.g. cluster.provision")
	fs.StringVar(&state, "state", "", "only operations in `STATE`: Pending, Running, Succeeded, Failed or Canceled")
	return func(ctx context.Context, s *session, _ []string) error {
		q := url.Values{}
		for k, v := range map[string]string{"cluster": cluster, "kind": kind, "state": state} {
			if v != "" {
				q.Set(k, v)
			}
		}
		ops, raw, err := listAll[domain.Operation](ctx, s, client.Path("operations"), q)
		if err != nil {
			return err
		}
		if s.output == outputJSON {
			return printJSON(s.stdout, raw)
		}
		t := newTable(s.stdout, "ID", "KIND", "TARGET", "STATE", "ACTOR", "CREATED", "ERROR")
		for _, op := range ops {
			t.row(op.ID, op.Kind, op.Target.Kind+"/"+op.Target.Name, op.State, op.Actor, timestamp(op.CreatedAt), op.Error)
		}
		t.flush()
		return nil
	}
}

func getOperation(ctx context.Context, s *session, args []string) error {
	var op domain.Operation
	raw, err := getJSON(ctx, s, client.Path("operations", args[0]), nil, &op)
	if err != nil {
		return err
	}
	if s.output == outputJSON {
		return printJSON(s.stdout, raw)
	}
	printOperation(s, op)
	return nil
}

// printOperation shows an operation and its steps.
func printOperation(s *session, op domain.Operation) {
	fields(s.stdout, "id", op.ID, "kind", op.Kind, "target", op.Target.Kind+"/"+op.Target.Name, "state", op.State,
		"error", op.Error, "actor", op.Actor, "request id", op.RequestID, "created", timestamp(op.CreatedAt),
		"finished", timestampOf(op.FinishedAt))
	fmt.Fprintln(s.stdout)
	t := newTable(s.stdout, "STEP", "STATE", "ATTEMPTS", "STARTED", "FINISHED", "ERROR")
	for _, st := range op.Steps {
		t.row(st.Name, st.State, strconv.Itoa(st.Attempts), timestampOf(st.StartedAt), timestampOf(st.FinishedAt), st.Error)
	}
	t.flush()
}

func cancelOperationSetup(fs *flag.FlagSet) runFunc {
	wait := fs.Bool("wait", false, "follow the operation until it ends")
	return func(ctx context.Context, s *session, args []string) error {
		return startOperation(ctx, s, "POST", client.Path("operations", args[0], "cancel"), nil, *wait)
	}
}

func watchOperation(ctx context.Context, s *session, args []string) error {
	return watch(ctx, s, args[0])
}

// startOperation sends a request that starts (or cancels) a long operation, prints the
// operation and, with wait, follows it to its end.
func startOperation(ctx context.Context, s *session, method, path string, body []byte, wait bool) error {
	resp, err := s.api.Do(ctx, method, path, nil, body)
	if err != nil {
		return err
	}
	var reply operationReply
	if err := json.Unmarshal(resp.Body, &reply); err != nil || reply.Operation == nil {
		return fmt.Errorf("%s %s: reply has no operation: %s", method, path, resp.Body)
	}
	return started(ctx, s, resp.Body, reply.Operation, wait)
}

// started prints the reply that started an operation (raw) and follows the operation
// (opJSON) when wait is set. With -o json and wait, only the ended operation is printed.
func started(ctx context.Context, s *session, raw []byte, opJSON json.RawMessage, wait bool) error {
	var op domain.Operation
	if err := json.Unmarshal(opJSON, &op); err != nil {
		return fmt.Errorf("operation in the reply: %w", err)
	}
	switch {
	case s.output == outputJSON && !wait:
		return printJSON(s.stdout, raw)
	case s.output != outputJSON:
		fmt.Fprintf(s.stdout, "operation %s: %s %s/%s %s\n", op.ID, op.Kind, op.Target.Kind, op.Target.Name, op.State)
	}
	if !wait {
		if s.output != outputJSON {
			fmt.Fprintf(s.stdout, "follow it with: cwctl ops watch %s\n", op.ID)
		}
		return nil
	}
	return watch(ctx, s, op.ID)
}
