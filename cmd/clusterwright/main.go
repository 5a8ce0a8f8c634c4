// Command clusterwright is the Clusterwright server: the API, the worker, migrations,
// token management and the all-in-one dev environment. Run `clusterwright help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/clusterwright/clusterwright/app"
)

// command is one subcommand.
type command struct {
	name, usage, summary string
	flags                []string // configuration settings it takes (see app.Config)
	run                  func(ctx context.Context, c *cli, args []string) error
}

// backupFlags are the settings of the etcd backup targets (see app/backups.go).
var backupFlags = []string{"backup-dir", "backup-target", "backup-retention", "backup-s3-endpoint", "backup-s3-bucket",
	"backup-s3-region", "backup-s3-prefix", "backup-s3-path-style", "backup-s3-access-key-id", "backup-s3-secret-access-key-file",
	"backup-vsphere-vcenter", "backup-vsphere-datacenter", "backup-vsphere-datastore", "backup-vsphere-folder"}

// temporalSecurityFlags are the Temporal client's TLS and API key settings (see
// app/edge_settings.go).
var temporalSecurityFlags = []string{"temporal-tls-cert-file", "temporal-tls-key-file", "temporal-tls-ca-file",
	"temporal-tls-server-name", "temporal-api-key-file"}

// reconcileFlags are the settings of the reconcile each worker runs (see app.Config).
var reconcileFlags = []string{"reconcile-interval", "reconcile-grace", "stuck-workflow-attempts"}

// workerFlags are the settings of the worker serve and worker both run: where add-on
// charts and images come from, caches, vCenter task and schedule concurrency, and the
// reconcile (see app.Config).
var workerFlags = append([]string{"chart-mirror", "kubesphere-image-registry", "antrea-image-registry", "cache-dir",
	"vcenter-task-limit", "schedule-concurrency"}, reconcileFlags...)

// serveFlags are the settings of what serve adds to its worker: the API's decision
// timeout, personal kubeconfigs, and the default cluster-health schedule.
var serveFlags = []string{"listen", "decision-timeout", "kubeconfig-max-ttl", "health-interval"}

// apiEdgeFlags are the API's TLS, rate limit and vCenter allow-list settings.
var apiEdgeFlags = []string{"tls-cert-file", "tls-key-file", "api-rate-limit", "vcenter-allowed-hosts"}

func commands() []command {
	return []command{
		{"serve", "serve [flags]", "run the API and a worker", append([]string{"database-url", "temporal-address", "temporal-namespace", "secret-key", "secret-key-file", "old-secret-key-files", "log-level", "log-format"}, slices.Concat(serveFlags, workerFlags, backupFlags, temporalSecurityFlags, apiEdgeFlags, app.SSOFlags())...), runServe},
		{"worker", "worker [flags]", "run a worker only", append([]string{"database-url", "temporal-address", "temporal-namespace", "secret-key", "secret-key-file", "old-secret-key-files", "log-level", "log-format"}, slices.Concat(workerFlags, backupFlags, temporalSecurityFlags)...), runWorker},
		{"migrate", "migrate [flags] [up|down N|version]", "apply, roll back or show database migrations", []string{"database-url", "log-level", "log-format"}, runMigrate},
		{"dev", "dev [flags]", "run everything on this machine: embedded Temporal, private Postgres, simulated vCenter", append([]string{"listen", "database-url", "temporal-address", "secret-key", "secret-key-file", "old-secret-key-files", "log-level", "log-format", "kubeconfig-max-ttl", "state-dir", "api-rate-limit", "vcenter-allowed-hosts"}, slices.Concat(backupFlags, reconcileFlags, app.SSOFlags())...), runDev},
		{"vcsim", "vcsim [--listen ADDR] [--username U] [--password P] [--cluster-username U] [--cluster-password P]", "run a standalone simulated vCenter and print how to reach it", nil, runVCSim},
		{"key", "key generate FILE | key rotate --new-key-file FILE [flags] | key status [flags]", "make a master key file; re-seal every inventory secret under a new master key; count rows per key", []string{"database-url", "secret-key", "secret-key-file", "old-secret-key-files", "log-level", "log-format"}, runKey},
		{"token", "token create --name NAME --role admin|operator|viewer [flags]", "create an API token and print it once", []string{"database-url", "secret-key", "secret-key-file", "log-level", "log-format"}, runToken},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "clusterwright:", err)
		}
		os.Exit(2)
	}
}

// cli carries the output streams to the subcommands.
type cli struct {
	stdout, stderr io.Writer
}

func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := &cli{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(stdout)
		return nil
	}
	for _, cmd := range commands() {
		if cmd.name == args[0] {
			return cmd.run(ctx, c, args[1:])
		}
	}
	printHelp(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}
