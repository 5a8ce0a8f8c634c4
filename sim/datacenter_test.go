package sim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	appsv1 "k8s.io/api/apps/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// dcVersion is the Kubernetes version the datacenter tests run.
var dcVersion = domain.KubernetesVersions().Default

// startDatacenter starts a datacenter for the test and logs in to its
// vCenter as Clusterwright would.
func startDatacenter(t *testing.T, faults *Faults) (*Datacenter, *govmomi.Client) {
	t.Helper()
	if _, err := kubeproc.Binaries(dcVersion); err != nil {
		t.Fatal(err)
	}
	dc, err := StartDatacenter(t.Context(), DatacenterOptions{
		VCenter:  VCenterOptions{VMs: -1},
		StateDir: t.TempDir(),
		Faults:   faults,
		Logger:   slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.Close)
	c, err := login(t, dc.VCenter(), dc.VCenter().Username, dc.VCenter().Password)
	if err != nil {
		t.Fatal(err)
	}
	return dc, c
}

// cloneNodeVM clones DefaultTemplate into a VM that carries spec's
// cloud-init in its guestinfo, as provisioning does, without powering it on.
func cloneNodeVM(t *testing.T, c *govmomi.Client, cluster *nodetest.Cluster, name string, spec cloudinit.NodeSpec) *object.VirtualMachine {
	t.Helper()
	ctx := t.Context()
	guestinfo, err := cluster.GuestInfo(spec)
	if err != nil {
		t.Fatal(err)
	}
	finder := find.NewFinder(c.Client)
	dcObj, err := finder.Datacenter(ctx, DefaultDatacenter)
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dcObj)
	template, err := finder.VirtualMachine(ctx, DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dcObj.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cluster0, err := finder.ClusterComputeResource(ctx, DefaultCluster)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := cluster0.ResourcePool(ctx)
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
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		t.Fatalf("clone %s: %v", name, err)
	}
	return object.NewVirtualMachine(c.Client, info.Result.(types.ManagedObjectReference))
}

// powerOn powers VMs on.
func powerOn(t *testing.T, vms ...*object.VirtualMachine) {
	t.Helper()
	for _, vm := range vms {
		task, err := vm.PowerOn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(t.Context()); err != nil {
			t.Fatalf("power on %s: %v", vm.Reference().Value, err)
		}
	}
}

// waitForIP waits for the guest address of vm with govmomi's WaitForIP
// (the property collector), as provisioning does.
func waitForIP(t *testing.T, vm *object.VirtualMachine, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	ip, err := vm.WaitForIP(ctx, true)
	if err != nil {
		t.Fatalf("WaitForIP %s: %v", vm.Reference().Value, err)
	}
	if ip != want {
		t.Errorf("guest IP of %s = %s, want %s", vm.Reference().Value, ip, want)
	}
}

// vmUUID reads a VM's BIOS UUID.
func vmUUID(t *testing.T, vm *object.VirtualMachine) string {
	t.Helper()
	var m mo.VirtualMachine
	if err := vm.Properties(t.Context(), vm.Reference(), []string{"config.uuid"}, &m); err != nil {
		t.Fatal(err)
	}
	return m.Config.Uuid
}

// waitFor fails the test if cond does not hold within timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := nodetest.Eventually(t.Context(), timeout, what, cond); err != nil {
		t.Fatal(err)
	}
}

