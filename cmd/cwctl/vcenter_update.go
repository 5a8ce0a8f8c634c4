package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

// readSecretFile reads a password from a file (its first line), so that it never
// appears in the command line or the shell's history.
func readSecretFile(flag, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flag, err)
	}
	pw := strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r")
	if pw == "" {
		return "", fmt.Errorf("--%s: %s is empty", flag, path)
	}
	return pw, nil
}

func updateVCenterCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	var passwordFile, clusterUser, clusterPasswordFile, thumbprint string
	var insecure, share bool
	var wait bool
	var decide decisionFlags
	var cmd *cobra.Command
	cmd = &cobra.Command{
		Use:   "update NAME",
		Short: "change a vCenter's passwords (service or cluster account) or settings; updates every cluster's vSphere Secrets",
		Example: `  # the cluster account's password was rotated in vCenter
  cwctl vcenters update vc1 --cluster-password-file cluster.pw --wait
  # give clusters their own least-privileged account instead of the service's
  cwctl vcenters update vc1 --cluster-username k8s-csi@vsphere.local --cluster-password-file cluster.pw --wait
  cwctl vcenters update vc1 --password-file service.pw`,
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			var patch domain.VCenterPatch
			flags := cmd.Flags()
			if passwordFile != "" {
				pw, err := readSecretFile("password-file", passwordFile)
				if err != nil {
					return usageErrorf("%v", err)
				}
				patch.Password = &pw
			}
			if clusterPasswordFile != "" {
				pw, err := readSecretFile("cluster-password-file", clusterPasswordFile)
				if err != nil {
					return usageErrorf("%v", err)
				}
				patch.ClusterCredentials = &domain.ClusterAccountPatch{Username: clusterUser, Password: pw}
			} else if clusterUser != "" {
				return usageErrorf("--cluster-username needs --cluster-password-file")
			}
			if flags.Changed("insecure") {
				patch.Insecure = &insecure
			}
			if flags.Changed("thumbprint") {
				patch.Thumbprint = &thumbprint
			}
			if flags.Changed("share-service-account") {
				patch.ShareServiceAccountWithClusters = &share
			}
			if patch.Empty() {
				return usageErrorf("nothing to change: give --password-file, --cluster-password-file, --insecure, --thumbprint or --share-service-account")
			}
			body, err := json.Marshal(patch)
			if err != nil {
				return err
			}
			settings, err := decide.values()
			if err != nil {
				return err
			}
			path := client.Path("vcenters", args[0])
			if q := queryOf(settings); len(q) > 0 {
				path += "?" + q.Encode()
			}
			return startOperation(ctx, s, "PATCH", path, body, wait, nil)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&passwordFile, "password-file", "", "file holding the service account's new password")
	f.StringVar(&clusterUser, "cluster-username", "", "the cluster account's user (default: the registered one)")
	f.StringVar(&clusterPasswordFile, "cluster-password-file", "", "file holding the cluster account's (new) password")
	f.BoolVar(&insecure, "insecure", false, "skip verifying vCenter's certificate")
	f.StringVar(&thumbprint, "thumbprint", "", "the certificate fingerprint to pin (empty: none)")
	f.BoolVar(&share, "share-service-account", false, "give clusters the service's own account while there is no cluster account")
	f.BoolVar(&wait, "wait", false, "follow the operation until it ends")
	decide.bind(cmd)
	return s.printing(cmd)
}
