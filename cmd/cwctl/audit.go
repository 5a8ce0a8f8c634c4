package main

import (
	"context"
	"flag"
	"net/url"
	"strconv"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func auditSetup(fs *flag.FlagSet) runFunc {
	limit := fs.Int("limit", 0, "show at most `N` events (the server's default page when 0)")
	return func(ctx context.Context, s *session, _ []string) error {
		q := url.Values{}
		if *limit != 0 {
			q.Set("limit", strconv.Itoa(*limit))
		}
		var page struct {
			Items []domain.AuditEvent `json:"items"`
		}
		raw, err := getJSON(ctx, s, client.Path("audit"), q, &page)
		if err != nil {
			return err
		}
		if s.output == outputJSON {
			return printJSON(s.stdout, raw)
		}
		t := newTable(s.stdout, "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "STATUS", "REQUEST ID")
		for _, e := range page.Items {
			t.row(timestamp(e.At), e.Actor, e.Action, e.Target, e.Outcome, strconv.Itoa(e.Status), e.RequestID)
		}
		t.flush()
		return nil
	}
}
