package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func opsCommand(s *session) *cobra.Command {
	anyOp := s.completeOperations("")
	return group("ops", "operations: list, follow, retry, cancel or abandon the long-running work",
		listOperationsCommand(s),
		s.printing(&cobra.Command{Use: "get ID", Short: "show one operation, its steps and, when it waits, the decision", Args: exactArgs(1),
			ValidArgsFunction: anyOp, RunE: s.run(getOperation)}),
		s.printing(&cobra.Command{
			Use:   "watch ID",
			Short: "follow an operation's steps live; exit 0 when it succeeds, 1 when it fails",
			Long: "Follow an operation's steps live, one line per step change, until it ends: exit 0 when it\n" +
				"Succeeded, 1 when it Failed or was Canceled. A dropped connection is resumed where it broke.\n" +
				"An operation awaiting a decision is followed on: a line says which step waits, why, until\n" +
				"when, and how to retry or cancel it (from another shell, say).",
			Example:           "  cwctl ops watch 1b4e28ba-2fa1-11d2-883f-0016d3cca427",
			Args:              exactArgs(1),
			ValidArgsFunction: anyOp,
			RunE: s.run(func(ctx context.Context, s *session, args []string) error {
				return watch(ctx, s, args[0], nil)
			}),
		}),
		retryOperationCommand(s),
		cancelOperationCommand(s, anyOp),
		abandonOperationCommand(s, anyOp),
	)
}

func listOperationsCommand(s *session) *cobra.Command {
	var cluster, kind, state, actor, since, until string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list operations, newest first, filtered by cluster, kind, state, actor or time",
		Example: "  cwctl ops list --cluster dev-east\n" +
			"  cwctl ops list --state AwaitingDecision\n" +
			"  cwctl ops list --kind cluster.provision --since 2026-12-01T00:00:00Z --until 2026-12-02T00:00:00Z",
		Args: noArgs,
		RunE: s.run(func(ctx context.Context, s *session, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"cluster": cluster, "kind": kind, "state": state, "actor": actor} {
				if v != "" {
					q.Set(k, v)
				}
			}
			for k, v := range map[string]string{"since": since, "until": until} {
				if v == "" {
					continue
				}
				if _, err := time.Parse(time.RFC3339, v); err != nil {
					return usageErrorf("--%s: want an RFC 3339 time like 2026-12-02T10:00:00Z, not %q", k, v)
				}
				q.Set(k, v)
			}
			ops, raw, err := listAll[domain.Operation](ctx, s, client.Path("operations"), q)
			if err != nil {
				return err
			}
			if s.structured() {
				return s.printReply(raw)
			}
			t := newTable(s.stdout, "ID", "KIND", "TARGET", "STATE", "ACTOR", "CREATED", "ERROR")
			for _, op := range ops {
				t.row(op.ID, op.Kind, op.Target.Kind+"/"+op.Target.Name, op.State, op.Actor, timestamp(op.CreatedAt), op.Error)
			}
			t.flush()
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&cluster, "cluster", "", "only operations on the cluster `NAME`")
	f.StringVar(&kind, "kind", "", "only operations of `KIND`, e.g. cluster.provision")
	f.StringVar(&state, "state", "", "only operations in `STATE`: "+orList(domain.OperationStates))
	f.StringVar(&actor, "actor", "", "only operations started by `ACTOR` (a token's name)")
	f.StringVar(&since, "since", "", "only operations created at or after `TIME` (RFC 3339)")
	f.StringVar(&until, "until", "", "only operations created before `TIME` (RFC 3339)")
	cmd.RegisterFlagCompletionFunc("cluster", s.completeFlagNames(client.Path("clusters")))
	cmd.RegisterFlagCompletionFunc("state", cobra.FixedCompletions(domain.OperationStates, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(
		[]string{domain.OpProvisionCluster, domain.OpDeleteCluster, domain.OpSyncInventory, domain.OpFormClusterSet,
			domain.OpJoinClusterSet, domain.OpLeaveClusterSet, domain.OpDisbandClusterSet,
			domain.OpCheckCertificates, domain.OpRenewCertificates, domain.OpBackupCluster, domain.OpRestoreCluster,
			domain.OpUpgradeCluster, domain.OpScaleCluster, domain.OpReplaceNode}, cobra.ShellCompDirectiveNoFileComp))
	return s.printing(cmd)
}

func getOperation(ctx context.Context, s *session, args []string) error {
	var op domain.Operation
	raw, err := getJSON(ctx, s, client.Path("operations", args[0]), nil, &op)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	printOperation(s, op)
	return nil
}

// printOperation shows an operation, the decision it waits for, its steps and, for steps
// a person retried, each run.
func printOperation(s *session, op domain.Operation) {
	onFailure := op.OnFailure
	if op.OnFailure == domain.OnFailureWait && op.DecisionTimeout != "" {
		onFailure += ", decide within " + op.DecisionTimeout
	}
	fields(s.stdout, "id", op.ID, "kind", op.Kind, "target", op.Target.Kind+"/"+op.Target.Name, "state", op.State,
		"error", op.Error, "actor", op.Actor, "request id", op.RequestID, "on failure", onFailure,
		"created", timestamp(op.CreatedAt), "finished", timestampOf(op.FinishedAt))
	if op.Decision != nil {
		fmt.Fprintln(s.stdout)
		printDecision(s, op.ID, op.Decision)
	}
	fmt.Fprintln(s.stdout)
	t := newTable(s.stdout, "STEP", "STATE", "ATTEMPTS", "RUNS", "STARTED", "FINISHED", "ERROR")
	retried := false
	for _, st := range op.Steps {
		runs := ""
		if len(st.Runs) > 0 {
			runs = strconv.Itoa(len(st.Runs))
		}
		retried = retried || len(st.Runs) > 1
		t.row(st.Name, st.State, strconv.Itoa(st.Attempts), runs, timestampOf(st.StartedAt), timestampOf(st.FinishedAt), st.Error)
	}
	t.flush()
	if !retried {
		return
	}
	fmt.Fprintln(s.stdout)
	t = newTable(s.stdout, "STEP", "RUN", "BY", "STATE", "ATTEMPTS", "STARTED", "FINISHED", "ERROR")
	for _, st := range op.Steps {
		if len(st.Runs) < 2 {
			continue
		}
		for _, r := range st.Runs {
			t.row(st.Name, strconv.Itoa(r.Run), r.Actor, r.State, strconv.Itoa(len(r.Attempts)),
				timestamp(r.StartedAt), timestampOf(r.FinishedAt), r.Error)
		}
	}
	t.flush()
}

// printDecision shows the decision operation id waits for: which step, why, until when,
// and the commands that decide.
func printDecision(s *session, id string, d *domain.Decision) {
	fields(s.stdout, "waiting on step", d.Step, "because", d.Reason, "since", timestamp(d.Since),
		"deadline", timestamp(d.Deadline)+" (then it compensates by itself)",
		"retry the step", "cwctl ops retry "+id+" --wait", "or cancel", "cwctl ops cancel "+id)
}

func retryOperationCommand(s *session) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:   "retry ID",
		Short: "run the failed step of an operation awaiting a decision again, then the rest",
		Long: "Run the failed step of an operation that is AwaitingDecision again, as a new run, then the\n" +
			"steps after it; finished steps are never redone. An operation that is not waiting is\n" +
			"refused (exit 2). --wait follows it like `ops watch`: exit 0 when it succeeds, 1 when not.",
		Example:           "  cwctl ops list --state AwaitingDecision\n  cwctl ops retry 1b4e28ba-2fa1-11d2-883f-0016d3cca427 --wait",
		Args:              exactArgs(1),
		ValidArgsFunction: s.completeOperations(domain.OpAwaitingDecision),
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			answered, err := decisionToAnswer(ctx, s, args[0], wait)
			if err != nil {
				return err
			}
			return startOperation(ctx, s, "POST", client.Path("operations", args[0], "retry"), nil, wait, answered)
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the operation until it ends")
	return s.printing(cmd)
}

