package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func clustersCommand(s *session) *cobra.Command {
	names := s.completeNames(client.Path("clusters"))
	return group("clusters", "Kubernetes clusters: create, inspect, delete",
		s.printing(&cobra.Command{Use: "list", Short: "list clusters", Args: noArgs, RunE: s.run(listClusters)}),
		s.printing(&cobra.Command{Use: "get NAME", Short: "show one cluster: phase, nodes, add-ons", Args: exactArgs(1),
			ValidArgsFunction: names, RunE: s.run(getCluster)}),
		createClusterCommand(s),
		deleteClusterCommand(s, names),
		kubeconfigCommand(s, names),
		certificatesCommand(s, names),
		backupsCommand(s, names),
		backupCommand(s, names),
		restoreCommand(s, names),
		upgradeCommand(s, names),
		scaleCommand(s, names),
	)
}

func versionsCommand(s *session) *cobra.Command {
	return s.printing(&cobra.Command{Use: "versions", Short: "supported Kubernetes versions and the default",
		Args: noArgs, RunE: s.run(listVersions)})
}

func listClusters(ctx context.Context, s *session, _ []string) error {
	clusters, raw, err := listAll[domain.Cluster](ctx, s, client.Path("clusters"), nil)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	t := newTable(s.stdout, "NAME", "VCENTER", "PHASE", "VERSION", "CONTROL PLANE", "WORKERS", "ENDPOINT")
	for _, c := range clusters {
		t.row(c.Name, c.VCenter, c.Phase, c.Spec.KubernetesVersion, strconv.Itoa(c.Spec.ControlPlane.Replicas),
			strconv.Itoa(workerCount(c.Spec)), c.ControlPlaneEndpoint)
	}
	t.flush()
	return nil
}

// endpointOf is the cluster's API endpoint and what serves it: the control-plane virtual
// IP that kube-vip moves among the control planes, or (a cluster made before the VIP) one
// control plane's address.
func endpointOf(c domain.Cluster) string {
	if c.ControlPlaneEndpoint == "" {
		return ""
	}
	host, _, err := net.SplitHostPort(c.ControlPlaneEndpoint)
	if err != nil {
		return c.ControlPlaneEndpoint
	}
	for _, n := range c.Nodes {
		if n.IP == host {
			return c.ControlPlaneEndpoint + " (control plane " + n.Name + "'s address)"
		}
	}
	return c.ControlPlaneEndpoint + " (virtual IP, kube-vip on the control planes)"
}

func workerCount(spec domain.ClusterSpec) int {
	n := 0
	for _, p := range spec.WorkerPools {
		n += p.Replicas
	}
	return n
}

