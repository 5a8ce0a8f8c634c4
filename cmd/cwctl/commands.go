package main

import (
	"context"
	"flag"
	"strings"
)

// runFunc runs a command with its positional arguments.
type runFunc func(ctx context.Context, s *session, args []string) error

// command is one cwctl command, e.g. "clusters create".
type command struct {
	name    string   // one or two words
	args    []string // names of its positional arguments
	summary string
	output  bool // takes -o table|json
	// setup adds the command's own flags to fs and returns the function that runs it.
	setup func(fs *flag.FlagSet) runFunc
}

// plain is the setup of a command without flags of its own.
func plain(run runFunc) func(*flag.FlagSet) runFunc {
	return func(*flag.FlagSet) runFunc { return run }
}

func commands() []command {
	return []command{
		{"vcenters list", nil, "list registered vCenters", true, plain(listVCenters)},
		{"vcenters get", []string{"NAME"}, "show one vCenter", true, plain(getVCenter)},
		{"vcenters create", nil, "register a vCenter from a JSON file (name, server, username, password, insecure, thumbprint)", true, createVCenterSetup},
		{"vcenters sync", []string{"NAME"}, "refresh a vCenter's inventory", true, syncVCenterSetup},
		{"vcenters inventory", []string{"NAME"}, "datacenters, clusters, datastores, networks, templates of a vCenter", true, plain(vcenterInventory)},

		{"ippools list", nil, "list IP pools", true, plain(listIPPools)},
		{"ippools get", []string{"NAME"}, "show one IP pool and its leases", true, plain(getIPPool)},
		{"ippools create", nil, "create an IP pool from a JSON file (name, cidr, range_start, range_end, gateway, dns)", true, createIPPoolSetup},

		{"versions", nil, "supported Kubernetes versions and the default", true, plain(listVersions)},

		{"clusters list", nil, "list clusters", true, plain(listClusters)},
		{"clusters get", []string{"NAME"}, "show one cluster: phase, nodes, add-ons", true, plain(getCluster)},
		{"clusters create", nil, "provision a cluster from a JSON spec file", true, createClusterSetup},
		{"clusters delete", []string{"NAME"}, "delete a cluster: VMs, addresses, records", true, deleteClusterSetup},
		{"clusters kubeconfig", []string{"NAME"}, "the cluster's admin kubeconfig (admin role)", false, kubeconfigSetup},

		{"ops list", nil, "list operations", true, listOperationsSetup},
		{"ops get", []string{"ID"}, "show one operation and its steps", true, plain(getOperation)},
		{"ops watch", []string{"ID"}, "follow an operation's steps live; exit 0 when it succeeds, 1 when it fails", true, plain(watchOperation)},
		{"ops cancel", []string{"ID"}, "cancel a running operation (its compensation runs)", true, cancelOperationSetup},

		{"audit", nil, "the audit log: who did what", true, auditSetup},
	}
}

// findCommand finds the command that args start with and how many words it took.
func findCommand(args []string) (*command, int) {
	cmds := commands()
	for i := range cmds {
		words := strings.Fields(cmds[i].name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == cmds[i].name {
			return &cmds[i], len(words)
		}
	}
	return nil, 0
}
