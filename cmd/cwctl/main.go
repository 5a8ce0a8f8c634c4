// Command cwctl is the command-line client of the Clusterwright REST API: vCenters, IP
// pools, clusters, ClusterSets, operations (live steps, retry and cancel of a waiting
// operation), the audit log and, against `clusterwright dev`, run-time faults. Run
// `cwctl help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
