package addons_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/sim/chartrepo"
)

// TestCPIFollowsKubernetesMinor installs the CPI add-on through the
// activity, with its source following the Kubernetes minor, for a cluster
// at v1.36.5, then, its spec upgraded to v1.37.2, installs it again, as a
// rolling Kubernetes upgrade does after the control plane: the release is
// upgraded to chart 1.37.0, and installing once more changes nothing.
//
// It is not parallel: it owns kube-system's vsphere-cpi release, which
// TestPlatformAddons installs too, and removes it when done, before the
// parallel tests run.
func TestCPIFollowsKubernetesMinor(t *testing.T) {
	c := sharedCluster(t)
	repo, err := chartrepo.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	logger, logs := testLogger(t)
	sources := simSources(repo.URL())
	sources.CPI = addons.Source{RepoURL: repo.URL(), Chart: "vsphere-cpi", FollowKubernetesMinor: true}
	inst := &addons.Installer{Sources: sources, CacheDir: t.TempDir(), Logger: logger}
	uninstall := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := inst.Uninstall(ctx, c.kubeconfig, "vsphere-cpi", "kube-system"); err != nil {
			t.Fatal(err)
		}
	}
	uninstall()
	t.Cleanup(uninstall)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	spec := testSpec(t)
	spec.KubernetesVersion = "v1.36.5"
	access := &testAccess{kubeconfig: c.kubeconfig, spec: spec, vc: testVCenter, ksPassword: testKSPassword}
	acts := &addons.Activities{Installer: inst, Clusters: access}
	req := addons.AddonRequest{ClusterID: testClusterID, Addon: addons.AddonCPI}

	install := func(k8s string, want addons.Status) {
		t.Helper()
		access.mu.Lock()
		access.spec.KubernetesVersion = k8s
		access.mu.Unlock()
		st, err := acts.InstallAddon(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if st != want {
			t.Errorf("InstallAddon(CPI) of a %s cluster = %+v, want %+v", k8s, st, want)
		}
		if got, err := acts.AddonStatus(ctx, req); err != nil || got.ChartVersion != want.ChartVersion || got.Revision != want.Revision {
			t.Errorf("AddonStatus = %+v, %v; want chart %s revision %d", got, err, want.ChartVersion, want.Revision)
		}
		ds, err := c.kube.AppsV1().DaemonSets("kube-system").Get(ctx, "vsphere-cloud-controller-manager", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		image := "registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:" + want.AppVersion
		if got := ds.Spec.Template.Spec.Containers[0].Image; got != image {
			t.Errorf("cloud controller manager image %s, want %s", got, image)
		}
		c.checkCPI(t)
	}
	want := addons.Status{Name: "vsphere-cpi", Namespace: "kube-system", Chart: "vsphere-cpi",
		ChartVersion: "1.36.0", AppVersion: "v1.36.0", Status: "deployed", Revision: 1, Changed: true}
	install("v1.36.5", want)

	// The control plane upgraded: the chart of its minor, a real upgrade.
	want.ChartVersion, want.AppVersion, want.Revision = "1.37.0", "v1.37.0", 2
	install("v1.37.2", want)

	// The same version again: recognised as up to date, no new revision.
	want.Changed = false
	install("v1.37.2", want)

	if l := logs.String(); strings.Contains(l, testVCenter.Password) {
		t.Error("the installer log shows the vCenter password")
	}
}
