package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/clusterwright/clusterwright/sim"
)

// runVCSim runs a standalone simulated vCenter, e.g. to register a second vCenter with a
// dev environment.
func runVCSim(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("clusterwright vcsim", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addr := fs.String("listen", "127.0.0.1:0", "address to listen on")
	user := fs.String("username", sim.DefaultUsername, "user name the vCenter accepts")
	password := fs.String("password", "", "password the vCenter accepts (random when empty)")
	clusterUser := fs.String("cluster-username", sim.DefaultClusterUsername, "least-privileged user for clusters' vSphere drivers")
	clusterPassword := fs.String("cluster-password", "", "password of the cluster user (random when empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	vc, err := sim.StartVCenter(sim.VCenterOptions{Addr: *addr, Username: *user, Password: *password,
		ClusterUsername: *clusterUser, ClusterPassword: *clusterPassword})
	if err != nil {
		return err
	}
	defer vc.Close()
	fmt.Fprintf(c.stdout, "VSPHERE_URL=%s\nVSPHERE_USERNAME=%s\nVSPHERE_PASSWORD=%s\nVSPHERE_THUMBPRINT=%s\nVSPHERE_CLUSTER_USERNAME=%s\nVSPHERE_CLUSTER_PASSWORD=%s\n",
		vc.URL(), vc.Username, vc.Password, vc.Thumbprint, vc.ClusterUsername, vc.ClusterPassword)
	<-ctx.Done()
	return nil
}
