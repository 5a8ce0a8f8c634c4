package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

// The Day-2 node operations: upgrade and scale a cluster, list and replace its nodes.

// clusterDetail is the reply of GET /api/v1/clusters/{name}.
type clusterDetail struct {
	domain.Cluster
	UpgradeTargets []string `json:"upgrade_targets"`
}

// drainTimeoutFlag adds --drain-timeout to cmd.
func drainTimeoutFlag(cmd *cobra.Command, p *string, what string) {
	cmd.Flags().StringVar(p, "drain-timeout", "",
		"how long draining "+what+" may wait for PodDisruptionBudgets, a `DURATION` like 10m (default: the server's, 10m)")
}

// checkDrainTimeout checks --drain-timeout ("" is the server's default).
func checkDrainTimeout(d string) error {
	if d == "" {
		return nil
	}
	if _, err := time.ParseDuration(d); err != nil {
		return usageErrorf("--drain-timeout: want a duration like 10m, not %q", d)
	}
	return nil
}

// upgradeCommand is `clusters upgrade NAME --version V [--no-backup] [--max-unavailable N]
// [--drain-timeout D] [--wait]`.
func upgradeCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	var req domain.UpgradeRequest
	var noBackup, wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:   "upgrade NAME",
		Short: "upgrade a cluster's Kubernetes one minor version, node by node (an operation)",
		Long: "Upgrade a cluster's Kubernetes: an etcd backup first (unless --no-backup), then the control-plane\n" +
			"nodes one at a time, then the workers --max-unavailable at a time, each drained, upgraded and\n" +
			"uncordoned. Kubernetes upgrades one minor version at a time: `cwctl clusters get NAME` lists\n" +
			"the versions a cluster can go to (\"upgrades to\").",
		Example:           "  cwctl clusters upgrade dev-east --version v1.37.2 --wait\n  cwctl clusters upgrade dev-east --version v1.37.2 --max-unavailable 2 --drain-timeout 30m",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			if err := checkDrainTimeout(req.DrainTimeout); err != nil {
				return err
			}
			if noBackup {
				req.Backup = new(bool)
			}
			path, err := withDecision(client.Path("clusters", args[0], "upgrade"), &decide)
			if err != nil {
				return err
			}
			body, err := json.Marshal(req)
			if err != nil {
				return err
			}
			return startOperation(ctx, s, "POST", path, body, wait, nil)
		}),
	}
	cmd.Flags().StringVar(&req.KubernetesVersion, "version", "", "the Kubernetes `VERSION` to upgrade to, e.g. v1.37.2")
	cmd.Flags().BoolVar(&noBackup, "no-backup", false, "do not take an etcd backup first")
	cmd.Flags().IntVar(&req.MaxUnavailable, "max-unavailable", 0, "how many workers are upgraded at a time (default 1)")
	drainTimeoutFlag(cmd, &req.DrainTimeout, "a node")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the upgrade until it ends")
	decide.bind(cmd)
	cmd.MarkFlagRequired("version")
	cmd.RegisterFlagCompletionFunc("version", s.completeUpgradeTargets())
	return s.printing(cmd)
}

// scaleCommand is `clusters scale NAME --pool P --replicas N [--cpus C] [--memory-mib M]
// [--disk-gib D] [--drain-timeout D] [--wait]`.
func scaleCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	var req domain.ScaleRequest
	var replicas int
	var wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:   "scale NAME",
		Short: "change the replicas of a worker pool, adding or removing the pool (an operation)",
		Long: "Bring a worker pool to --replicas nodes: new VMs join, or the newest nodes are drained and go.\n" +
			"A pool the cluster lacks is added, shaped by --cpus, --memory-mib and --disk-gib (each by default\n" +
			"the cluster's first pool's); --replicas 0 removes a pool. The control plane is not scaled.",
		Example: "  cwctl clusters scale dev-east --pool default --replicas 3 --wait\n" +
			"  cwctl clusters scale dev-east --pool gpu --replicas 2 --cpus 8 --memory-mib 16384\n" +
			"  cwctl clusters scale dev-east --pool gpu --replicas 0",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			if err := checkDrainTimeout(req.DrainTimeout); err != nil {
				return err
			}
			req.Replicas = &replicas
			path, err := withDecision(client.Path("clusters", args[0], "scale"), &decide)
			if err != nil {
				return err
			}
			body, err := json.Marshal(req)
			if err != nil {
				return err
			}
			return startOperation(ctx, s, "POST", path, body, wait, nil)
		}),
	}
	cmd.Flags().StringVar(&req.Pool, "pool", "", "the worker `POOL`")
	cmd.Flags().IntVar(&replicas, "replicas", 0, "the pool's new number of nodes, `N` (0 removes the pool)")
	cmd.Flags().IntVar(&req.CPUs, "cpus", 0, "a new pool's vCPUs per node")
	cmd.Flags().IntVar(&req.MemoryMiB, "memory-mib", 0, "a new pool's memory per node, MiB")
	cmd.Flags().IntVar(&req.DiskGiB, "disk-gib", 0, "a new pool's disk per node, GiB")
	drainTimeoutFlag(cmd, &req.DrainTimeout, "a removed node")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the scaling until it ends")
	decide.bind(cmd)
	cmd.MarkFlagRequired("pool")
	cmd.MarkFlagRequired("replicas")
	cmd.RegisterFlagCompletionFunc("pool", s.completePools())
	return s.printing(cmd)
}