func TestDatacenterBootstrap(t *testing.T) {
	faults := NewFaults()
	if err := faults.Add(Fault{Kind: KindNodeBoot, VM: "east-noboot"}); err != nil {
		t.Fatal(err)
	}
	dc, vc := startDatacenter(t, faults)
	ctx := t.Context()
	c, err := nodetest.NewCluster("east", dcVersion, "127.20.1.10")
	if err != nil {
		t.Fatal(err)
	}
	badHash := c.WorkerNode("east-badhash", "127.20.1.20")
	badHash.Kubeadm.Join.Discovery.BootstrapToken.CACertHashes = []string{"sha256:" + strings.Repeat("0", 64)}
	badToken := c.WorkerNode("east-badtoken", "127.20.1.21")
	badToken.Kubeadm.Join.Discovery.BootstrapToken.Token = pki.BootstrapToken{ID: c.Token.ID, Secret: "0000000000000000"}.String()

	cp := cloneNodeVM(t, vc, c, "east-cp-0", c.InitNode("east-cp-0", "127.20.1.10"))
	w0 := cloneNodeVM(t, vc, c, "east-w-0", c.WorkerNode("east-w-0", "127.20.1.11"))
	w1 := cloneNodeVM(t, vc, c, "east-w-1", c.WorkerNode("east-w-1", "127.20.1.12"))
	bh := cloneNodeVM(t, vc, c, "east-badhash", badHash)
	bt := cloneNodeVM(t, vc, c, "east-badtoken", badToken)
	noBoot := cloneNodeVM(t, vc, c, "east-noboot", c.WorkerNode("east-noboot", "127.20.1.22"))

	began := time.Now()
	powerOn(t, cp, w0, w1, bh, bt, noBoot)
	waitForIP(t, cp, "127.20.1.10")
	waitForIP(t, w0, "127.20.1.11")
	waitForIP(t, w1, "127.20.1.12")
	waitForIP(t, bh, "127.20.1.20")
	waitForIP(t, bt, "127.20.1.21")

	client, err := c.AdminClient(c.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodetest.WaitReady(ctx, client, 2*time.Minute, dcVersion, "east-cp-0", "east-w-0", "east-w-1"); err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	t.Logf("cluster east (1 control plane, 2 workers): power-on to 3 Nodes Ready in %s; control-plane RSS %s",
		took.Round(time.Millisecond), rssReport(t, dc, "east-cp-0"))

	t.Run("node.boot fault", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		if ip, err := noBoot.WaitForIP(ctx); err == nil {
			t.Errorf("VM with a node.boot fault got guest IP %q", ip)
		}
		if dc.Node("east-noboot") != nil || len(faults.Fired()) == 0 {
			t.Errorf("node.boot fault: node %v, fired %v", dc.Node("east-noboot"), faults.Fired())
		}
	})

	t.Run("bootstrap CSRs approved", func(t *testing.T) {
		csrs, err := client.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var approved []string
		for _, csr := range csrs.Items {
			ok := slices.ContainsFunc(csr.Status.Conditions, func(c certificatesv1.CertificateSigningRequestCondition) bool {
				return c.Type == certificatesv1.CertificateApproved && c.Status == corev1.ConditionTrue
			})
			if ok && csr.Spec.Username == "system:bootstrap:"+c.Token.ID && len(csr.Status.Certificate) > 0 {
				approved = append(approved, csr.Name)
			}
		}
		if len(approved) != 2 {
			t.Errorf("approved and signed bootstrap-token CSRs: %v, want the 2 workers'", approved)
		}
	})

	t.Run("bad joins never register", func(t *testing.T) {
		for name, want := range map[string]string{"east-badhash": "cluster CA", "east-badtoken": "JWS signature"} {
			waitFor(t, time.Minute, name+" failed", func(context.Context) (bool, error) {
				n := dc.Node(name)
				return n != nil && n.Status().Phase == node.PhaseFailed, nil
			})
			if st := dc.Node(name).Status(); !strings.Contains(st.Reason, want) {
				t.Errorf("%s failed with %q, want a reason about the %s", name, st.Reason, want)
			}
			if _, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("Node %s: %v, want NotFound", name, err)
			}
		}
	})

	t.Run("cloud provider", func(t *testing.T) {
		testCloudProvider(t, client, map[string]*object.VirtualMachine{"east-cp-0": cp, "east-w-0": w0, "east-w-1": w1})
	})

	t.Run("pod deletion", func(t *testing.T) {
		pods, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil || len(pods.Items) == 0 {
			t.Fatalf("web Pods: %v", err)
		}
		victim := pods.Items[0]
		if err := client.CoreV1().Pods("default").Delete(ctx, victim.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// The kubelet stops the Pod and removes it well before its grace
		// period of 30 s; the ReplicaSet replaces it.
		waitFor(t, 10*time.Second, "deleted Pod gone", func(ctx context.Context) (bool, error) {
			_, err := client.CoreV1().Pods("default").Get(ctx, victim.Name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), err
		})
		waitFor(t, 30*time.Second, "a replacement Pod Running", func(ctx context.Context) (bool, error) {
			pods, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
			if err != nil {
				return false, err
			}
			running := 0
			for _, p := range pods.Items {
				if p.Status.Phase == corev1.PodRunning && p.Name != victim.Name {
					running++
				}
			}
			return running == 2, fmt.Errorf("%d Running", running)
		})
	})

	t.Run("power off and destroy", func(t *testing.T) {
		task, err := w1.PowerOff(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "east-w-1 NotReady", func(ctx context.Context) (bool, error) {
			n, err := client.CoreV1().Nodes().Get(ctx, "east-w-1", metav1.GetOptions{})
			return err == nil && !nodetest.NodeReady(n), err
		})
		if ip, err := w1.WaitForIP(withTimeout(t, time.Second)); err == nil {
			t.Errorf("powered-off VM still reports guest IP %q", ip)
		}
		task, err = w1.Destroy(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "Node east-w-1 deleted", func(ctx context.Context) (bool, error) {
			_, err := client.CoreV1().Nodes().Get(ctx, "east-w-1", metav1.GetOptions{})
			return apierrors.IsNotFound(err), err
		})
		if dc.Node("east-w-1") != nil {
			t.Error("destroyed VM's node is still listed")
		}
	})

	t.Run("kill control plane", func(t *testing.T) {
		if err := dc.KillControlPlane("east-cp-0"); err != nil {
			t.Fatal(err)
		}
		if _, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(withTimeout(t, 5*time.Second)); err == nil {
			t.Error("API server answers after its control plane was killed")
		}
	})
}

