package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
)

// faultsPath is where `clusterwright dev` serves its run-time faults (not under /api/v1).
const faultsPath = "/dev/faults"

// faultList is the reply of GET /dev/faults.
type faultList struct {
	Faults []string `json:"faults"` // the rules in force, canonical
	Fired  []string `json:"fired"`  // what fired so far
	Kinds  []string `json:"kinds"`  // the kinds a rule may name
}

func devCommand(s *session) *cobra.Command {
	return group("dev", "against `clusterwright dev` only: make the simulated datacenter fail on purpose",
		group("faults", "run-time faults of the simulated datacenter (admin token)",
			s.printing(&cobra.Command{
				Use:     "list",
				Short:   "the faults in force, those that fired, and the kinds a fault may name",
				Example: "  cwctl dev faults list",
				Args:    noArgs,
				RunE:    s.run(listFaults),
			}),
			s.printing(&cobra.Command{
				Use:   "add FAULT",
				Short: "add a fault: KIND:N (the Nth call fails) or KIND:vm=NAME[,times=T] (calls on that VM fail)",
				Example: "  # every clone of that VM fails (the operation waits for a decision), until cleared\n" +
					"  cwctl dev faults add vsphere.clone:vm=beta-md-default-1\n" +
					"  # the third clone fails once\n" +
					"  cwctl dev faults add vsphere.clone:3",
				Args: exactArgs(1),
				RunE: s.run(addFault),
			}),
			&cobra.Command{
				Use:     "clear",
				Short:   "clear every fault",
				Example: "  cwctl dev faults clear\n  cwctl ops retry ID --wait",
				Args:    noArgs,
				RunE:    s.run(clearFaults),
			},
		),
	)
}

func listFaults(ctx context.Context, s *session, _ []string) error {
	var list faultList
	raw, err := getJSON(ctx, s, faultsPath, nil, &list)
	if err != nil {
		return devOnly(err)
	}
	if s.structured() {
		return s.printReply(raw)
	}
	t := newTable(s.stdout, "FAULT")
	for _, f := range list.Faults {
		t.row(f)
	}
	t.flush()
	if len(list.Fired) > 0 {
		fmt.Fprintln(s.stdout)
		t := newTable(s.stdout, "FIRED")
		for _, f := range list.Fired {
			t.row(f)
		}
		t.flush()
	}
	if len(list.Kinds) > 0 {
		fmt.Fprintf(s.stdout, "\nkinds: %s\n", strings.Join(list.Kinds, ", "))
	}
	return nil
}

func addFault(ctx context.Context, s *session, args []string) error {
	body, err := json.Marshal(map[string]string{"fault": args[0]})
	if err != nil {
		return err
	}
	resp, err := s.api.Do(ctx, "POST", faultsPath, nil, body)
	if err != nil {
		return devOnly(err)
	}
	if s.structured() {
		return s.printReply(resp.Body)
	}
	var added struct {
		Fault string `json:"fault"`
	}
	if err := json.Unmarshal(resp.Body, &added); err != nil {
		return fmt.Errorf("POST %s: unexpected reply: %w", faultsPath, err)
	}
	fmt.Fprintf(s.stdout, "fault added: %s\n", added.Fault)
	return nil
}

func clearFaults(ctx context.Context, s *session, _ []string) error {
	if _, err := s.api.Do(ctx, "DELETE", faultsPath, nil, nil); err != nil {
		return devOnly(err)
	}
	fmt.Fprintln(s.stdout, "every fault cleared")
	return nil
}

// devOnly adds to a 404 from /dev/ that only dev mode serves it.
func devOnly(err error) error {
	var problem *client.Problem
	if !errors.As(err, &problem) || problem.Status != 404 {
		return err
	}
	p := *problem
	p.Detail = p.Error() + " (run-time faults exist only in `clusterwright dev`)"
	return &p
}
