package addons_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim/chartrepo"
)

// Secrets of the platform add-on tests; none may show in logs or errors.
const (
	testClusterID    = "c-7f3e9a1b-2c4d-4e5f-8a9b-0c1d2e3f4a5b"
	testKSPassword   = "Ks-Adm1n-S3cret!"
	testKSRegistry   = "registry.example.test:5000"
	wantAntreaChart  = "2.7.0"
	wantKSCoreChart  = "1.1.4"
	wantCSIChart     = "3.7.1"
	wantCPIChart     = "1.35.0"
	kubesphereSystem = "kubesphere-system"
)

// simSources are the simulator's charts in its HTTP repository, pinned.
func simSources(repoURL string) addons.Sources {
	return addons.Sources{
		Antrea:     addons.Source{RepoURL: repoURL, Chart: "antrea", Version: wantAntreaChart},
		CPI:        addons.Source{RepoURL: repoURL, Chart: "vsphere-cpi", Version: wantCPIChart},
		CSI:        addons.Source{RepoURL: repoURL, Chart: "vsphere-csi", Version: wantCSIChart},
		KubeSphere: addons.Source{RepoURL: repoURL, Chart: "ks-core", Version: wantKSCoreChart},
	}
}

// testAccess is ClusterAccess over one real cluster: its kubeconfig and a
// spec, vCenter and password as the inventory would hold them.
type testAccess struct {
	mu         sync.Mutex
	kubeconfig []byte
	spec       domain.ClusterSpec
	vc         addons.VCenterConn
	ksPassword string
}

func (a *testAccess) check(id string) error {
	if id != testClusterID {
		return domain.ErrNotFound
	}
	return nil
}

func (a *testAccess) AdminKubeconfig(_ context.Context, id string) ([]byte, error) {
	return a.kubeconfig, a.check(id)
}

func (a *testAccess) ClusterSpec(_ context.Context, id string) (domain.ClusterSpec, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.spec, a.check(id)
}

func (a *testAccess) VCenterConn(_ context.Context, id string) (addons.VCenterConn, error) {
	return a.vc, a.check(id)
}

func (a *testAccess) KubeSphereAdminPassword(_ context.Context, id string) (string, error) {
	return a.ksPassword, a.check(id)
}

// platformReleases are the four add-on releases of spec, built directly
// from the values functions.
func platformReleases(src addons.Sources, spec domain.ClusterSpec) []addons.Release {
	dc := spec.Placement.Datacenter
	return []addons.Release{
		{Name: "antrea", Namespace: "kube-system", Source: src.Antrea, Values: addons.AntreaValues(spec)},
		{Name: "vsphere-cpi", Namespace: "kube-system", Source: src.CPI, Values: addons.CPIValues(testVCenter, dc)},
		{Name: "vsphere-csi", Namespace: "vmware-system-csi", Source: src.CSI, CreateNamespace: true,
			Values: addons.CSIValues(testClusterID, testVCenter, dc, spec)},
		{Name: "ks-core", Namespace: kubesphereSystem, Source: src.KubeSphere, CreateNamespace: true,
			Values: addons.KubeSphereValues(spec, testKSPassword, testKSRegistry)},
	}
}

