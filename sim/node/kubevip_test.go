package node

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/kubeproc/kubeproctest"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// TestParseKubeVIPManifest reads the manifest the node bootstrap writes.
func TestParseKubeVIPManifest(t *testing.T) {
	manifest, err := cloudinit.KubeVIPManifest(cloudinit.KubeVIP{
		Address: netip.MustParseAddr("127.20.61.5"), Port: 6443, Kubeconfig: cloudinit.SuperAdminConfPath})
	if err != nil {
		t.Fatal(err)
	}
	cfg, ok, err := parseKubeVIPManifest(manifest)
	if err != nil || !ok {
		t.Fatalf("parse: ok=%v %v\n%s", ok, err, manifest)
	}
	want := kubeVIPConfig{Address: netip.MustParseAddr("127.20.61.5"), Port: 6443, LeaseName: "plndr-cp-lock", Namespace: "kube-system",
		LeaseDuration: 5 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: time.Second, Kubeconfig: "/etc/kubernetes/super-admin.conf",
		Image: cloudinit.KubeVIPImage}
	if cfg != want {
		t.Errorf("config = %+v, want %+v", cfg, want)
	}

	// CAPV's templates name the address "address"; a services-only kube-vip
	// serves no control-plane VIP; without leader election it is refused.
	older := strings.Replace(string(manifest), "name: vip_address", "name: address", 1)
	if cfg, ok, err := parseKubeVIPManifest([]byte(older)); err != nil || !ok || cfg.Address != want.Address {
		t.Errorf("address env: %+v ok=%v %v", cfg, ok, err)
	}
	servicesOnly := strings.Replace(string(manifest), "name: cp_enable\n      value: \"true\"", "name: cp_enable\n      value: \"false\"", 1)
	if servicesOnly == string(manifest) {
		t.Fatal("the manifest has no cp_enable \"true\" to change")
	}
	if _, ok, err := parseKubeVIPManifest([]byte(servicesOnly)); err != nil || ok {
		t.Errorf("services-only manifest: ok=%v %v, want ignored", ok, err)
	}
	noElection := strings.Replace(string(manifest), "name: vip_leaderelection\n      value: \"true\"", "name: vip_leaderelection\n      value: \"false\"", 1)
	if _, _, err := parseKubeVIPManifest([]byte(noElection)); err == nil || !strings.Contains(err.Error(), "vip_leaderelection") {
		t.Errorf("manifest without leader election: %v", err)
	}
}