// testCloudProvider installs the CPI's DaemonSet and checks that the
// simulated CPI initialises the Nodes, so that a Deployment's Pods, held
// back by the uninitialized taint until then, run on the workers.
func testCloudProvider(t *testing.T, client kubernetes.Interface, vms map[string]*object.VirtualMachine) {
	ctx := t.Context()
	replicas := int32(2)
	labels := map[string]string{"app": "web"}
	_, err := client.AppsV1().Deployments("default").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name := range vms {
		n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n.Spec.ProviderID != "" || !hasTaintKey(n, "node.cloudprovider.kubernetes.io/uninitialized") {
			t.Errorf("Node %s before the CPI: providerID %q, taints %v", name, n.Spec.ProviderID, n.Spec.Taints)
		}
	}

	_, err = client.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "vsphere-cloud-controller-manager"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "vsphere-cloud-controller-manager"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"k8s-app": "vsphere-cloud-controller-manager"}},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"node-role.kubernetes.io/control-plane": ""},
					Tolerations:  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					HostNetwork:  true,
					Containers: []corev1.Container{{
						Name: "vsphere-cloud-controller-manager", Image: "registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.35.0",
					}},
				},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, vm := range vms {
		want := "vsphere://" + strings.ToLower(vmUUID(t, vm))
		waitFor(t, 30*time.Second, "Node "+name+" initialised by the CPI", func(ctx context.Context) (bool, error) {
			n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if n.Spec.ProviderID != want || hasTaintKey(n, "node.cloudprovider.kubernetes.io/uninitialized") {
				return false, fmt.Errorf("providerID %q (want %q), taints %v", n.Spec.ProviderID, want, n.Spec.Taints)
			}
			return true, nil
		})
	}
	waitFor(t, time.Minute, "the Deployment's Pods Running on workers", func(ctx context.Context) (bool, error) {
		pods, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, err
		}
		running := 0
		for _, p := range pods.Items {
			ready := slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
				return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
			})
			if p.Status.Phase == corev1.PodRunning && ready && strings.HasPrefix(p.Spec.NodeName, "east-w-") &&
				strings.HasPrefix(p.Status.PodIP, "10.244.") && p.Status.ContainerStatuses[0].ImageID != "" {
				running++
			}
		}
		return running == 2, fmt.Errorf("%d of %d Pods Running", running, len(pods.Items))
	})
	waitFor(t, time.Minute, "the CPI's Pod Running", func(ctx context.Context) (bool, error) {
		ds, err := client.AppsV1().DaemonSets("kube-system").Get(ctx, "vsphere-cloud-controller-manager", metav1.GetOptions{})
		return err == nil && ds.Status.NumberReady == 1, err
	})
}

