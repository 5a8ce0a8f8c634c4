package app_test

import (
	"slices"
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// checkBootstrapDataPerNode checks, from what the watch saw of the VMs' guestinfo
// during the provision of spec (control planes, then workers), that each node's
// userdata was gone before the next one's join: no look saw a control plane's
// userdata together with a later control plane's or a worker's. The further control
// planes' userdata held a certificate key and no private key; after the provision the
// kubeadm-certs Secret and the stored certificate key are gone.
func checkBootstrapDataPerNode(t *testing.T, env *apptest.Env, watch *apptest.UserdataWatch, spec domain.ClusterSpec) {
	t.Helper()
	planned := domain.PlanNodes(spec)
	snaps, first, _ := watch.Seen()
	for _, n := range planned {
		if _, ok := first[n.Name]; !ok {
			t.Errorf("the watch never saw %s's userdata", n.Name)
		}
	}
	order := map[string]int{}
	for i, n := range planned {
		order[n.Name] = i
	}
	for _, snap := range snaps {
		var names []string
		for name := range snap {
			names = append(names, name)
		}
		slices.SortFunc(names, func(a, b string) int { return order[a] - order[b] })
		for i, name := range names {
			later := names[i+1:]
			if role(planned, name) == domain.RoleNameControlPlane && len(later) > 0 {
				t.Errorf("%s still carried its userdata while %v joined", name, later)
				break
			}
		}
	}
	t.Logf("%d looks at the guestinfo saw userdata", len(snaps))
	for _, n := range planned {
		ud, ok := first[n.Name]
		if !ok || n.Role != domain.RoleNameControlPlane || n.First() {
			continue
		}
		if keys := apptest.PrivateKeys(t, ud); len(keys) > 0 {
			t.Errorf("%s's userdata handed it private keys %v", n.Name, keys)
		}
		if key := joinCertificateKey(t, ud); len(key) != 2*pki.CertificateKeySize {
			t.Errorf("%s's join configuration has no certificate key", n.Name)
		}
	}
	c := apptest.GetCluster(t, env, spec.Name)
	apptest.CheckKubeadmCertsGone(t, env, spec.Name, c.ID)
}

// role is the role of the planned node name.
func role(planned []domain.PlannedNode, name string) string {
	i := slices.IndexFunc(planned, func(n domain.PlannedNode) bool { return n.Name == name })
	if i < 0 {
		return ""
	}
	return planned[i].Role
}

// joinCertificateKey returns the certificate key of the kubeadm join configuration in
// a userdata.
func joinCertificateKey(t *testing.T, userdata []byte) string {
	t.Helper()
	ud, err := cloudinit.ParseUserData(userdata)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := ud.File(cloudinit.KubeadmConfigPath)
	if !ok {
		t.Fatal("no kubeadm configuration in the userdata")
	}
	data, err := f.Data()
	if err != nil {
		t.Fatal(err)
	}
	kc, err := cloudinit.ParseKubeadm(data)
	if err != nil {
		t.Fatal(err)
	}
	if kc.Join == nil || kc.Join.ControlPlane == nil {
		return ""
	}
	return kc.Join.ControlPlane.CertificateKey
}
