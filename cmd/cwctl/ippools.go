package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func listIPPools(ctx context.Context, s *session, _ []string) error {
	pools, raw, err := listAll[domain.IPPool](ctx, s, client.Path("ippools"), nil)
	if err != nil {
		return err
	}
	if s.output == outputJSON {
		return printJSON(s.stdout, raw)
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
	if s.output == outputJSON {
		return printJSON(s.stdout, raw)
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

func createIPPoolSetup(fs *flag.FlagSet) runFunc {
	file := fs.String("f", "", "the pool as a JSON `FILE` (- for standard input)")
	return func(ctx context.Context, s *session, _ []string) error {
		body, err := readInput(*file)
		if err != nil {
			return err
		}
		resp, err := s.api.Do(ctx, "POST", client.Path("ippools"), nil, body)
		if err != nil {
			return err
		}
		if s.output == outputJSON {
			return printJSON(s.stdout, resp.Body)
		}
		var p domain.IPPool
		if err := json.Unmarshal(resp.Body, &p); err != nil {
			return fmt.Errorf("POST /api/v1/ippools: unexpected reply: %w", err)
		}
		fmt.Fprintf(s.stdout, "ippool %s created\n", p.Name)
		printIPPool(s, p)
		return nil
	}
}