// TestDatacenterHA builds a cluster of three control-plane nodes, joined
// one at a time: etcd has three members and every API server is ready.
func TestDatacenterHA(t *testing.T) {
	dc, vc := startDatacenter(t, nil)
	ctx := t.Context()
	c, err := nodetest.NewCluster("ha", dcVersion, "127.20.3.10")
	if err != nil {
		t.Fatal(err)
	}
	client, err := c.AdminClient(c.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	var names []string
	for i, ip := range []string{"127.20.3.10", "127.20.3.11", "127.20.3.12"} {
		name := fmt.Sprintf("ha-cp-%d", i)
		spec := c.ControlPlaneNode(name, ip)
		if i == 0 {
			spec = c.InitNode(name, ip)
		}
		powerOn(t, cloneNodeVM(t, vc, c, name, spec))
		names = append(names, name)
		if err := nodetest.WaitReady(ctx, client, 2*time.Minute, dcVersion, names...); err != nil {
			t.Fatalf("%v (node status %+v)", err, dc.Node(name).Status())
		}
		t.Logf("%s Ready after %s", name, time.Since(began).Round(time.Millisecond))
	}
	rss := make([]string, len(names))
	for i, name := range names {
		rss[i] = rssReport(t, dc, name)
	}
	t.Logf("cluster ha (3 control planes): power-on to 3 Nodes Ready in %s (joined one at a time); RSS %s",
		time.Since(began).Round(time.Millisecond), strings.Join(rss, "; "))

	members := etcdMembers(t, c, "127.20.3.12")
	if len(members) != 3 {
		t.Errorf("etcd members %v, want 3", members)
	}
	for _, m := range members {
		if m.IsLearner {
			t.Errorf("etcd member %s is still a learner", m.Name)
		}
	}
	for _, ip := range []string{"127.20.3.10", "127.20.3.11", "127.20.3.12"} {
		local, err := c.AdminClient(ip + ":6443")
		if err != nil {
			t.Fatal(err)
		}
		body, err := local.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil || string(body) != "ok" {
			t.Errorf("%s /readyz: %q, %v", ip, body, err)
		}
	}
	// kubeadm marks a control-plane Node once its kubelet has registered it.
	waitFor(t, 30*time.Second, "3 control-plane Nodes", func(ctx context.Context) (bool, error) {
		nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "node-role.kubernetes.io/control-plane"})
		if err != nil {
			return false, err
		}
		tainted := 0
		for _, n := range nodes.Items {
			if hasTaintKey(&n, "node-role.kubernetes.io/control-plane") && nodetest.NodeReady(&n) {
				tainted++
			}
		}
		return tainted == 3, fmt.Errorf("%d labelled, %d of them tainted and Ready", len(nodes.Items), tainted)
	})
	// An object written through one API server is read through another.
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "replicated"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	third, err := c.AdminClient("127.20.3.12:6443")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := third.CoreV1().Namespaces().Get(ctx, "replicated", metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
}

