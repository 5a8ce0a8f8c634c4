package main

import (
	"context"
	"fmt"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
)

func kubeconfigCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	var file, ttl string
	cmd := &cobra.Command{
		Use:   "kubeconfig NAME",
		Short: "a personal kubeconfig of the cluster, short-lived, with your role's rights",
		Long: "Issues a new kubeconfig for you: a client certificate of the cluster CA named after your token,\n" +
			"in your role's group (admins: cluster-admin, operators: edit, viewers: view), valid for --ttl.",
		Example: "  cwctl clusters kubeconfig dev-east -o dev-east.kubeconfig\n" +
			"  cwctl clusters kubeconfig dev-east --ttl 30m -o dev-east.kubeconfig\n" +
			"  kubectl --kubeconfig dev-east.kubeconfig get nodes",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			var query url.Values
			if ttl != "" {
				query = url.Values{"ttl": {ttl}}
			}
			resp, err := s.api.Do(ctx, "GET", client.Path("clusters", args[0], "kubeconfig"), query, nil)
			if err != nil {
				return err
			}
			if file == "" {
				_, err := s.stdout.Write(resp.Body)
				return err
			}
			if err := writePrivate(file, resp.Body); err != nil {
				return err
			}
			fmt.Fprintf(s.stderr, "wrote the kubeconfig of cluster %s to %s\n", args[0], file)
			return nil
		}),
	}
	cmd.Flags().StringVarP(&file, "output", "o", "", "write the kubeconfig to `FILE` (mode 0600) instead of standard output")
	cmd.MarkFlagFilename("output")
	cmd.Flags().StringVar(&ttl, "ttl", "", "how long the kubeconfig is valid, e.g. `30m` or 8h (default: the server's, 8h)")
	return cmd
}

// writePrivate writes b to path readable by its owner only, also when path existed with
// a wider mode.
func writePrivate(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}
