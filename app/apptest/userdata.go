package apptest

import (
	"context"
	"encoding/pem"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/pki"
)

// UserdataWatch watches every VM's guestinfo in the simulated vCenter, a few times a
// second, to see when each node's bootstrap data comes and goes.
type UserdataWatch struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu sync.Mutex
	// Snapshots are the names of the VMs that carried userdata, one set per look that
	// found any.
	Snapshots []map[string]bool
	// First is each VM's userdata as first seen, decoded.
	First map[string][]byte
	// Last are the VMs that carried userdata at the last look.
	Last map[string]bool
	errs int
}

// WatchUserdata starts watching; Stop ends it.
func WatchUserdata(t testing.TB, env *Env) *UserdataWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	u := env.VCenter.URL()
	u.User = URLUser(env)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	w := &UserdataWatch{cancel: cancel, done: make(chan struct{}), First: map[string][]byte{}}
	go func() {
		defer close(w.done)
		defer c.Logout(context.WithoutCancel(ctx)) //nolint:errcheck // best effort at the end of a test
		m := view.NewManager(c.Client)
		for ctx.Err() == nil {
			w.look(ctx, m, c)
			select {
			case <-ctx.Done():
			case <-time.After(150 * time.Millisecond):
			}
		}
	}()
	return w
}

// look takes one snapshot.
func (w *UserdataWatch) look(ctx context.Context, m *view.Manager, c *govmomi.Client) {
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		w.failed()
		return
	}
	defer v.Destroy(context.WithoutCancel(ctx)) //nolint:errcheck // best effort
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "config.extraConfig"}, &vms); err != nil {
		w.failed()
		return
	}
	snap := map[string]bool{}
	first := map[string][]byte{}
	for _, vm := range vms {
		if vm.Config == nil {
			continue
		}
		extra := map[string]string{}
		for _, o := range vm.Config.ExtraConfig {
			if s, ok := o.GetOptionValue().Value.(string); ok {
				extra[o.GetOptionValue().Key] = s
			}
		}
		if extra[cloudinit.GuestInfoUserdata] == "" {
			continue
		}
		snap[vm.Name] = true
		if _, ud, err := cloudinit.DecodeGuestInfo(extra); err == nil {
			first[vm.Name] = ud
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(snap) > 0 {
		w.Snapshots = append(w.Snapshots, snap)
	}
	w.Last = snap
	for name, ud := range first {
		if _, ok := w.First[name]; !ok {
			w.First[name] = ud
		}
	}
}

func (w *UserdataWatch) failed() {
	w.mu.Lock()
	w.errs++
	w.mu.Unlock()
}

// Stop ends the watch and waits for it.
func (w *UserdataWatch) Stop() {
	w.cancel()
	<-w.done
}

// PrivateKeys lists the private keys a cloud-init userdata hands its node: the paths
// of write_files entries holding a PEM "PRIVATE KEY" block, and "userdata" when such a
// block is anywhere else in it.
func PrivateKeys(t testing.TB, userdata []byte) []string {
	t.Helper()
	ud, err := cloudinit.ParseUserData(userdata)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range ud.WriteFiles {
		data, err := f.Data()
		if err != nil {
			t.Fatal(err)
		}
		for rest := data; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			if strings.Contains(b.Type, "PRIVATE KEY") {
				out = append(out, f.Path)
				break
			}
		}
	}
	if len(out) == 0 && strings.Contains(string(userdata), "PRIVATE KEY") {
		out = append(out, "userdata")
	}
	return out
}

// Seen returns what the watch saw so far: the snapshots, each VM's first userdata and
// the VMs with userdata at the last look.
func (w *UserdataWatch) Seen() (snaps []map[string]bool, first map[string][]byte, last map[string]bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.Snapshots), maps.Clone(w.First), maps.Clone(w.Last)
}

// CheckKubeadmCertsGone checks that the cluster name has no kubeadm-certs Secret and
// the inventory no certificate key for it: both go once the control plane they were
// made for has joined.
func CheckKubeadmCertsGone(t testing.TB, env *Env, name, clusterID string) {
	t.Helper()
	cs := KubeClient(t, env, name)
	_, err := cs.CoreV1().Secrets(metav1.NamespaceSystem).Get(context.Background(), pki.KubeadmCertsSecret, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("Secret kube-system/%s after the joins: %v, want NotFound", pki.KubeadmCertsSecret, err)
	}
	names, err := env.App.Store.ClusterSecretNames(context.Background(), clusterID)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(names, bootstrap.SecretCertificateKey) {
		t.Error("the inventory still keeps a certificate key")
	}
}