func getCluster(ctx context.Context, s *session, args []string) error {
	var c clusterDetail
	raw, err := getJSON(ctx, s, client.Path("clusters", args[0]), nil, &c)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	phase := c.Phase
	if c.PhaseReason != "" {
		phase += " (" + c.PhaseReason + ")"
	}
	fields(s.stdout, "name", c.Name, "id", c.ID, "vcenter", c.VCenter, "phase", phase,
		"kubernetes", c.Spec.KubernetesVersion, "upgrades to", strings.Join(c.UpgradeTargets, ", "), "endpoint", endpointOf(c.Cluster),
		"placement", c.Spec.Placement.Datacenter+"/"+c.Spec.Placement.ComputeCluster+" on "+c.Spec.Placement.Datastore,
		"network", fmt.Sprintf("pool %s, pods %s, services %s", c.Spec.Network.IPPool, c.Spec.Network.PodCIDR, c.Spec.Network.ServiceCIDR),
		"kubesphere", kubesphereRole(c.Spec), "clusterset", clusterSetRole(c.ClusterSet),
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

// kubesphereRole says what KubeSphere a cluster runs: "host", "member of HOST" or "".
func kubesphereRole(spec domain.ClusterSpec) string {
	ks := spec.Addons.KubeSphere
	switch {
	case ks == nil || !ks.Enabled:
		return ""
	case ks.Role == domain.KubeSphereMember:
		return "member of " + ks.Host
	default:
		return ks.Role
	}
}

// clusterSetRole says which ClusterSet a cluster is in and as what; "" for none.
func clusterSetRole(ref *domain.ClusterSetRef) string {
	switch {
	case ref == nil:
		return ""
	case ref.Leader:
		return ref.Name + " (leader)"
	default:
		return ref.Name + " (member)"
	}
}

// clusterExample is the example of `clusters create`: a spec as YAML.
const clusterExample = `  # dev-east.yaml
  name: dev-east
  vcenter: sim
  placement:
    datacenter: DC0
    compute_cluster: DC0_C0
    datastore: LocalDS_0
    network: VM Network
    template: ubuntu-2404-kube-v1.37
  control_plane: {replicas: 1, cpus: 2, memory_mib: 4096, disk_gib: 40}
  worker_pools:
    - {name: default, replicas: 2, cpus: 2, memory_mib: 4096, disk_gib: 40}
  network: {ip_pool: sim, pod_cidr: 10.10.0.0/16, service_cidr: 10.96.0.0/16}
  addons:
    antrea: {multicluster: false, traffic_encryption: none}
    vsphere_cpi: {}
    vsphere_csi: {default_class: true}

  # provision it and follow its steps; exit 0 when it is Ready, 1 when it fails
  cwctl clusters create -f dev-east.yaml --wait

  # compensate at once when a step fails, instead of waiting for ops retry/cancel
  cwctl clusters create -f dev-east.yaml --on-failure compensate

  # the spec on standard input, the started operation as JSON
  cwctl clusters create -f - -o json < dev-east.json`

func createClusterCommand(s *session) *cobra.Command {
	var file string
	var wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "provision a cluster from a YAML or JSON spec file",
		Long:    "Provision a cluster from its spec (the body of POST /api/v1/clusters), as YAML or JSON.\nA step that fails after its automatic retries waits for a decision (cwctl ops retry or\ncancel) unless --on-failure compensate; --wait follows the operation to its end.",
		Example: clusterExample,
		Args:    noArgs,
		RunE: s.run(func(ctx context.Context, s *session, _ []string) error {
			settings, err := decide.values()
			if err != nil {
				return err
			}
			body, err := readInput(file)
			if err != nil {
				return err
			}
			if body, err = withFields(body, settings); err != nil {
				return err
			}
			return startOperation(ctx, s, "POST", client.Path("clusters"), body, wait, nil)
		}),
	}
	fileFlag(cmd, &file, "the cluster spec")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the provisioning until it ends")
	decide.bind(cmd)
	return s.printing(cmd)
}

// withFields sets the string fields of the JSON object body (flags win over the file).
func withFields(body []byte, fields map[string]string) ([]byte, error) {
	if len(fields) == 0 {
		return body, nil
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	for k, v := range fields {
		obj[k] = v
	}
	return json.Marshal(obj)
}

func deleteClusterCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	var volumes, wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:               "delete NAME",
		Short:             "delete a cluster: VMs, addresses, records",
		Example:           "  cwctl clusters delete dev-east --wait\n  cwctl clusters delete dev-east --delete-volumes",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			settings, err := decide.values()
			if err != nil {
				return err
			}
			q := queryOf(settings)
			if volumes {
				q.Set("delete_volumes", "true")
			}
			path := client.Path("clusters", args[0])
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			return startOperation(ctx, s, "DELETE", path, nil, wait, nil)
		}),
	}
	cmd.Flags().BoolVar(&volumes, "delete-volumes", false, "also delete the cluster's vSphere volumes")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the deletion until it ends")
	decide.bind(cmd)
	return s.printing(cmd)
}

func listVersions(ctx context.Context, s *session, _ []string) error {
	var v domain.VersionList
	raw, err := getJSON(ctx, s, client.Path("kubernetes-versions"), nil, &v)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
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