// TestDatacenterTwoClusters runs two clusters side by side in one vCenter,
// on different address ranges, and reports their start time and memory.
func TestDatacenterTwoClusters(t *testing.T) {
	dc, vc := startDatacenter(t, nil)
	type cluster struct {
		c      *nodetest.Cluster
		client kubernetes.Interface
	}
	var clusters []cluster
	began := time.Now()
	for _, name := range []string{"blue", "green"} {
		subnet := map[string]string{"blue": "127.20.4", "green": "127.20.5"}[name]
		c, err := nodetest.NewCluster(name, dcVersion, subnet+".10")
		if err != nil {
			t.Fatal(err)
		}
		cp := cloneNodeVM(t, vc, c, name+"-cp-0", c.InitNode(name+"-cp-0", subnet+".10"))
		w := cloneNodeVM(t, vc, c, name+"-w-0", c.WorkerNode(name+"-w-0", subnet+".11"))
		powerOn(t, cp, w)
		client, err := c.AdminClient(c.Endpoint)
		if err != nil {
			t.Fatal(err)
		}
		clusters = append(clusters, cluster{c, client})
	}
	var wg sync.WaitGroup
	for _, cl := range clusters {
		wg.Go(func() {
			name := cl.c.Name
			err := nodetest.WaitReady(t.Context(), cl.client, 2*time.Minute, dcVersion, name+"-cp-0", name+"-w-0")
			if err != nil {
				t.Error(err)
				return
			}
			t.Logf("cluster %s (1 control plane, 1 worker): power-on to 2 Nodes Ready in %s (both clusters booting at once); control-plane RSS %s",
				name, time.Since(began).Round(time.Millisecond), rssReport(t, dc, name+"-cp-0"))
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("this process (vcsim, simulated kubelets and cloud providers, the test's clients): RSS %d MiB", vmRSS(os.Getpid())/1024)
	// Each cluster has its own nodes only.
	for _, cl := range clusters {
		nodes, err := cl.client.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes.Items {
			if !strings.HasPrefix(n.Name, cl.c.Name+"-") {
				t.Errorf("cluster %s has Node %s", cl.c.Name, n.Name)
			}
		}
	}
}

// etcdMember is a member as etcd's JSON gateway lists it.
type etcdMember struct {
	Name      string `json:"name"`
	IsLearner bool   `json:"isLearner"`
}

// etcdMembers lists the etcd members through the member at ip, with a
// client certificate of the cluster's etcd CA.
func etcdMembers(t *testing.T, c *nodetest.Cluster, ip string) []etcdMember {
	t.Helper()
	certPEM, keyPEM, err := c.PKI.EtcdCA.Issue(pki.LeafRequest{CommonName: "test-etcd-client", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.PKI.EtcdCA.Cert)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
	}}}
	resp, err := hc.Post("https://"+ip+":2379/v3/cluster/member/list", "application/json", bytes.NewBufferString("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Members []etcdMember }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Members
}

// rssReport sums the resident memory of a node's control-plane processes.
func rssReport(t *testing.T, dc *Datacenter, hostname string) string {
	t.Helper()
	n := dc.Node(hostname)
	if n == nil || n.ControlPlane() == nil {
		return "n/a"
	}
	pids := n.ControlPlane().PIDs()
	var total int
	var parts []string
	for _, name := range []string{kubeproc.Etcd, kubeproc.APIServer, kubeproc.ControllerManager, kubeproc.Scheduler} {
		kb := vmRSS(pids[name])
		total += kb
		parts = append(parts, fmt.Sprintf("%s %d", name, kb/1024))
	}
	return fmt.Sprintf("%d MiB (%s MiB)", total/1024, strings.Join(parts, ", "))
}

// vmRSS reads a process's resident set size in KiB; 0 if unknown.
func vmRSS(pid int) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	return 0
}

func hasTaintKey(n *corev1.Node, key string) bool {
	return slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == key })
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