// TestPlatformAddons installs the four add-ons from the simulator's chart
// repository into a real API server, then exercises what Day-2 relies on:
// idempotent re-application (directly and through the activity), upgrades
// on a changed spec, a local-directory source, errors and uninstalling.
func TestPlatformAddons(t *testing.T) {
	t.Parallel()
	c := sharedCluster(t)
	repo, err := chartrepo.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	logger, logs := testLogger(t)
	inst := &addons.Installer{Sources: simSources(repo.URL()), CacheDir: t.TempDir(), Logger: logger}
	spec := testSpec(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	releases := platformReleases(inst.Sources, spec)

	t.Run("install", func(t *testing.T) {
		for _, rel := range releases {
			st, err := inst.Apply(ctx, c.kubeconfig, rel)
			if err != nil {
				t.Fatal(err)
			}
			want := addons.Status{Name: rel.Name, Namespace: rel.Namespace, Chart: rel.Source.Chart,
				ChartVersion: rel.Source.Version, Status: "deployed", Revision: 1, Changed: true}
			st.AppVersion = ""
			if st != want {
				t.Errorf("Apply(%s) = %+v, want %+v", rel.Name, st, want)
			}
		}
		c.checkAntrea(t)
		c.checkCPI(t)
		c.checkCSI(t, testClusterID)
		c.checkKubeSphere(t, testKSPassword)
	})

	t.Run("apply again is a no-op", func(t *testing.T) {
		// Concurrently, as workers apply add-ons of many clusters at once:
		// each call has its own Helm configuration.
		var wg sync.WaitGroup
		for _, rel := range releases {
			wg.Go(func() {
				st, err := inst.Apply(ctx, c.kubeconfig, rel)
				if err != nil {
					t.Error(err)
					return
				}
				if st.Revision != 1 || st.Changed || st.Status != "deployed" {
					t.Errorf("Apply(%s) again = %+v, want revision 1 unchanged", rel.Name, st)
				}
			})
		}
		wg.Wait()
	})

	access := &testAccess{kubeconfig: c.kubeconfig, spec: spec, vc: testVCenter, ksPassword: testKSPassword}
	acts := &addons.Activities{Installer: inst, Clusters: access, KubeSphereImageRegistry: testKSRegistry}

	t.Run("activity builds the same releases", func(t *testing.T) {
		for _, addon := range addons.Addons(spec) {
			st, err := acts.InstallAddon(ctx, addons.AddonRequest{ClusterID: testClusterID, Addon: addon})
			if err != nil {
				t.Fatal(err)
			}
			if st.Revision != 1 || st.Changed || st.Status != "deployed" {
				t.Errorf("InstallAddon(%s) = %+v, want revision 1 unchanged", addon, st)
			}
		}
	})

	t.Run("changed spec upgrades", func(t *testing.T) {
		access.mu.Lock()
		access.spec.Addons.Antrea = &domain.AntreaSpec{Multicluster: true, TrafficEncryption: "ipsec"}
		access.mu.Unlock()
		req := addons.AddonRequest{ClusterID: testClusterID, Addon: addons.AddonAntrea}
		st, err := acts.InstallAddon(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if st.Revision != 2 || !st.Changed || st.Status != "deployed" || st.ChartVersion != wantAntreaChart {
			t.Errorf("InstallAddon after a spec change = %+v, want revision 2", st)
		}
		if conf := c.antreaConf(t); conf.TrafficEncryptionMode != "ipsec" || !conf.FeatureGates["Multicluster"] {
			t.Errorf("antrea-agent.conf after upgrade = %+v", conf)
		}
		got, err := acts.AddonStatus(ctx, req)
		if err != nil || got.Revision != 2 || got.Status != "deployed" || got.Changed {
			t.Errorf("AddonStatus = %+v, %v", got, err)
		}
		// The same change again makes no third revision.
		if st, err := acts.InstallAddon(ctx, req); err != nil || st.Revision != 2 || st.Changed {
			t.Errorf("InstallAddon repeated = %+v, %v", st, err)
		}
	})

	t.Run("uninstall twice, reinstall from a local directory", func(t *testing.T) {
		for range 2 {
			if err := inst.Uninstall(ctx, c.kubeconfig, "ks-core", kubesphereSystem); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := inst.Status(ctx, c.kubeconfig, "ks-core", kubesphereSystem); !errors.Is(err, addons.ErrReleaseNotFound) {
			t.Errorf("Status after uninstall: %v, want ErrReleaseNotFound", err)
		}
		if !c.configMapGone(t, kubesphereSystem, "kubesphere-config") {
			t.Error("ConfigMap kubesphere-config outlives the uninstall")
		}
		dir := t.TempDir()
		if err := chartrepo.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		rel := releases[3]
		rel.Source = addons.Source{Dir: dir, Chart: "ks-core", Version: wantKSCoreChart}
		st, err := inst.Apply(ctx, c.kubeconfig, rel)
		if err != nil {
			t.Fatal(err)
		}
		if st.Revision != 1 || st.Status != "deployed" || st.ChartVersion != wantKSCoreChart || st.AppVersion != "v4.1.3" {
			t.Errorf("Apply from a directory = %+v", st)
		}
		c.checkKubeSphere(t, testKSPassword)
	})

	t.Run("errors are classified", func(t *testing.T) {
		missing := releases[0]
		missing.Name = "calico"
		missing.Source = addons.Source{RepoURL: repo.URL(), Chart: "calico", Version: "3.29.0"}
		_, err := inst.Apply(ctx, c.kubeconfig, missing)
		checkActivityError(t, err, addons.ErrChartNotFound, addons.ErrTypeChartNotFound, false)

		// Through the activity: a wrong chart version in the sources.
		broken := &addons.Installer{Sources: inst.Sources, CacheDir: inst.CacheDir, Logger: inst.Logger}
		broken.Sources.CPI.Version = "0.0.1"
		brokenActs := &addons.Activities{Installer: broken, Clusters: access}
		_, err = brokenActs.InstallAddon(ctx, addons.AddonRequest{ClusterID: testClusterID, Addon: addons.AddonCPI})
		checkActivityError(t, err, addons.ErrChartNotFound, addons.ErrTypeChartNotFound, false)

		// KubeSphere without a configured source.
		broken.Sources.KubeSphere = addons.DefaultSources().KubeSphere
		_, err = brokenActs.InstallAddon(ctx, addons.AddonRequest{ClusterID: testClusterID, Addon: addons.AddonKubeSphere})
		checkActivityError(t, err, addons.ErrSourceNotConfigured, addons.ErrTypeSourceNotConfigured, false)
		if err != nil && !strings.Contains(err.Error(), "kubesphere chart source must be configured (KubeSphere downloads are suspended; mirror ks-core)") {
			t.Errorf("error %q does not say how to fix it", err)
		}

		_, err = acts.InstallAddon(ctx, addons.AddonRequest{ClusterID: "no-such-cluster", Addon: addons.AddonAntrea})
		checkActivityError(t, err, domain.ErrNotFound, addons.ErrTypeNotFound, false)
		_, err = acts.InstallAddon(ctx, addons.AddonRequest{ClusterID: testClusterID, Addon: "calico"})
		checkActivityError(t, err, addons.ErrUnknownAddon, addons.ErrTypeUnknownAddon, false)

		// An API server that does not answer is worth retrying.
		down := strings.ReplaceAll(string(c.kubeconfig), planeIP+":6443", planeIP+":1")
		_, err = inst.Apply(ctx, []byte(down), releases[0])
		checkActivityError(t, err, addons.ErrUnreachable, addons.ErrTypeUnreachable, true)
		_, err = inst.Apply(ctx, []byte("not: [a kubeconfig"), releases[0])
		checkActivityError(t, err, addons.ErrInvalidKubeconfig, addons.ErrTypeInvalidKubeconfig, false)
	})

	if l := logs.String(); strings.Contains(l, testVCenter.Password) || strings.Contains(l, testKSPassword) {
		t.Error("the installer log shows a password")
	}
}

// checkActivityError checks an error's class, and the type and
// retryability of the Temporal error ActivityError makes of it, and that it
// shows no secret.
func checkActivityError(t *testing.T, err, class error, typ string, retryable bool) {
	t.Helper()
	if !errors.Is(err, class) {
		t.Errorf("error %v, want class %v", err, class)
		return
	}
	var appErr *temporal.ApplicationError
	if !errors.As(addons.ActivityError(err), &appErr) {
		t.Errorf("ActivityError(%v) is no application error", err)
		return
	}
	if appErr.Type() != typ || appErr.NonRetryable() == retryable {
		t.Errorf("error type %q non-retryable %v, want %q non-retryable %v (%v)", appErr.Type(), appErr.NonRetryable(), typ, !retryable, err)
	}
	noSecrets(t, err)
}

// noSecrets checks that no message along err's chain shows a test secret.
func noSecrets(t *testing.T, err error) {
	t.Helper()
	var walk func(e error)
	walk = func(e error) {
		if e == nil {
			return
		}
		for _, s := range []string{testVCenter.Password, testKSPassword, waitPassword} {
			if strings.Contains(e.Error(), s) {
				t.Errorf("error %q shows a secret", e)
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, ee := range u.Unwrap() {
				walk(ee)
			}
		}
	}
	walk(err)
}
