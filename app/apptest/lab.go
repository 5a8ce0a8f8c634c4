package apptest

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"go.temporal.io/sdk/interceptor"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// What the end-to-end tests do again and again in the simulated datacenter: a lab to
// provision in, cluster specs, provisions and what they leave behind.

// ProvisionTimeout bounds a whole provision in the simulated datacenter.
const ProvisionTimeout = 8 * time.Minute

// StartDatacenter starts Clusterwright on a simulated datacenter with vCenter "vc1"
// registered and synced and an IP pool "lab" of loopback addresses 127.<net>.0.10-250.
func StartDatacenter(t testing.TB, net string, faults *sim.Faults) *Env {
	t.Helper()
	env := StartWith(t, Options{Datacenter: true, VCenter: sim.VCenterOptions{Faults: faults}})
	RegisterLab(t, env, net)
	return env
}

// RegisterLab registers the simulated vCenter as "vc1", waits for its sync, and creates
// the IP pool "lab" of 127.<net>.0.10-250.
func RegisterLab(t testing.TB, env *Env, net string) {
	t.Helper()
	env.RegisterVCenter("vc1")
	env.CreateIPPool(domain.IPPoolInput{Name: "lab", CIDR: "127." + net + ".0.0/24", RangeStart: "127." + net + ".0.10",
		RangeEnd: "127." + net + ".0.250", Gateway: "127." + net + ".0.1", DNS: []string{"127.0.0.53"}})
}

// ClusterSpec is a small cluster with every add-on, in the simulator's default placement.
func ClusterSpec(name string, controlPlanes, workers int) domain.ClusterSpec {
	defaultClass := true
	return domain.ClusterSpec{
		Name: name, VCenter: "vc1",
		Placement: domain.Placement{Datacenter: "DC0", ComputeCluster: "DC0_C0", Datastore: "LocalDS_0",
			Network: "VM Network", Template: sim.DefaultTemplate},
		KubernetesVersion: domain.KubernetesVersions().Default,
		ControlPlane:      domain.NodeShape{Replicas: controlPlanes, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40},
		WorkerPools:       []domain.WorkerPool{{Name: "default", NodeShape: domain.NodeShape{Replicas: workers, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40}}},
		Network:           domain.NetworkSpec{IPPool: "lab", PodCIDR: "10.10.0.0/16", ServiceCIDR: "10.96.0.0/16"},
		Addons: domain.AddonsSpec{
			Antrea:     &domain.AntreaSpec{Multicluster: true, TrafficEncryption: "none"},
			VSphereCPI: &struct{}{},
			VSphereCSI: &domain.CSISpec{StoragePolicy: "vSAN Default Storage Policy", DefaultClass: &defaultClass},
			KubeSphere: &domain.KubeSphereSpec{Enabled: true, Role: "host"},
		},
	}
}

// StartProvision posts spec and returns the operation it started.
func StartProvision(t testing.TB, env *Env, spec domain.ClusterSpec) domain.Operation {
	t.Helper()
	r := env.Do("POST", "/api/v1/clusters", env.AdminToken, spec)
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST /clusters: %d %s", r.Status, r.Body)
	}
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/api/v1/operations/") {
		t.Errorf("Location = %q", loc)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	return reply.Operation
}

// GetCluster reads a cluster through the API.
func GetCluster(t testing.TB, env *Env, name string) domain.Cluster {
	t.Helper()
	var c domain.Cluster
	r := env.Do("GET", "/api/v1/clusters/"+name, env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET cluster %s: %d %s", name, r.Status, r.Body)
	}
	r.JSON(t, &c)
	return c
}

// RESTConfig is the REST config of the cluster's admin kubeconfig, fetched through the API.
func RESTConfig(t testing.TB, env *Env, name string) *rest.Config {
	t.Helper()
	r := env.Do("GET", "/api/v1/clusters/"+name+"/kubeconfig", env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET kubeconfig: %d %s", r.Status, r.Body)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(r.Body)
	if err != nil {
		t.Fatalf("kubeconfig does not load: %v", err)
	}
	return cfg
}

// KubeClient is a clientset from the cluster's admin kubeconfig, fetched through the API.
func KubeClient(t testing.TB, env *Env, name string) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(RESTConfig(t, env, name))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// ClusterVMs lists the VMs marked for a cluster, straight from vCenter.
func ClusterVMs(t testing.TB, env *Env, clusterID string) []vsphere.VMInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u := env.VCenter.URL()
	u.User = url.UserPassword(env.VCenter.Username, env.VCenter.Password)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		t.Fatalf("govmomi login: %v", err)
	}
	defer c.Logout(context.WithoutCancel(ctx))
	vms, err := vsphere.FindClusterVMs(ctx, c.Client, clusterID)
	if err != nil {
		t.Fatalf("find VMs: %v", err)
	}
	return vms
}

