package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"strconv"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func listClusters(ctx context.Context, s *session, _ []string) error {
	clusters, raw, err := listAll[domain.Cluster](ctx, s, client.Path("clusters"), nil)
	if err != nil {
		return err
	}
	if s.output == outputJSON {
		return printJSON(s.stdout, raw)
	}
	t := newTable(s.stdout, "NAME", "VCENTER", "PHASE", "VERSION", "CONTROL PLANE", "WORKERS", "ENDPOINT")
	for _, c := range clusters {
		t.row(c.Name, c.VCenter, c.Phase, c.Spec.KubernetesVersion, strconv.Itoa(c.Spec.ControlPlane.Replicas),
			strconv.Itoa(workerCount(c.Spec)), c.ControlPlaneEndpoint)
	}
	t.flush()
	return nil
}

func workerCount(spec domain.ClusterSpec) int {
	n := 0
	for _, p := range spec.WorkerPools {
		n += p.Replicas
	}
	return n
}

func getCluster(ctx context.Context, s *session, args []string) error {
	var c domain.Cluster
	raw, err := getJSON(ctx, s, client.Path("clusters", args[0]), nil, &c)
	if err != nil {
		return err
	}
	if s.output == outputJSON {
		return printJSON(s.stdout, raw)
	}
	phase := c.Phase
	if c.PhaseReason != "" {
		phase += " (" + c.PhaseReason + ")"
	}
	fields(s.stdout, "name", c.Name, "id", c.ID, "vcenter", c.VCenter, "phase", phase,
		"kubernetes", c.Spec.KubernetesVersion, "endpoint", c.ControlPlaneEndpoint,
		"placement", c.Spec.Placement.Datacenter+"/"+c.Spec.Placement.ComputeCluster+" on "+c.Spec.Placement.Datastore,
		"network", fmt.Sprintf("pool %s, pods %s, services %s", c.Spec.Network.IPPool, c.Spec.Network.PodCIDR, c.Spec.Network.ServiceCIDR),
		"certificates expire", timestampOf(c.CertificateExpiry), "created", timestamp(c.CreatedAt)+" by "+c.CreatedBy)
	if len(c.Nodes) > 0 {
		fmt.Fprintln(s.stdout)
		t := newTable(s.stdout, "NODE", "ROLE", "POOL", "IP", "VM", "KUBELET", "READY")
		for _, n := range c.Nodes {
			t.row(n.Name, n.Role, n.Pool, n.IP, n.VM, n.KubeletVersion, yesNo(n.Ready))
		}
		t.flush()
	}
	if len(c.Addons) > 0 {
		fmt.Fprintln(s.stdout)
		t := newTable(s.stdout, "ADD-ON", "CHART VERSION", "STATUS")
		for _, a := range c.Addons {
			t.row(a.Name, a.ChartVersion, a.Status)
		}
		t.flush()
	}
	return nil
}

func createClusterSetup(fs *flag.FlagSet) runFunc {
	file := fs.String("f", "", "the cluster spec as a JSON `FILE` (- for standard input)")
	wait := fs.Bool("wait", false, "follow the provisioning until it ends")
	return func(ctx context.Context, s *session, _ []string) error {
		body, err := readInput(*file)
		if err != nil {
			return err
		}
		return startOperation(ctx, s, "POST", client.Path("clusters"), body, *wait)
	}
}

func deleteClusterSetup(fs *flag.FlagSet) runFunc {
	volumes := fs.Bool("delete-volumes", false, "also delete the cluster's vSphere volumes")
	wait := fs.Bool("wait", false, "follow the deletion until it ends")
	return func(ctx context.Context, s *session, args []string) error {
		path := client.Path("clusters", args[0])
		if *volumes {
			path += "?" + url.Values{"delete_volumes": {"true"}}.Encode()
		}
		return startOperation(ctx, s, "DELETE", path, nil, *wait)
	}
}

func listVersions(ctx context.Context, s *session, _ []string) error {
	var v domain.VersionList
	raw, err := getJSON(ctx, s, client.Path("kubernetes-versions"), nil, &v)
	if err != nil {
		return err
	}
	if s.output == outputJSON {
		return printJSON(s.stdout, raw)
	}
	t := newTable(s.stdout, "VERSION", "DEFAULT")
	for _, version := range v.Versions {
		def := ""
		if version == v.Default {
			def = "yes"
		}
		t.row(version, def)
	}
	t.flush()
	return nil
}
