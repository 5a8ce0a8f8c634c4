package main

import (
	"context"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func auditCommand(s *session) *cobra.Command {
	var limit int
	cmd := &cobra.Command{Use: "audit", Short: "the audit log: who did what", Args: noArgs,
		Example: "  cwctl audit --limit 20"}
	cmd.RunE = s.run(func(ctx context.Context, s *session, _ []string) error {
		q := url.Values{}
		if limit != 0 {
			q.Set("limit", strconv.Itoa(limit))
		}
		var page struct {
			Items []domain.AuditEvent `json:"items"`
		}
		raw, err := getJSON(ctx, s, client.Path("audit"), q, &page)
		if err != nil {
			return err
		}
		if s.structured() {
			return s.printReply(raw)
		}
		t := newTable(s.stdout, "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "STATUS", "REQUEST ID")
		for _, e := range page.Items {
			t.row(timestamp(e.At), e.Actor, e.Action, e.Target, e.Outcome, strconv.Itoa(e.Status), e.RequestID)
		}
		t.flush()
		return nil
	})
	cmd.Flags().IntVar(&limit, "limit", 0, "show at most `N` events (the server's default page when 0)")
	return s.printing(cmd)
}
