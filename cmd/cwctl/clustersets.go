package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func clusterSetsCommand(s *session) *cobra.Command {
	names := s.completeNames(client.Path("clustersets"))
	return group("clustersets", "Antrea Multi-cluster ClusterSets: form, inspect, join, leave, disband",
		s.printing(&cobra.Command{Use: "list", Short: "list ClusterSets: leader, phase, members ready", Args: noArgs,
			RunE: s.run(listClusterSets)}),
		s.printing(&cobra.Command{Use: "get NAME", Short: "show one ClusterSet: its members, gateways and imports",
			Example: "  cwctl clustersets get cs1\n  cwctl clustersets get cs1 -o yaml", Args: exactArgs(1),
			ValidArgsFunction: names, RunE: s.run(getClusterSet)}),
		createClusterSetCommand(s),
		joinClusterSetCommand(s, names),
		leaveClusterSetCommand(s),
		deleteClusterSetCommand(s, names),
	)
}

func listClusterSets(ctx context.Context, s *session, _ []string) error {
	sets, raw, err := listAll[domain.ClusterSet](ctx, s, client.Path("clustersets"), nil)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	t := newTable(s.stdout, "NAME", "LEADER", "PHASE", "MEMBERS", "READY")
	for _, set := range sets {
		ready := 0
		for _, m := range set.Members {
			if m.Ready {
				ready++
			}
		}
		t.row(set.Name, set.Leader, set.Phase, strconv.Itoa(len(set.Members)), strconv.Itoa(ready))
	}
	t.flush()
	return nil
}

func getClusterSet(ctx context.Context, s *session, args []string) error {
	var set domain.ClusterSet
	raw, err := getJSON(ctx, s, client.Path("clustersets", args[0]), nil, &set)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	printClusterSet(s, set)
	return nil
}

// printClusterSet shows a set, the operation it is busy with and the decision that
// operation waits for, if any, then one row per member.
func printClusterSet(s *session, set domain.ClusterSet) {
	phase := set.Phase
	if set.PhaseReason != "" {
		phase += " (" + set.PhaseReason + ")"
	}
	operation := ""
	if op := set.Operation; op != nil {
		operation = fmt.Sprintf("%s %s %s (cwctl ops watch %s)", op.ID, op.Kind, op.State, op.ID)
	}
	fields(s.stdout, "name", set.Name, "id", set.ID, "leader", set.Leader, "phase", phase,
		"gateway ip precedence", set.Spec.GatewayIPPrecedence, "endpoint ip type", set.Spec.EndpointIPType,
		"operation", operation, "created", timestamp(set.CreatedAt)+" by "+set.CreatedBy, "updated", timestamp(set.UpdatedAt))
	if op := set.Operation; op != nil && op.Decision != nil {
		fmt.Fprintln(s.stdout)
		printDecision(s, op.ID, op.Decision)
	}
	if len(set.Members) == 0 {
		return
	}
	fmt.Fprintln(s.stdout)
	t := newTable(s.stdout, "CLUSTER", "ROLE", "STATE", "READY", "GATEWAY", "CANDIDATES", "IMPORTS", "MESSAGE")
	for _, m := range set.Members {
		role := "member"
		if m.Leader {
			role = "leader"
		}
		t.row(m.Cluster, role, m.State, yesNo(m.Ready), m.Gateway.Active,
			strings.Join(m.Gateway.Candidates, ","), strings.Join(m.Imports, ","), m.Message)
	}
	t.flush()
}

// clusterSetExample is the example of `clustersets create`: a set as YAML.
const clusterSetExample = `  # cs1.yaml: lead leads; east and west are members (the leader is always one)
  name: cs1
  leader: lead
  members: [east, west]
  gateways:                      # optional: the gateway candidates, by cluster
    east: [east-default-0, east-default-1]
  gateway_ip_precedence: private # or public
  endpoint_ip_type: ClusterIP    # or PodIP

  # form it and follow its steps; exit 0 when it is Ready, 1 when it fails
  cwctl clustersets create -f cs1.yaml --wait

  # compensate at once when a step fails, instead of waiting for ops retry/cancel
  cwctl clustersets create -f cs1.yaml --on-failure compensate

  # a set of the leader alone, from standard input; others join later
  echo '{"name": "cs1", "leader": "lead"}' | cwctl clustersets create -f -`

