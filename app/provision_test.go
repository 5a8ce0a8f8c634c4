package app_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestProvisionAndDelete provisions a cluster of one control plane and two workers in
// the simulated datacenter through the API, checks everything the cluster must have —
// nodes Ready with provider IDs, every add-on's objects, a default vSphere StorageClass,
// Helm releases, VMs with the CSI prerequisites and no userdata left — and deletes it,
// leaving no VM, lease or secret, and no secret of the service anywhere it must not be
// (logs, replies, inventory rows, Temporal histories, the cluster's Secrets).
func TestProvisionAndDelete(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	env := apptest.StartDatacenter(t, "61", nil)
	spec := apptest.ClusterSpec("alpha", 1, 2)
	op := apptest.StartProvision(t, env, spec)
	if got := env.Do("POST", "/api/v1/clusters", env.AdminToken, spec); got.Status != http.StatusConflict {
		t.Errorf("second POST of the same cluster = %d, want 409", got.Status)
	}
	op = env.WaitOperationFor(op.ID, apptest.ProvisionTimeout)
	if op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s; steps %+v", op.State, op.Error, op.Steps)
	}
	c := apptest.GetCluster(t, env, "alpha")
	if c.Phase != domain.PhaseReady || c.ControlPlaneEndpoint == "" || len(c.Nodes) != 3 || len(c.Addons) != 4 {
		t.Fatalf("cluster = %+v", c)
	}
	for _, n := range c.Nodes {
		if !n.Ready || n.IP == "" || n.VM == "" || n.KubeletVersion != domain.KubernetesVersions().Default {
			t.Errorf("node record %+v", n)
		}
	}
	for _, a := range c.Addons {
		if a.Status != "deployed" || a.ChartVersion == "" {
			t.Errorf("add-on record %+v", a)
		}
	}

	cs := apptest.KubeClient(t, env, "alpha")
	checkNodes(t, cs, 3)
	checkAddonObjects(t, cs)
	checkVMs(t, env, c.ID, 3)
	checkKubeconfigAudited(t, env)
	env.CheckReplay("provision-succeeded", op)
	checkClusterAccountRotation(t, env, cs, "alpha")

	// A viewer may read the cluster and download a personal (view-only) kubeconfig, but
	// not delete it.
	viewer := env.Token("viewer", domain.RoleViewer)
	if r := env.Do("GET", "/api/v1/clusters/alpha/kubeconfig", viewer, nil); r.Status != http.StatusOK {
		t.Errorf("viewer kubeconfig = %d", r.Status)
	}

	// No secret of the service is anywhere it must not be: the workload cluster's
	// Secrets now, logs, replies, inventory and Temporal once the cluster is deleted.
	for _, path := range []string{"/api/v1/clusters/alpha", "/api/v1/clusters/alpha/certificates", "/api/v1/operations/" + op.ID} {
		if r := env.Do("GET", path, viewer, nil); r.Status != http.StatusOK {
			t.Errorf("GET %s = %d", path, r.Status)
		}
	}
	canaries := collectCanaries(t, env, c.ID, env.AdminToken, viewer)
	checkWorkloadSecrets(t, cs, canaries)

	r := env.Do("DELETE", "/api/v1/clusters/alpha", env.AdminToken, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("DELETE: %d %s", r.Status, r.Body)
	}
	var del struct{ Operation domain.Operation }
	r.JSON(t, &del)
	delOp := env.WaitOperationFor(del.Operation.ID, 3*time.Minute)
	if delOp.State != domain.OpSucceeded {
		t.Fatalf("delete = %+v", delOp)
	}
	env.CheckReplay("delete", delOp)
	apptest.CheckNothingLeft(t, env, c.ID)
	checkNothingLeaked(t, env, canaries)
	if r := env.Do("GET", "/api/v1/clusters/alpha", env.AdminToken, nil); r.Status != http.StatusNotFound {
		t.Errorf("GET deleted cluster = %d", r.Status)
	}
	// The name is free again; a rerun of delete on the gone cluster is a 404.
	if r := env.Do("DELETE", "/api/v1/clusters/alpha", env.AdminToken, nil); r.Status != http.StatusNotFound {
		t.Errorf("DELETE again = %d", r.Status)
	}
}

// checkNodes waits briefly for n Ready nodes initialised by the vSphere cloud provider.
func checkNodes(t *testing.T, cs kubernetes.Interface, n int) {
	t.Helper()
	nodes, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	if len(nodes.Items) != n {
		t.Fatalf("%d nodes, want %d", len(nodes.Items), n)
	}
	for _, node := range nodes.Items {
		ready := slices.ContainsFunc(node.Status.Conditions, func(c corev1.NodeCondition) bool {
			return c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue
		})
		if !ready || !strings.HasPrefix(node.Spec.ProviderID, "vsphere://") {
			t.Errorf("node %s: ready %v, provider ID %q", node.Name, ready, node.Spec.ProviderID)
		}
		for _, taint := range node.Spec.Taints {
			if taint.Key == "node.cloudprovider.kubernetes.io/uninitialized" {
				t.Errorf("node %s still has the uninitialized taint", node.Name)
			}
		}
	}
}

