package antrea_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/activities/antrea"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/sim/antreamc"
	"github.com/clusterwright/clusterwright/sim/chartrepo"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// The clusters of this package's test, one node each; 127.25.0.0/16 is
// this package's.
var kubeVersion = domain.KubernetesVersions().Default

var testClusters = []struct{ name, ip, podCIDR string }{
	{"cs-lead", "127.25.1.10", "10.244.0.0/16"},
	{"cs-east", "127.25.2.10", "10.245.0.0/16"},
	{"cs-west", "127.25.3.10", "10.246.0.0/16"},
}

// testCluster is a booted cluster with its admin clients.
type testCluster struct {
	ref     antrea.Cluster
	nt      *nodetest.Cluster
	node    string // its only Node
	podCIDR string
	kube    kubernetes.Interface
	dyn     dynamic.Interface
}

// access is the inventory as the activities see it: the clusters' admin
// kubeconfigs and endpoints, by inventory id.
type access struct{ clusters map[string]*testCluster }

func (a access) AdminKubeconfig(_ context.Context, id string) ([]byte, error) {
	c, ok := a.clusters[id]
	if !ok {
		return nil, fmt.Errorf("cluster %s: %w", id, domain.ErrNotFound)
	}
	return pki.AdminKubeconfig(c.nt.Name, "https://"+c.nt.Endpoint, c.nt.PKI.CA)
}

func (a access) ControlPlaneEndpoint(_ context.Context, id string) (string, error) {
	c, ok := a.clusters[id]
	if !ok {
		return "", fmt.Errorf("cluster %s: %w", id, domain.ErrNotFound)
	}
	return c.nt.Endpoint, nil
}

// logBuffer collects the logs of the datacenter and the activities: shown
// when the test fails, and searched for secrets.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startClusters starts a simulated datacenter with fast multi-cluster
// controllers and boots the three clusters in it with Antrea installed as
// activities/addons installs it for a cluster with addons.antrea.multicluster.
func startClusters(t *testing.T, log *slog.Logger) map[string]*testCluster {
	t.Helper()
	if _, err := kubeproc.Binaries(kubeVersion); err != nil {
		t.Fatal(err)
	}
	dc, err := sim.StartDatacenter(t.Context(), sim.DatacenterOptions{
		VCenter:      sim.VCenterOptions{VMs: -1},
		StateDir:     t.TempDir(),
		Logger:       log,
		Multicluster: antreamc.Options{Heartbeat: time.Second, ConnectionTimeout: 4 * time.Second, Logger: log},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.Close)
	vc := login(t, dc.VCenter())
	chartDir := t.TempDir()
	if err := chartrepo.WriteDir(chartDir); err != nil {
		t.Fatal(err)
	}
	installer := &addons.Installer{CacheDir: t.TempDir(), Logger: log}

	clusters := map[string]*testCluster{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, tc := range testClusters {
		nt, err := nodetest.NewCluster(tc.name, kubeVersion, tc.ip)
		if err != nil {
			t.Fatal(err)
		}
		nt.PodSubnet = tc.podCIDR
		c := &testCluster{ref: antrea.Cluster{ID: "id-" + tc.name, Name: tc.name}, nt: nt, node: tc.name + "-cp-0", podCIDR: tc.podCIDR}
		guestinfo, err := nt.GuestInfo(nt.InitNode(c.node, tc.ip))
		if err != nil {
			t.Fatal(err)
		}
		cloneAndPowerOn(t, vc, c.node, guestinfo)
		wg.Go(func() {
			if err := bootCluster(t.Context(), c, installer, chartDir); err != nil {
				t.Errorf("cluster %s: %v", tc.name, err)
				return
			}
			mu.Lock()
			clusters[c.ref.ID] = c
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return clusters
}

// bootCluster waits for the cluster's Node, lets the simulated CPI
// initialise it and installs Antrea with the values activities/addons gives
// a cluster with addons.antrea.multicluster.
func bootCluster(ctx context.Context, c *testCluster, installer *addons.Installer, chartDir string) error {
	cfg, err := c.nt.AdminConfig(c.nt.Endpoint)
	if err != nil {
		return err
	}
	if c.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	if c.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return err
	}
	if err := nodetest.WaitReady(ctx, c.kube, 2*time.Minute, kubeVersion, c.node); err != nil {
		return err
	}
	if err := createCPI(ctx, c.kube); err != nil {
		return err
	}
	kubeconfig, err := pki.AdminKubeconfig(c.nt.Name, "https://"+c.nt.Endpoint, c.nt.PKI.CA)
	if err != nil {
		return err
	}
	spec := domain.ClusterSpec{
		Name:    c.nt.Name,
		Network: domain.NetworkSpec{PodCIDR: c.podCIDR, ServiceCIDR: c.nt.ServiceSubnet},
		Addons:  domain.AddonsSpec{Antrea: &domain.AntreaSpec{Multicluster: true}},
	}
	_, err = installer.Apply(ctx, kubeconfig, addons.Release{
		Name: "antrea", Namespace: "kube-system",
		Source: addons.Source{Dir: chartDir, Chart: "antrea", Version: addons.AntreaChartVersion},
		Values: addons.AntreaValues(spec), Wait: true, Timeout: 2 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("install antrea: %w", err)
	}
	return nodetest.Eventually(ctx, time.Minute, c.node+" initialised by the CPI", func(ctx context.Context) (bool, error) {
		n, err := c.kube.CoreV1().Nodes().Get(ctx, c.node, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return len(n.Status.Addresses) > 0 && !slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool {
			return t.Key == "node.cloudprovider.kubernetes.io/uninitialized"
		}), fmt.Errorf("addresses %v, taints %v", n.Status.Addresses, n.Spec.Taints)
	})
}

// createCPI creates the vSphere CPI's DaemonSet, so that the simulated CPI
// initialises the Node.
func createCPI(ctx context.Context, kube kubernetes.Interface) error {
	labels := map[string]string{"k8s-app": "vsphere-cloud-controller-manager"}
	_, err := kube.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "vsphere-cloud-controller-manager"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					HostNetwork: true,
					Containers: []corev1.Container{{
						Name: "vsphere-cloud-controller-manager", Image: "registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.35.0",
					}},
				},
			},
		},
	}, metav1.CreateOptions{})
	return err
}