func createClusterSetCommand(s *session) *cobra.Command {
	var file string
	var wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:   "create",
		Short: "form a ClusterSet from a YAML or JSON file",
		Long: "Form an Antrea Multi-cluster ClusterSet (the body of POST /api/v1/clustersets), as YAML or\n" +
			"JSON. The server checks the clusters first (exist, Ready, run Antrea, in no other set,\n" +
			"disjoint CIDRs, the gateway nodes are theirs) and refuses naming the field, exit 2.\n" +
			"A step that fails after its automatic retries waits for a decision (cwctl ops retry or\n" +
			"cancel) unless --on-failure compensate; --wait follows the operation to its end.",
		Example: clusterSetExample,
		Args:    noArgs,
		RunE: s.run(func(ctx context.Context, s *session, _ []string) error {
			settings, err := decide.values()
			if err != nil {
				return err
			}
			body, err := readInput(file)
			if err != nil {
				return err
			}
			if body, err = withFields(body, settings); err != nil {
				return err
			}
			return startOperation(ctx, s, "POST", client.Path("clustersets"), body, wait, nil)
		}),
	}
	fileFlag(cmd, &file, "the ClusterSet")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the forming until it ends")
	decide.bind(cmd)
	return s.printing(cmd)
}

func joinClusterSetCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	var cluster string
	var gateways []string
	var wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:   "join NAME",
		Short: "join a cluster to a ClusterSet as a member",
		Long: "Join a cluster to a ClusterSet. The server checks it as forming a set does and refuses\n" +
			"naming the field (exit 2); a join that fails or is canceled leaves no half-joined member.\n" +
			"Without --gateway the join chooses the gateway candidates (Ready workers, then control\n" +
			"planes, on different hosts).",
		Example: "  cwctl clustersets join cs1 --cluster east --wait\n" +
			"  cwctl clustersets join cs1 --cluster east --gateway east-default-0 --gateway east-default-1",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			settings, err := decide.values()
			if err != nil {
				return err
			}
			join := map[string]any{"cluster": cluster}
			if len(gateways) > 0 {
				join["gateways"] = gateways
			}
			for k, v := range settings {
				join[k] = v
			}
			body, err := json.Marshal(join)
			if err != nil {
				return fmt.Errorf("join request: %w", err)
			}
			return startOperation(ctx, s, "POST", client.Path("clustersets", args[0], "members"), body, wait, nil)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&cluster, "cluster", "", "the `CLUSTER` that joins")
	f.StringArrayVar(&gateways, "gateway", nil, "a gateway candidate, a `NODE` of the cluster (repeat for more)")
	f.BoolVar(&wait, "wait", false, "follow the join until it ends")
	decide.bind(cmd)
	cmd.MarkFlagRequired("cluster")
	cmd.RegisterFlagCompletionFunc("cluster", s.completeFlagNames(client.Path("clusters")))
	cmd.RegisterFlagCompletionFunc("gateway", s.completeNodes(&cluster))
	return s.printing(cmd)
}

func leaveClusterSetCommand(s *session) *cobra.Command {
	var wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:   "leave NAME CLUSTER",
		Short: "take a member out of a ClusterSet (the leader cannot leave: delete the set)",
		Long: "Take a member out of a ClusterSet: every object and annotation the set made for it is\n" +
			"removed, from the member and from the leader. The leader cannot leave (exit 2): delete\n" +
			"the set instead.",
		Example:           "  cwctl clustersets leave cs1 east --wait",
		Args:              exactArgs(2),
		ValidArgsFunction: s.completeSetMembers(),
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			path, err := withDecision(client.Path("clustersets", args[0], "members", args[1]), &decide)
			if err != nil {
				return err
			}
			return startOperation(ctx, s, "DELETE", path, nil, wait, nil)
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the leave until it ends")
	decide.bind(cmd)
	return s.printing(cmd)
}

func deleteClusterSetCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	var wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "disband a ClusterSet: every member leaves, the leader last",
		Long: "Disband a ClusterSet: every member leaves (the leader last), each cluster is left with\n" +
			"none of the objects and annotations the set made, and the set is gone.",
		Example:           "  cwctl clustersets delete cs1 --wait",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			path, err := withDecision(client.Path("clustersets", args[0]), &decide)
			if err != nil {
				return err
			}
			return startOperation(ctx, s, "DELETE", path, nil, wait, nil)
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the disbanding until it ends")
	decide.bind(cmd)
	return s.printing(cmd)
}

// withDecision adds the decision flags given to path as query parameters, the way
// requests without a body take them.
func withDecision(path string, decide *decisionFlags) (string, error) {
	settings, err := decide.values()
	if err != nil {
		return "", err
	}
	if len(settings) > 0 {
		path += "?" + queryOf(settings).Encode()
	}
	return path, nil
}