// checkAddonObjects looks for the objects each add-on's chart makes.
func checkAddonObjects(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	deployments := map[string][]string{
		"kube-system":       {"antrea-controller"},
		"vmware-system-csi": {"vsphere-csi-controller"},
		"kubesphere-system": {"ks-apiserver", "ks-console", "ks-controller-manager"},
	}
	for ns, names := range deployments {
		for _, name := range names {
			if _, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
				t.Errorf("deployment %s/%s: %v", ns, name, err)
			}
		}
	}
	daemonSets := map[string]string{"antrea-agent": "kube-system", "vsphere-cloud-controller-manager": "kube-system", "vsphere-csi-node": "vmware-system-csi"}
	for name, ns := range daemonSets {
		if _, err := cs.AppsV1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("daemonset %s/%s: %v", ns, name, err)
		}
	}
	if _, err := cs.StorageV1().CSIDrivers().Get(ctx, "csi.vsphere.vmware.com", metav1.GetOptions{}); err != nil {
		t.Errorf("CSIDriver: %v", err)
	}
	classes, err := cs.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("storage classes: %v", err)
	}
	defaults := 0
	for _, sc := range classes.Items {
		if sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
			defaults++
			if sc.Provisioner != "csi.vsphere.vmware.com" || sc.Parameters["storagepolicyname"] != "vSAN Default Storage Policy" {
				t.Errorf("default StorageClass %s: provisioner %s, parameters %v", sc.Name, sc.Provisioner, sc.Parameters)
			}
		}
	}
	if defaults != 1 {
		t.Errorf("%d default StorageClasses, want 1", defaults)
	}
	// What `helm list -A` reads: one release secret per add-on.
	releases := map[string]bool{}
	for _, ns := range []string{"kube-system", "vmware-system-csi", "kubesphere-system"} {
		secrets, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,status=deployed"})
		if err != nil {
			t.Fatalf("helm release secrets: %v", err)
		}
		for _, s := range secrets.Items {
			releases[s.Labels["name"]] = true
		}
	}
	for _, name := range []string{"antrea", "vsphere-cpi", "vsphere-csi", "ks-core"} {
		if !releases[name] {
			t.Errorf("no deployed Helm release %s (have %v)", name, releases)
		}
	}
}

// checkVMs checks every VM of the cluster for the CSI prerequisites and that the
// bootstrap userdata (which carries CA keys) is gone from its guestinfo.
func checkVMs(t *testing.T, env *apptest.Env, clusterID string, n int) {
	t.Helper()
	vms := apptest.ClusterVMs(t, env, clusterID)
	if len(vms) != n {
		t.Fatalf("%d VMs, want %d: %+v", len(vms), n, vms)
	}
	ctx := context.Background()
	u := env.VCenter.URL()
	u.User = apptest.URLUser(env)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout(ctx)
	for _, info := range vms {
		var vm mo.VirtualMachine
		ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: info.Moref}
		if err := property.DefaultCollector(c.Client).RetrieveOne(ctx, ref, []string{"config"}, &vm); err != nil {
			t.Fatal(err)
		}
		extra := map[string]string{}
		for _, o := range vm.Config.ExtraConfig {
			if v, ok := o.GetOptionValue().Value.(string); ok {
				extra[o.GetOptionValue().Key] = v
			}
		}
		if extra["disk.EnableUUID"] != "TRUE" {
			t.Errorf("VM %s: disk.EnableUUID = %q", info.Name, extra["disk.EnableUUID"])
		}
		if v, ok := extra["guestinfo.userdata"]; ok && v != "" {
			t.Errorf("VM %s still carries its userdata", info.Name)
		}
		if info.HardwareVersion < 15 {
			t.Errorf("VM %s: hardware version %d", info.Name, info.HardwareVersion)
		}
		devices := object.VirtualDeviceList(vm.Config.Hardware.Device)
		if len(devices.SelectByType((*types.ParaVirtualSCSIController)(nil))) == 0 {
			t.Errorf("VM %s has no ParaVirtual SCSI controller", info.Name)
		}
	}
}

// checkKubeconfigAudited checks that reading the kubeconfig left an audit event.
func checkKubeconfigAudited(t *testing.T, env *apptest.Env) {
	t.Helper()
	var page struct{ Items []domain.AuditEvent }
	env.Do("GET", "/api/v1/audit?limit=200", env.AdminToken, nil).JSON(t, &page)
	for _, e := range page.Items {
		if e.Action == "cluster.kubeconfig" && e.Outcome == domain.OutcomeSuccess {
			return
		}
	}
	t.Errorf("no audit event for the kubeconfig read")
}

// TestProvisionThreeControlPlanes provisions a highly available cluster: the second and
// third control planes join one at a time, each in its own step, and every node ends
// Ready.
func TestProvisionThreeControlPlanes(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	env := apptest.StartDatacenter(t, "65", nil)
	spec := apptest.ClusterSpec("ha", 3, 1)
	spec.Addons.KubeSphere = nil
	op := env.WaitOperationFor(apptest.StartProvision(t, env, spec).ID, apptest.ProvisionTimeout)
	if op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s; steps %+v", op.State, op.Error, op.Steps)
	}
	states := apptest.StepStates(op)
	for _, s := range []string{workflows.StepJoinControlPlane + "-1", workflows.StepJoinControlPlane + "-2"} {
		if states[s] != domain.StepSucceeded {
			t.Errorf("step %s = %q", s, states[s])
		}
	}
	c := apptest.GetCluster(t, env, "ha")
	roles := map[string]int{}
	for _, n := range c.Nodes {
		roles[n.Role]++
	}
	if c.Phase != domain.PhaseReady || roles[domain.RoleNameControlPlane] != 3 || roles[domain.RoleNameWorker] != 1 || len(c.Addons) != 3 {
		t.Fatalf("cluster = %+v", c)
	}
	checkNodes(t, apptest.KubeClient(t, env, "ha"), 4)
	checkVMs(t, env, c.ID, 4)
}