// cloneAndPowerOn clones the template into a powered-on VM carrying
// guestinfo, as provisioning does.
func cloneAndPowerOn(t *testing.T, vc *vim25.Client, name string, guestinfo map[string]string) {
	t.Helper()
	ctx := t.Context()
	finder := find.NewFinder(vc)
	dcObj, err := finder.Datacenter(ctx, sim.DefaultDatacenter)
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dcObj)
	template, err := finder.VirtualMachine(ctx, sim.DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dcObj.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := finder.ClusterComputeResource(ctx, sim.DefaultCluster)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := cc.ResourcePool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	extra := []types.BaseOptionValue{&types.OptionValue{Key: "disk.EnableUUID", Value: "TRUE"}}
	for _, k := range slices.Sorted(maps.Keys(guestinfo)) {
		extra = append(extra, &types.OptionValue{Key: k, Value: guestinfo[k]})
	}
	poolRef := pool.Reference()
	task, err := template.Clone(ctx, folders.VmFolder, name, types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: &poolRef},
		Config:   &types.VirtualMachineConfigSpec{ExtraConfig: extra},
		PowerOn:  true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := task.WaitForResult(ctx); err != nil {
		t.Fatalf("clone %s: %v", name, err)
	}
}

// login logs in to the simulated vCenter with its certificate pinned.
func login(t *testing.T, vc *sim.VCenter) *vim25.Client {
	t.Helper()
	ctx := t.Context()
	sc := soap.NewClient(vc.URL(), false)
	sc.SetThumbprint(vc.URL().Host, vc.Thumbprint)
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	m := session.NewManager(c)
	if err := m.Login(ctx, url.UserPassword(vc.Username, vc.Password)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Logout(context.Background()) })
	return c
}
