package nodes_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// The Day-2 test cluster: a first control plane, a second that joins it
// (two etcd members) and a worker, at upFrom, upgraded to upTo.
var (
	upTo   = domain.KubernetesVersions().Default
	upFrom = domain.PreviousVersion(upTo)
)

const (
	upCP0IP = "127.20.78.10"
	upCP1IP = "127.20.78.11"
	upWIP   = "127.20.78.12"
)

// sourcesList is the install guide's apt source of the pkgs.k8s.io
// repository of version's minor release, as a node template has it.
func sourcesList(version string) string {
	minor := version[:strings.LastIndex(version, ".")]
	return "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/" + minor + "/deb/ /\n"
}

// TestDay2Nodes boots a cluster of two control planes and a worker at the
// previous version and runs the node activities of a rolling upgrade and of
// a control plane's replacement against them: UpgradeNode of the first
// control plane (kubeadm upgrade apply), the second and the worker, the last
// crashed at every command in turn and rerun until it is done, then each again
// with nothing to do; versions that cannot be installed and downgrades
// refused; EtcdMembers and RemoveEtcdMember, which refuses the node's own
// member.
func TestDay2Nodes(t *testing.T) {
	for _, v := range []string{upFrom, upTo} {
		if _, err := kubeproc.Binaries(v); err != nil {
			t.Fatal(err)
		}
		if _, err := kubeproc.FindEtcdTools(v); err != nil {
			t.Fatal(err)
		}
	}
	ctx := t.Context()
	store := inventorytest.NewStore(t)
	vin := domain.VCenterInput{Name: "vc1", Server: "vc", Username: "u", Password: "p"}
	_ = vin.Validate()
	if _, err := store.CreateVCenter(ctx, vin); err != nil {
		t.Fatal(err)
	}
	sim, err := nodetest.NewCluster("nodeup", upFrom, upCP0IP)
	if err != nil {
		t.Fatal(err)
	}
	privPEM, authorized, err := pki.NewSSHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	cluster := newCluster(t, store, "nodeup", privPEM)
	cp0Spec := sim.InitNode("nodeup-cp-0", upCP0IP)
	cp1Spec := sim.ControlPlaneNode("nodeup-cp-1", upCP1IP)
	wSpec := sim.WorkerNode("nodeup-w-0", upWIP)
	cp0Spec.SSHAuthorizedKey, cp1Spec.SSHAuthorizedKey, wSpec.SSHAuthorizedKey = authorized, authorized, authorized
	// The worker's commands fail when the countdown reaches 0 (armed by the crash test).
	var countdown atomic.Int64
	began := time.Now()
	cp0Node := bootNode(t, cp0Spec, nil)
	cp1Node := bootNode(t, cp1Spec, nil)
	wNode := bootNode(t, wSpec, func() bool { return countdown.Add(-1) == 0 })
	client, err := sim.AdminClient(sim.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodetest.WaitReady(ctx, client, 4*time.Minute, upFrom, "nodeup-cp-0", "nodeup-cp-1", "nodeup-w-0"); err != nil {
		t.Fatalf("%v; nodes %+v, %+v, %+v", err, cp0Node.Status(), cp1Node.Status(), wNode.Status())
	}
	t.Logf("3 nodes at %s Ready %s after power-on", upFrom, time.Since(began).Round(time.Millisecond))

	logs := &syncBuffer{}
	acts := &nodes.Activities{
		Keys:     &bootstrap.Source{Store: store},
		HostKeys: store,
		Dialer:   nodes.Dialer{Port: sshPort},
		Logger:   slog.New(slog.NewTextHandler(io.MultiWriter(logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	cp0 := nodes.NodeRef{ClusterID: cluster.ID, Node: "nodeup-cp-0", Address: upCP0IP}
	cp1 := nodes.NodeRef{ClusterID: cluster.ID, Node: "nodeup-cp-1", Address: upCP1IP}
	w := nodes.NodeRef{ClusterID: cluster.ID, Node: "nodeup-w-0", Address: upWIP}
	simNodes := map[string]*node.Node{cp0.Node: cp0Node, cp1.Node: cp1Node, w.Node: wNode}
	// run runs a command line on a node, for the test's looks and crash states.
	run := func(t *testing.T, ref nodes.NodeRef, line, stdin string) string {
		t.Helper()
		s, err := nodes.OpenSession(ctx, acts, ref)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		out, err := s.Run(ctx, nodes.Command{Line: line, Stdin: strings.NewReader(stdin)})
		if err != nil {
			t.Fatal(err)
		}
		return string(out.Stdout)
	}
	for _, ref := range []nodes.NodeRef{cp0, cp1, w} {
		// The node template's, as the install guide leaves a node.
		run(t, ref, "sudo mkdir -p /etc/apt/sources.list.d && sudo tee "+nodes.KubernetesSourcesList, sourcesList(upFrom))
		run(t, ref, "sudo apt-mark hold kubeadm kubelet kubectl", "")
	}
	// installed checks a node's packages: all three at version, held.
	installed := func(t *testing.T, ref nodes.NodeRef, version string) {
		t.Helper()
		deb := strings.TrimPrefix(version, "v") + "-1.1"
		want := "kubeadm\t" + deb + "\nkubelet\t" + deb + "\nkubectl\t" + deb + "\n"
		if got := run(t, ref, "dpkg-query -W kubeadm kubelet kubectl", ""); got != want {
			t.Errorf("%s: packages %q, want %q", ref.Node, got, want)
		}
		if held := strings.Fields(run(t, ref, "apt-mark showhold", "")); len(held) != 3 {
			t.Errorf("%s: held packages %v, want kubeadm, kubelet, kubectl", ref.Node, held)
		}
		b, err := os.ReadFile(filepath.Join(simNodes[ref.Node].RootDir(), nodes.KubernetesSourcesList))
		if err != nil || string(b) != sourcesList(version) {
			t.Errorf("%s: apt source %q, %v; want %q", ref.Node, b, err, sourcesList(version))
		}
	}

	var members []nodes.EtcdMember
	t.Run("EtcdMembers", func(t *testing.T) {
		// The joined member is promoted from learner once it has caught up.
		err := nodetest.Eventually(ctx, time.Minute, "two voting etcd members", func(t0 context.Context) (bool, error) {
			var err error
			members, err = acts.EtcdMembers(ctx, cp0)
			return err == nil && len(members) == 2 && !members[0].Learner && !members[1].Learner, err
		})
		if err != nil {
			t.Fatalf("%v: %+v", err, members)
		}
		for _, ip := range []string{upCP0IP, upCP1IP} {
			i := slices.IndexFunc(members, func(m nodes.EtcdMember) bool { return slices.Equal(m.PeerURLs, []string{"https://" + ip + ":2380"}) })
			if i < 0 || members[i].ID == "" || !slices.Equal(members[i].ClientURLs, []string{"https://" + ip + ":2379"}) {
				t.Errorf("member at %s: %+v", ip, members)
			}
		}
		names := []string{members[0].Name, members[1].Name}
		slices.Sort(names)
		if !slices.Equal(names, []string{cp0.Node, cp1.Node}) {
			t.Errorf("member names %v", names)
		}
		other, err := acts.EtcdMembers(ctx, cp1)
		if err != nil || len(other) != 2 || !slices.ContainsFunc(other, func(m nodes.EtcdMember) bool { return m.ID == members[0].ID }) {
			t.Errorf("members as the second control plane sees them: %+v, %v", other, err)
		}
		if _, err := acts.EtcdMembers(ctx, w); err == nil {
			t.Error("etcd members listed on a worker")
		}
	})

	t.Run("Refused", func(t *testing.T) {
		// No repository of that minor release: the apt source is put back.
		_, err := acts.UpgradeNode(ctx, nodes.UpgradeNodeInput{Node: w, Version: "v1.99.0"})
		appError(t, err, nodes.ErrTypeVersionUnavailable, true)
		if !strings.Contains(err.Error(), "403  Forbidden") {
			t.Errorf("error does not quote apt: %v", err)
		}
		// A patch release that does not exist: kubeadm is held again.
		patch := upFrom[:strings.LastIndex(upFrom, ".")] + ".99"
		_, err = acts.UpgradeNode(ctx, nodes.UpgradeNodeInput{Node: w, Version: patch})
		appError(t, err, nodes.ErrTypeVersionUnavailable, true)
		if !strings.Contains(err.Error(), "E: Version '"+strings.TrimPrefix(patch, "v")+"-*' for 'kubeadm' was not found") {
			t.Errorf("error does not quote apt: %v", err)
		}
		_, err = acts.UpgradeNode(ctx, nodes.UpgradeNodeInput{Node: cp0, Version: "v1.0.0", Apply: true, ControlPlane: true})
		appError(t, err, nodes.ErrTypeUpgradeRefused, true)
		_, err = acts.UpgradeNode(ctx, nodes.UpgradeNodeInput{Node: w, Version: upTo, Apply: true})
		appError(t, err, nodes.ErrTypeInvalidInput, true)
		installed(t, w, upFrom)
	})

	t.Run("Upgrade", func(t *testing.T) {
		began := time.Now()
		res, err := acts.UpgradeNode(ctx, nodes.UpgradeNodeInput{Node: cp0, Version: upTo, Apply: true, ControlPlane: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("UpgradeNode of the first control plane (kubeadm upgrade apply) took %s", time.Since(began).Round(time.Millisecond))
		if !res.Changed || res.KubeletVersion != upTo {
			t.Errorf("first control plane: %+v", res)
		}
		v, err := client.Discovery().ServerVersion()
		if err != nil || v.GitVersion != upTo {
			t.Fatalf("GET /version after the upgrade: %+v, %v", v, err)
		}
		runsBinaries(t, cp0Node, upTo)
		installed(t, cp0, upTo)

		began = time.Now()
		if res, err = acts.UpgradeNode(ctx, nodes.UpgradeNodeInput{Node: cp1, Version: upTo, ControlPlane: true}); err != nil {
			t.Fatal(err)
		}
		t.Logf("UpgradeNode of the second control plane (kubeadm upgrade node) took %s", time.Since(began).Round(time.Millisecond))
		if !res.Changed || res.KubeletVersion != upTo {
			t.Errorf("second control plane: %+v", res)
		}
		runsBinaries(t, cp1Node, upTo)
		installed(t, cp1, upTo)

		// The worker: every attempt crashes at its next command, until one gets through.
		began = time.Now()
		attempts := 0
		for at := int64(1); ; at++ {
			attempts++
			if attempts > 60 {
				t.Fatal("the worker's upgrade does not get through")
			}
			countdown.Store(at)
			res, err = acts.UpgradeNode(ctx, nodes.UpgradeNodeInput{Node: w, Version: upTo})
			if err == nil {
				break
			}
			appError(t, err, nodes.ErrTypeCommandFailed, false)
		}
		countdown.Store(0)
		t.Logf("UpgradeNode of the worker got through at attempt %d, each crashed one command later (%s)", attempts, time.Since(began).Round(time.Millisecond))
		if res.KubeletVersion != upTo || attempts < 10 {
			t.Errorf("worker: %+v after %d attempts", res, attempts)
		}
		installed(t, w, upTo)
		if err := nodetest.WaitReady(ctx, client, 2*time.Minute, upTo, cp0.Node, cp1.Node, w.Node); err != nil {
			t.Fatal(err)
		}
		if entries, err := os.ReadDir(filepath.Join(wNode.RootDir(), nodes.UpgradeStateDir)); err != nil || len(entries) != 0 {
			t.Errorf("marks left on the worker: %v, %v", entries, err)
		}
	})

	t.Run("Again", func(t *testing.T) {
		pids := running(cp0Node)
		for _, in := range []nodes.UpgradeNodeInput{
			{Node: cp0, Version: upTo, Apply: true, ControlPlane: true}, {Node: cp1, Version: upTo, ControlPlane: true}, {Node: w, Version: upTo},
		} {
			began := time.Now()
			res, err := acts.UpgradeNode(ctx, in)
			if err != nil || res.Changed || res.KubeletVersion != upTo {
				t.Errorf("%s again: %+v, %v", in.Node.Node, res, err)
			}
			t.Logf("UpgradeNode of %s again took %s", in.Node.Node, time.Since(began).Round(time.Millisecond))
		}
		if got := running(cp0Node); !maps.Equal(got, pids) {
			t.Errorf("the control plane was restarted: pids %v, were %v", got, pids)
		}
		// A hold lost (a crash between unhold and install) is all that is done.
		run(t, w, "sudo apt-mark unhold kubelet", "")
		res, err := acts.UpgradeNode(ctx, nodes.UpgradeNodeInput{Node: w, Version: upTo})
		if err != nil || !res.Changed {
			t.Errorf("hold again: %+v, %v", res, err)
		}
		installed(t, w, upTo)
		if strings.Contains(logs.String(), "PRIVATE KEY") {
			t.Error("the log shows a private key")
		}
	})

	t.Run("RemoveEtcdMember", func(t *testing.T) {
		self := slices.IndexFunc(members, func(m nodes.EtcdMember) bool { return m.Name == cp0.Node })
		for _, member := range []string{cp0.Node, members[self].ID} {
			err := acts.RemoveEtcdMember(ctx, nodes.RemoveEtcdMemberInput{Node: cp0, Member: member})
			appError(t, err, nodes.ErrTypeEtcdMemberRefused, true)
		}
		if err := acts.RemoveEtcdMember(ctx, nodes.RemoveEtcdMemberInput{Node: cp0, Member: "nodeup-cp-9"}); err != nil {
			t.Errorf("an absent member: %v", err)
		}
		if err := acts.RemoveEtcdMember(ctx, nodes.RemoveEtcdMemberInput{Node: cp0, Member: cp1.Node}); err != nil {
			t.Fatal(err)
		}
		left, err := acts.EtcdMembers(ctx, cp0)
		if err != nil || len(left) != 1 || left[0].Name != cp0.Node || left[0].ID != members[self].ID {
			t.Fatalf("members after the removal: %+v, %v", left, err)
		}
		cp1Node.PowerOff() // its member is gone: it goes too
		if err := acts.RemoveEtcdMember(ctx, nodes.RemoveEtcdMemberInput{Node: cp0, Member: cp1.Node}); err != nil {
			t.Errorf("removed again: %v", err)
		}
		err = nodetest.Eventually(ctx, time.Minute, "the API server on the remaining member", func(t0 context.Context) (bool, error) {
			_, err := client.CoreV1().Nodes().Get(t0, cp0.Node, metav1.GetOptions{})
			return err == nil, err
		})
		if err != nil {
			t.Error(err)
		}
	})
}

// runsBinaries checks that the four control-plane processes of n run the
// binaries of version from the kubebin cache.
func runsBinaries(t *testing.T, n *node.Node, version string) {
	t.Helper()
	cache, err := kubeproc.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	want, err := filepath.EvalSymlinks(filepath.Join(cache, version))
	if err != nil {
		t.Fatal(err)
	}
	pids := running(n)
	if len(pids) != 4 {
		t.Errorf("%s: %d control-plane processes running: %v", n.Hostname(), len(pids), pids)
	}
	for name, pid := range pids {
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil || filepath.Dir(exe) != want {
			t.Errorf("%s: %s runs %s (%v), want a binary of %s", n.Hostname(), name, exe, err, want)
		}
	}
}

// running maps the running control-plane components of n to their PIDs.
func running(n *node.Node) map[string]int {
	out := map[string]int{}
	if cp := n.ControlPlane(); cp != nil {
		for _, c := range cp.Running() {
			out[c.Name] = c.PID
		}
	}
	return out
}
