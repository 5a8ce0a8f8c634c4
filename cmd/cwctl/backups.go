package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

// backupsCommand is `clusters backups NAME`: a cluster's etcd backups.
func backupsCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	return s.printing(&cobra.Command{
		Use:   "backups NAME",
		Short: "a cluster's etcd backups: id, time, size, sha256, etcd revision, node, target",
		Long: "The etcd backups of a cluster still at their targets, newest first. Each is an encrypted\n" +
			"snapshot (and the control plane's PKI) at a directory, S3 bucket or datastore folder.\n" +
			"`cwctl clusters backup NAME` takes one now.",
		Example:           "  cwctl clusters backups dev-east\n  cwctl clusters backups dev-east -o json",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE:              s.run(listBackups),
	})
}

func listBackups(ctx context.Context, s *session, args []string) error {
	list, raw, err := listAll[domain.Backup](ctx, s, client.Path("clusters", args[0], "backups"), nil)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	if len(list) == 0 {
		fmt.Fprintf(s.stdout, "cluster %s: no backups (cwctl clusters backup %s)\n", args[0], args[0])
		return nil
	}
	t := newTable(s.stdout, "ID", "CREATED", "SIZE", "SHA256", "REVISION", "VERSION", "NODE", "TARGET")
	for _, b := range list {
		t.row(b.ID, timestamp(b.CreatedAt), strconv.FormatInt(b.SizeBytes, 10), shortDigest(b.SHA256),
			strconv.FormatInt(b.EtcdRevision, 10), b.KubernetesVersion, b.Node, b.TargetKind+":"+b.TargetLocation)
	}
	t.flush()
	return nil
}

// shortDigest is the first 12 hex digits of a digest, as a table shows it.
func shortDigest(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

// backupCommand is `clusters backup NAME [--target T] [--retention N] [--wait]`.
func backupCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	var wait bool
	var req domain.BackupRequest
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:   "backup NAME",
		Short: "back a cluster's etcd up now (an operation)",
		Long: "Takes an etcd snapshot on a healthy control-plane node, encrypted to the service's key,\n" +
			"to the target (default the service's), then keeps the newest --retention backups.",
		Example:           "  cwctl clusters backup dev-east --wait\n  cwctl clusters backup dev-east --target s3 --retention 3",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			settings, err := decide.values()
			if err != nil {
				return err
			}
			path := client.Path("clusters", args[0], "backups")
			if q := queryOf(settings); len(q) > 0 {
				path += "?" + q.Encode()
			}
			var body []byte
			if req != (domain.BackupRequest{}) {
				if body, err = json.Marshal(req); err != nil {
					return err
				}
			}
			return startOperation(ctx, s, "POST", path, body, wait, nil)
		}),
	}
	cmd.Flags().StringVar(&req.Target, "target", "", "backup target (local, s3 or vsphere, as configured); default the service's")
	cmd.Flags().IntVar(&req.Retention, "retention", 0, "keep this many newest backups of the cluster; default the service's")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the backup until it ends")
	decide.bind(cmd)
	return s.printing(cmd)
}
