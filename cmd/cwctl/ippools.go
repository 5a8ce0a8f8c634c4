package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func ippoolsCommand(s *session) *cobra.Command {
	return group("ippools", "IP pools: the node addresses of clusters",
		s.printing(&cobra.Command{Use: "list", Short: "list IP pools", Args: noArgs, RunE: s.run(listIPPools)}),
		s.printing(&cobra.Command{Use: "get NAME", Short: "show one IP pool and its leases", Args: exactArgs(1),
			ValidArgsFunction: s.completeNames(client.Path("ippools")), RunE: s.run(getIPPool)}),
		createIPPoolCommand(s),
	)
}

func listIPPools(ctx context.Context, s *session, _ []string) error {
	pools, raw, err := listAll[domain.IPPool](ctx, s, client.Path("ippools"), nil)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	t := newTable(s.stdout, "NAME", "CIDR", "RANGE", "GATEWAY", "FREE", "SIZE")
	for _, p := range pools {
		t.row(p.Name, p.CIDR, p.RangeStart+"-"+p.RangeEnd, p.Gateway, fmt.Sprint(p.Free), fmt.Sprint(p.Size))
	}
	t.flush()
	return nil
}

func getIPPool(ctx context.Context, s *session, args []string) error {
	var p domain.IPPool
	raw, err := getJSON(ctx, s, client.Path("ippools", args[0]), nil, &p)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	printIPPool(s, p)
	return nil
}

// printIPPool shows a pool and its leases.
func printIPPool(s *session, p domain.IPPool) {
	fields(s.stdout, "name", p.Name, "cidr", p.CIDR, "range", p.RangeStart+"-"+p.RangeEnd, "gateway", p.Gateway,
		"dns", strings.Join(p.DNS, ", "), "free", fmt.Sprintf("%d of %d", p.Free, p.Size), "created", timestamp(p.CreatedAt))
	if len(p.Leases) == 0 {
		return
	}
	fmt.Fprintln(s.stdout)
	t := newTable(s.stdout, "ADDRESS", "OWNER", "CLUSTER", "LEASED")
	for _, l := range p.Leases {
		t.row(l.Address, l.Owner, l.ClusterID, timestamp(l.LeasedAt))
	}
	t.flush()
}

func createIPPoolCommand(s *session) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "create an IP pool from a YAML or JSON file (name, cidr, range_start, range_end, gateway, dns)",
		Example: `  # lab.yaml
  name: lab
  cidr: 10.0.40.0/24
  range_start: 10.0.40.10
  range_end: 10.0.40.250
  gateway: 10.0.40.1
  dns: [10.0.0.53]

  cwctl ippools create -f lab.yaml`,
		Args: noArgs,
		RunE: s.run(func(ctx context.Context, s *session, _ []string) error {
			body, err := readInput(file)
			if err != nil {
				return err
			}
			resp, err := s.api.Do(ctx, "POST", client.Path("ippools"), nil, body)
			if err != nil {
				return err
			}
			if s.structured() {
				return s.printReply(resp.Body)
			}
			var p domain.IPPool
			if err := json.Unmarshal(resp.Body, &p); err != nil {
				return fmt.Errorf("POST /api/v1/ippools: unexpected reply: %w", err)
			}
			fmt.Fprintf(s.stdout, "ippool %s created\n", p.Name)
			printIPPool(s, p)
			return nil
		}),
	}
	fileFlag(cmd, &file, "the pool")
	return s.printing(cmd)
}