// nodesCommand is `cwctl nodes list|replace`.
func nodesCommand(s *session) *cobra.Command {
	names := s.completeNames(client.Path("clusters"))
	return group("nodes", "a cluster's nodes: list, replace one",
		s.printing(&cobra.Command{
			Use:               "list CLUSTER",
			Short:             "a cluster's nodes: role, pool, address, VM, kubelet version, ready",
			Example:           "  cwctl nodes list dev-east",
			Args:              exactArgs(1),
			ValidArgsFunction: names,
			RunE:              s.run(listNodes),
		}),
		replaceNodeCommand(s),
	)
}

func listNodes(ctx context.Context, s *session, args []string) error {
	var c domain.Cluster
	if _, err := getJSON(ctx, s, client.Path("clusters", args[0]), nil, &c); err != nil {
		return err
	}
	if c.Nodes == nil {
		c.Nodes = []domain.Node{}
	}
	if s.structured() {
		raw, err := json.Marshal(map[string]any{"items": c.Nodes})
		if err != nil {
			return err
		}
		return s.printReply(raw)
	}
	if len(c.Nodes) == 0 {
		fmt.Fprintf(s.stdout, "cluster %s: no node yet (phase %s)\n", c.Name, c.Phase)
		return nil
	}
	t := newTable(s.stdout, "NODE", "ROLE", "POOL", "IP", "VM", "KUBELET", "READY")
	for _, n := range c.Nodes {
		t.row(n.Name, n.Role, n.Pool, n.IP, n.VM, n.KubeletVersion, yesNo(n.Ready))
	}
	t.flush()
	return nil
}

// replaceNodeCommand is `nodes replace CLUSTER NODE [--drain-timeout D] [--wait]`.
func replaceNodeCommand(s *session) *cobra.Command {
	var req domain.ReplaceRequest
	var wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:   "replace CLUSTER NODE",
		Short: "replace a node by a new VM: the new one joins, then the old one drains and goes (an operation)",
		Long: "Replace one node of a cluster: a new VM of the node's pool (for a control-plane node, a new\n" +
			"control-plane member) joins first, then the old node is drained, leaves and its VM and address go.",
		Example:           "  cwctl nodes replace dev-east dev-east-default-1 --wait\n  cwctl nodes replace dev-east dev-east-cp-0 --drain-timeout 30m",
		Args:              exactArgs(2),
		ValidArgsFunction: s.completeClusterNode(),
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			if err := checkDrainTimeout(req.DrainTimeout); err != nil {
				return err
			}
			path, err := withDecision(client.Path("clusters", args[0], "nodes", args[1], "replace"), &decide)
			if err != nil {
				return err
			}
			var body []byte
			if req != (domain.ReplaceRequest{}) {
				if body, err = json.Marshal(req); err != nil {
					return err
				}
			}
			return startOperation(ctx, s, "POST", path, body, wait, nil)
		}),
	}
	drainTimeoutFlag(cmd, &req.DrainTimeout, "the old node")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the replacement until it ends")
	decide.bind(cmd)
	return s.printing(cmd)
}

// completeUpgradeTargets completes --version with the versions the cluster named by the
// first argument can be upgraded to.
func (s *session) completeUpgradeTargets() cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var c clusterDetail
		if len(args) == 0 || !s.completionGet(cmd.Context(), client.Path("clusters", args[0]), nil, &c) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return c.UpgradeTargets, cobra.ShellCompDirectiveNoFileComp
	}
}

// completePools completes --pool with the worker pools of the cluster named by the first
// argument.
func (s *session) completePools() cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var c domain.Cluster
		if len(args) == 0 || !s.completionGet(cmd.Context(), client.Path("clusters", args[0]), nil, &c) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var pools []cobra.Completion
		for _, p := range c.Spec.WorkerPools {
			pools = append(pools, cobra.CompletionWithDesc(p.Name, fmt.Sprintf("%d replicas", p.Replicas)))
		}
		return pools, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeClusterNode completes `nodes replace CLUSTER NODE`: a cluster's name, then its
// nodes.
func (s *session) completeClusterNode() cobra.CompletionFunc {
	clusterNames := s.completeNames(client.Path("clusters"))
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return clusterNames(cmd, args, toComplete)
		case 1:
			cluster := args[0]
			return s.completeNodes(&cluster)(cmd, args, toComplete)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}