func cancelOperationCommand(s *session, ops cobra.CompletionFunc) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:               "cancel ID",
		Short:             "cancel a running or waiting operation (its compensation runs)",
		Example:           "  cwctl ops cancel 1b4e28ba-2fa1-11d2-883f-0016d3cca427 --wait",
		Args:              exactArgs(1),
		ValidArgsFunction: ops,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			answered, err := decisionToAnswer(ctx, s, args[0], wait)
			if err != nil {
				return err
			}
			return startOperation(ctx, s, "POST", client.Path("operations", args[0], "cancel"), nil, wait, answered)
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the operation until it ends")
	return s.printing(cmd)
}

// decisionToAnswer is the decision the operation id waits for, if any, when a retry or
// cancel is to be followed: the watch that follows does not announce it again.
func decisionToAnswer(ctx context.Context, s *session, id string, wait bool) (*domain.Decision, error) {
	if !wait {
		return nil, nil
	}
	var op domain.Operation
	if _, err := getJSON(ctx, s, client.Path("operations", id), nil, &op); err != nil {
		return nil, err
	}
	return op.Decision, nil
}

// startOperation sends a request that starts (or retries, or cancels) a long operation,
// prints the operation and, with wait, follows it to its end (see watch for answered).
func startOperation(ctx context.Context, s *session, method, path string, body []byte, wait bool, answered *domain.Decision) error {
	resp, err := s.api.Do(ctx, method, path, nil, body)
	if err != nil {
		return err
	}
	var reply operationReply
	if err := json.Unmarshal(resp.Body, &reply); err != nil || reply.Operation == nil {
		return fmt.Errorf("%s %s: reply has no operation: %s", method, path, resp.Body)
	}
	return started(ctx, s, resp.Body, reply.Operation, wait, answered)
}

// started prints the reply that started an operation (raw) and follows the operation
// (opJSON) when wait is set. With -o json|yaml and wait, only the ended operation is printed.
func started(ctx context.Context, s *session, raw []byte, opJSON json.RawMessage, wait bool, answered *domain.Decision) error {
	var op domain.Operation
	if err := json.Unmarshal(opJSON, &op); err != nil {
		return fmt.Errorf("operation in the reply: %w", err)
	}
	switch {
	case s.structured() && !wait:
		return s.printReply(raw)
	case !s.structured():
		fmt.Fprintf(s.stdout, "operation %s: %s %s/%s %s\n", op.ID, op.Kind, op.Target.Kind, op.Target.Name, op.State)
	}
	if !wait {
		if !s.structured() {
			fmt.Fprintf(s.stdout, "follow it with: cwctl ops watch %s\n", op.ID)
		}
		return nil
	}
	return watch(ctx, s, op.ID, answered)
}
