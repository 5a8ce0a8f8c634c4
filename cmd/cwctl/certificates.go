package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

// certificateList is the reply of GET /api/v1/clusters/{name}/certificates.
type certificateList struct {
	Cluster           string               `json:"cluster"`
	CheckedAt         *time.Time           `json:"checked_at"`
	CertificateExpiry *time.Time           `json:"certificate_expiry"`
	Certificates      []domain.Certificate `json:"certificates"`
}

// certificatesCommand is `clusters certificates NAME` with its check and renew.
func certificatesCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	cmd := s.printing(&cobra.Command{
		Use:     "certificates NAME",
		Aliases: []string{"certs"},
		Short:   "a cluster's certificates as last checked: node, name, expiry, days left, CA",
		Long: "The certificates of a cluster as the last check recorded them: per control-plane node\n" +
			"kubeadm's certificates and the CAs, the API server's serving certificate seen over TLS and\n" +
			"the service's own kubeconfig. `check` refreshes them; `renew` renews the control plane's.",
		Example: "  cwctl clusters certificates dev-east\n  cwctl clusters certificates check dev-east --wait\n" +
			"  cwctl clusters certificates renew dev-east --wait",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE:              s.run(listCertificates),
	})
	cmd.AddCommand(
		certificateOperationCommand(s, names, "check", "read every certificate of a cluster again (an operation)",
			"follow the check until it ends"),
		certificateOperationCommand(s, names, "renew", "renew the control plane's certificates node by node and the service's kubeconfig (an operation)",
			"follow the renewal until it ends"),
	)
	return cmd
}

func listCertificates(ctx context.Context, s *session, args []string) error {
	var list certificateList
	raw, err := getJSON(ctx, s, client.Path("clusters", args[0], "certificates"), nil, &list)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	if list.CheckedAt == nil {
		fmt.Fprintf(s.stdout, "cluster %s: no certificate check yet (cwctl clusters certificates check %s)\n", list.Cluster, list.Cluster)
		return nil
	}
	fields(s.stdout, "cluster", list.Cluster, "checked", timestampOf(list.CheckedAt), "first expiry", timestampOf(list.CertificateExpiry))
	fmt.Fprintln(s.stdout)
	t := newTable(s.stdout, "NODE", "NAME", "NOT AFTER", "DAYS LEFT", "CA", "SOURCE")
	for _, c := range list.Certificates {
		ca := c.CAName
		if c.Authority {
			ca = "(authority)"
		}
		node := c.Node
		if node == "" {
			node = "(cluster)"
		}
		t.row(node, c.Name, timestamp(c.NotAfter), strconv.Itoa(c.DaysLeft), ca, c.Source)
	}
	t.flush()
	return nil
}

// certificateOperationCommand is `clusters certificates check|renew NAME [--wait]`.
func certificateOperationCommand(s *session, names cobra.CompletionFunc, verb, short, waitUsage string) *cobra.Command {
	var wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:               verb + " NAME",
		Short:             short,
		Example:           "  cwctl clusters certificates " + verb + " dev-east --wait",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			settings, err := decide.values()
			if err != nil {
				return err
			}
			path := client.Path("clusters", args[0], "certificates", verb)
			if q := queryOf(settings); len(q) > 0 {
				path += "?" + q.Encode()
			}
			return startOperation(ctx, s, "POST", path, nil, wait, nil)
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", false, waitUsage)
	decide.bind(cmd)
	return s.printing(cmd)
}