// TestKubeVIPFailover runs three kube-vip instances against one real API
// server (each stands for a control plane): exactly one holds the VIP and
// forwards it to the API server; when the holder's power is cut the Lease
// expires and another takes the VIP; when the next holder shuts down it
// gives the Lease up and the last one takes the VIP at once.
func TestKubeVIPFailover(t *testing.T) {
	if _, err := kubeproc.Binaries(testVersion); err != nil {
		t.Fatal(err)
	}
	const ip, vip = "127.20.61.10", "127.20.61.5"
	dir := t.TempDir()
	p, err := kubeproctest.WritePKI(filepath.Join(dir, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	ctx := t.Context()
	cp, err := kubeproc.StartWithLogger(ctx, kubeproc.ControlPlaneConfig{
		Version: testVersion, IP: ip, Dir: filepath.Join(dir, "cp"), PKI: p, PodCIDR: "10.244.0.0/16",
		ControlPlaneEndpoint: vip + ":6443",
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	kubeconfig := filepath.Join(dir, "admin.conf")
	if err := os.WriteFile(kubeconfig, cp.AdminKubeconfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	manifest, err := cloudinit.KubeVIPManifest(cloudinit.KubeVIP{Address: netip.MustParseAddr(vip), Port: 6443})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := parseKubeVIPManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	start := func(name string) *kubeVIP {
		k, err := startKubeVIP(ctx, cfg, name, kubeconfig, cp.Endpoint(), strings.TrimPrefix(cp.Endpoint(), "https://"), log.With("node", name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.stop(false) })
		return k
	}
	instances := map[string]*kubeVIP{"cp-a": start("cp-a"), "cp-b": start("cp-b")}

	// The VIP answers with the API server's certificate, which names it.
	tlsCfg := cp.AdminTLSConfig().Clone()
	tlsCfg.ServerName = vip
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg, DisableKeepAlives: true}}
	holder := waitVIP(t, ctx, client, "https://"+vip+":6443", instances, "")
	checkLease(t, ctx, cp, holder)

	// A power cut: the holder neither renews nor releases; the Lease expires.
	instances["cp-c"] = start("cp-c")
	cut := time.Now()
	instances[holder].stop(true)
	delete(instances, holder)
	next := waitVIP(t, ctx, client, "https://"+vip+":6443", instances, holder)
	gap := time.Since(cut)
	t.Logf("power cut of %s: the VIP moved to %s after %s", holder, next, gap.Round(time.Millisecond))
	if gap > cfg.LeaseDuration+3*cfg.RetryPeriod+2*time.Second {
		t.Errorf("the VIP took %s to move; the Lease lasts %s", gap, cfg.LeaseDuration)
	}
	checkLease(t, ctx, cp, next)

	// A shutdown: the holder gives the Lease up and the VIP moves at once.
	shut := time.Now()
	instances[next].stop(false)
	delete(instances, next)
	last := waitVIP(t, ctx, client, "https://"+vip+":6443", instances, next)
	gap = time.Since(shut)
	t.Logf("shutdown of %s: the VIP moved to %s after %s", next, last, gap.Round(time.Millisecond))
	if gap > cfg.LeaseDuration {
		t.Errorf("after a release the VIP took %s to move, as long as a Lease expiry", gap)
	}
}

// waitVIP waits until exactly one of instances holds the VIP and the API
// server answers /readyz through it, and returns the holder's name.
func waitVIP(t *testing.T, ctx context.Context, client *http.Client, url string, instances map[string]*kubeVIP, not string) string {
	t.Helper()
	var holder string
	err := nodetest.Eventually(ctx, 30*time.Second, "the VIP held and answering", func(ctx context.Context) (bool, error) {
		var holders []string
		for name, k := range instances {
			if k.Holding() {
				holders = append(holders, name)
			}
		}
		if len(holders) != 1 || holders[0] == not {
			return false, nil
		}
		holder = holders[0]
		resp, err := client.Get(url + "/readyz")
		if err != nil {
			return false, nil
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK && string(body) == "ok", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return holder
}

// checkLease checks that the Lease names holder.
func checkLease(t *testing.T, ctx context.Context, cp *kubeproc.ControlPlane, holder string) {
	t.Helper()
	rc, err := clientcmd.RESTConfigFromKubeConfig(cp.AdminKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	rc.Host = cp.Endpoint()
	c, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	checkLeaseHolder(t, ctx, c, holder)
}

// TestNodeKubeVIP boots a first control plane whose cloud-init (rendered by the
// provisioning code) carries kube-vip's static Pod: kubeadm init finishes with the
// VIP held, the node's kubeconfigs and the cluster-info point at the VIP, and the
// node serves it again after a power cycle (kube-vip starts with the control plane);
// a power-off gives the VIP up.
func TestNodeKubeVIP(t *testing.T) {
	if _, err := kubeproc.Binaries(testVersion); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	c, err := nodetest.NewCluster("vipper", testVersion, "127.20.62.10")
	if err != nil {
		t.Fatal(err)
	}
	c.UseVIP("127.20.62.5")
	spec := c.InitNode("vipper-cp-0", "127.20.62.10")
	if _, ok := spec.StaticPods["kube-vip.yaml"]; !ok {
		t.Fatal("the first control plane's cloud-init has no kube-vip manifest")
	}
	cp := newTestNode(t, c, spec, &guestLog{}, nil)
	client, err := c.AdminClient(c.Endpoint) // verifies the VIP against the API server's certificate
	if err != nil {
		t.Fatal(err)
	}
	for boot := 1; boot <= 2; boot++ {
		began := time.Now()
		cp.PowerOn()
		if err := nodetest.WaitReady(ctx, client, 2*time.Minute, testVersion, "vipper-cp-0"); err != nil {
			t.Fatalf("boot %d: %v; status %+v", boot, err, cp.Status())
		}
		if !cp.HoldsVIP() {
			t.Errorf("boot %d: the node does not hold the VIP", boot)
		}
		t.Logf("boot %d: Ready through the VIP %s after %s", boot, c.Endpoint, time.Since(began).Round(time.Millisecond))
		if boot == 1 {
			// kubeadm init uploads cluster-info after the node registers: let it finish
			// before the power goes (a later boot restarts, it does not init again).
			err := nodetest.Eventually(ctx, time.Minute, "cluster-info", func(ctx context.Context) (bool, error) {
				_, err := client.CoreV1().ConfigMaps("kube-public").Get(ctx, "cluster-info", metav1.GetOptions{})
				return err == nil, ignoreNotFound(err)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		cp.PowerOff()
		if cp.HoldsVIP() {
			t.Errorf("boot %d: the VIP is held after the power-off", boot)
		}
	}
	cp.PowerOn()
	if err := nodetest.WaitReady(ctx, client, 2*time.Minute, testVersion, "vipper-cp-0"); err != nil {
		t.Fatal(err)
	}
	info, err := client.CoreV1().ConfigMaps("kube-public").Get(ctx, "cluster-info", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info.Data["kubeconfig"], "server: https://"+c.Endpoint) {
		t.Errorf("cluster-info does not point at the VIP:\n%s", info.Data["kubeconfig"])
	}
	admin, err := os.ReadFile(filepath.Join(cp.RootDir(), "etc/kubernetes/admin.conf"))
	if err != nil || !strings.Contains(string(admin), "server: https://"+c.Endpoint) {
		t.Errorf("admin.conf does not point at the VIP (%v)", err)
	}
	checkLeaseHolder(t, ctx, client, "vipper-cp-0")
	// The kubelet mirrors the static Pod, as it does the control plane's.
	err = nodetest.Eventually(ctx, 30*time.Second, "kube-vip's mirror Pod", func(ctx context.Context) (bool, error) {
		pod, err := client.CoreV1().Pods("kube-system").Get(ctx, "kube-vip-vipper-cp-0", metav1.GetOptions{})
		if err != nil {
			return false, ignoreNotFound(err)
		}
		return pod.Spec.Containers[0].Image == cloudinit.KubeVIPImage && pod.Spec.NodeName == "vipper-cp-0", nil
	})
	if err != nil {
		t.Error(err)
	}
}

// checkLeaseHolder checks that the Lease plndr-cp-lock names holder.
func checkLeaseHolder(t *testing.T, ctx context.Context, c kubernetes.Interface, holder string) {
	t.Helper()
	lease, err := c.CoordinationV1().Leases("kube-system").Get(ctx, "plndr-cp-lock", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if id := lease.Spec.HolderIdentity; id == nil || *id != holder {
		t.Errorf("Lease holder %v, want %s", id, holder)
	}
}
