package main

import (
	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
)

// The Day-2 groups: the same commands as under `clusters`, by what they act on.

// backupsGroupCommand is `cwctl backups list|create|restore`.
func backupsGroupCommand(s *session) *cobra.Command {
	names := s.completeNames(client.Path("clusters"))
	return group("backups", "etcd backups of a cluster: list, take one, restore one",
		renamed(backupsCommand(s, names), "list NAME", "  cwctl backups list dev-east"),
		renamed(backupCommand(s, names), "create NAME", "  cwctl backups create dev-east --wait\n  cwctl backups create dev-east --target s3 --retention 3"),
		renamed(restoreCommand(s, names), "restore NAME --backup ID", "  cwctl backups restore dev-east --backup ID --wait"),
	)
}

// certsGroupCommand is `cwctl certs list|check|renew`.
func certsGroupCommand(s *session) *cobra.Command {
	names := s.completeNames(client.Path("clusters"))
	list := certificatesCommand(s, names)
	checkAndRenew := list.Commands()
	for _, c := range checkAndRenew {
		list.RemoveCommand(c)
		c.Use = c.Name() + " NAME"
		c.Example = "  cwctl certs " + c.Name() + " dev-east --wait"
	}
	list.Aliases = nil
	return group("certs", "a cluster's certificates: list, check, renew",
		append([]*cobra.Command{renamed(list, "list NAME", "  cwctl certs list dev-east")}, checkAndRenew...)...)
}

// renamed gives cmd another use line and example.
func renamed(cmd *cobra.Command, use, example string) *cobra.Command {
	cmd.Use, cmd.Example = use, example
	return cmd
}