// LeasesOf counts the pool's leases held by a cluster.
func LeasesOf(t testing.TB, env *Env, clusterID string) int {
	t.Helper()
	var pool domain.IPPool
	env.Do("GET", "/api/v1/ippools/lab", env.AdminToken, nil).JSON(t, &pool)
	n := 0
	for _, l := range pool.Leases {
		if l.ClusterID == clusterID {
			n++
		}
	}
	return n
}

// StepStates maps an operation's steps to their states.
func StepStates(op domain.Operation) map[string]string {
	out := map[string]string{}
	for _, s := range op.Steps {
		out[s.Name] = s.State
	}
	return out
}

// URLUser is the simulated vCenter's user, for a govmomi client's URL.
func URLUser(env *Env) *url.Userinfo {
	return url.UserPassword(env.VCenter.Username, env.VCenter.Password)
}

// CheckNothingLeft checks that a cluster has no VM, address lease or secret left.
func CheckNothingLeft(t testing.TB, env *Env, clusterID string) {
	t.Helper()
	if vms := ClusterVMs(t, env, clusterID); len(vms) != 0 {
		t.Errorf("VMs left: %+v", vms)
	}
	if n := LeasesOf(t, env, clusterID); n != 0 {
		t.Errorf("%d leases left", n)
	}
	if names, err := env.App.Store.ClusterSecretNames(context.Background(), clusterID); err != nil || len(names) != 0 {
		t.Errorf("secrets left: %v %v", names, err)
	}
}

// StartDecisionDatacenter starts Clusterwright on a simulated datacenter whose activities
// retry quickly (the number of attempts is kept), with the lab registered.
func StartDecisionDatacenter(t testing.TB, net string, faults *sim.Faults) *Env {
	t.Helper()
	env := StartWith(t, DecisionDatacenterOptions(faults))
	RegisterLab(t, env, net)
	return env
}

// DecisionDatacenterOptions are the options of StartDecisionDatacenter, for a test that
// adds to them (e.g. a Config) before StartWith and RegisterLab.
func DecisionDatacenterOptions(faults *sim.Faults) Options {
	return Options{Datacenter: true, VCenter: sim.VCenterOptions{Faults: faults},
		Interceptors: []interceptor.WorkerInterceptor{FastRetries()}}
}

// ProvisionWith posts spec with a failure policy and returns the operation it started.
func ProvisionWith(t testing.TB, env *Env, spec domain.ClusterSpec, policy domain.FailurePolicy) domain.Operation {
	t.Helper()
	r := env.Do("POST", "/api/v1/clusters", env.AdminToken, api.ClusterRequest{ClusterSpec: spec, FailurePolicy: policy})
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST /clusters: %d %s", r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	return reply.Operation
}

// AwaitDecision waits until the operation awaits a decision on step and returns it.
func AwaitDecision(t testing.TB, env *Env, id, step string) domain.Operation {
	t.Helper()
	op := env.WaitOperationFor(id, ProvisionTimeout)
	if op.State != domain.OpAwaitingDecision || op.Decision == nil || op.Decision.Step != step {
		t.Fatalf("operation = %s (%s), decision %+v; want AwaitingDecision on %s; steps %+v", op.State, op.Error, op.Decision, step, op.Steps)
	}
	if op.Decision.Reason == "" || !op.Decision.Deadline.After(op.Decision.Since) {
		t.Errorf("decision = %+v", op.Decision)
	}
	return op
}

// StepOf returns the named step of an operation.
func StepOf(t testing.TB, op domain.Operation, name string) domain.Step {
	t.Helper()
	i := slices.IndexFunc(op.Steps, func(s domain.Step) bool { return s.Name == name })
	if i < 0 {
		t.Fatalf("operation has no step %s: %+v", name, op.Steps)
	}
	return op.Steps[i]
}
