package chartrepo_test

import (
	"context"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim/kubeproc/kubeproctest"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/release"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/clusterwright/clusterwright/sim/chartrepo"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// Control plane of the install test; 127.21.0.0/24 is this package's.
const planeIP = "127.21.0.10"

// kubeVersion is the control plane's Kubernetes version: the default.
var kubeVersion = domain.KubernetesVersions().Default

// cluster is a running control plane with the clients the test needs.
type cluster struct {
	kubeconfig string // admin kubeconfig file, for Helm
	kube       kubernetes.Interface
	dyn        dynamic.Interface
	ext        apiextensions.Interface
	settings   *cli.EnvSettings
}

// startCluster starts a control plane for the test; missing binaries fail it
// with kubeproc's message on how to build them.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	settings := helmSettings(t)
	dir := t.TempDir()
	cfg := kubeproc.ControlPlaneConfig{
		Version: kubeVersion,
		IP:      planeIP,
		Dir:     dir,
		PKI:     mustPKI(t, filepath.Join(dir, "cluster-pki")),
		PodCIDR: "10.244.0.0/16",
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cp, err := kubeproc.StartWithLogger(ctx, cfg, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Errorf("stop control plane: %v", err)
		}
	})

	c := &cluster{kubeconfig: filepath.Join(t.TempDir(), "admin.conf"), settings: settings}
	if err := os.WriteFile(c.kubeconfig, cp.AdminKubeconfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	admin := cp.Admin()
	rc := &rest.Config{
		Host:            admin.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: admin.CAData, CertData: admin.CertData, KeyData: admin.KeyData},
		QPS:             50,
		Burst:           100,
	}
	if c.kube, err = kubernetes.NewForConfig(rc); err != nil {
		t.Fatal(err)
	}
	if c.dyn, err = dynamic.NewForConfig(rc); err != nil {
		t.Fatal(err)
	}
	if c.ext, err = apiextensions.NewForConfig(rc); err != nil {
		t.Fatal(err)
	}
	return c
}

// helm is an action configuration for releases in namespace, built the way
// a Helm client builds it: from a kubeconfig file through cli.EnvSettings.
func (c *cluster) helm(t *testing.T, namespace string) *action.Configuration {
	t.Helper()
	settings := cli.New() // its Kubernetes flags point into it: no copies
	settings.KubeConfig = c.kubeconfig
	settings.SetNamespace(namespace)
	cfg := new(action.Configuration)
	if err := cfg.Init(settings.RESTClientGetter(), namespace, "secret", t.Logf); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// install installs ch as release name into namespace, without waiting for
// readiness: no kubelet runs the Pods here.
func (c *cluster) install(t *testing.T, ch *chart.Chart, namespace string, createNamespace bool, vals map[string]any) *release.Release {
	t.Helper()
	install := action.NewInstall(c.helm(t, namespace))
	install.ReleaseName = ch.Name()
	install.Namespace = namespace
	install.CreateNamespace = createNamespace
	install.Timeout = time.Minute
	rel, err := install.RunWithContext(t.Context(), ch, vals)
	if err != nil {
		t.Fatalf("install %s into %s: %v", ch.Name(), namespace, err)
	}
	if rel.Info.Status != release.StatusDeployed {
		t.Fatalf("release %s is %s", rel.Name, rel.Info.Status)
	}
	return rel
}

// TestInstall installs every chart from the HTTP repository into a real API
// server with the Helm SDK, checks the objects the add-on code relies on,
// then upgrades and uninstalls one release.
func TestInstall(t *testing.T) {
	c := startCluster(t)
	r, err := chartrepo.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	fetch := func(name string) *chart.Chart {
		return locateChart(t, c.settings, r.URL(), name, wantCharts[name].version)
	}

	antrea := fetch("antrea")
	c.install(t, antrea, "kube-system", false, fullValues["antrea"])
	c.checkAntrea(t)

	c.install(t, fetch("vsphere-cpi"), "kube-system", false, fullValues["vsphere-cpi"])
	c.checkCPI(t)

	c.install(t, fetch("vsphere-csi"), "vmware-system-csi", true, fullValues["vsphere-csi"])
	c.checkCSI(t)

	rel := c.install(t, fetch("ks-core"), "kubesphere-system", true, fullValues["ks-core"])
	if strings.Contains(rel.Info.Notes, "Adm1n-S3cret") {
		t.Errorf("ks-core NOTES show the admin password:\n%s", rel.Info.Notes)
	}
	c.checkKubeSphere(t)

	c.upgradeAndUninstallAntrea(t, antrea)
}

// mustPKI writes a throwaway cluster PKI into dir.
func mustPKI(t *testing.T, dir string) kubeproc.PKI {
	t.Helper()
	p, err := kubeproctest.WritePKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
