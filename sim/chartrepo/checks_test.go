package chartrepo_test

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resources reached through the dynamic client, as the service does.
var (
	clusterSets          = schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha2", Resource: "clustersets"}
	gateways             = schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha1", Resource: "gateways"}
	volumeSnapshotClass  = schema.GroupVersionResource{Group: "snapshot.storage.k8s.io", Version: "v1", Resource: "volumesnapshotclasses"}
	kubesphereClusters   = schema.GroupVersionResource{Group: "cluster.kubesphere.io", Version: "v1alpha1", Resource: "clusters"}
	antreaMulticlusterNS = "antrea-multicluster"
)

func (c *cluster) checkAntrea(t *testing.T) {
	t.Helper()
	c.deployment(t, "kube-system", "antrea-controller")
	if _, err := c.kube.AppsV1().DaemonSets("kube-system").Get(t.Context(), "antrea-agent", metav1.GetOptions{}); err != nil {
		t.Errorf("DaemonSet antrea-agent: %v", err)
	}
	var agent struct {
		FeatureGates          map[string]bool `json:"featureGates"`
		TrafficEncryptionMode string          `json:"trafficEncryptionMode"`
		WireGuard             struct {
			Port int `json:"port"`
		} `json:"wireGuard"`
		Multicluster struct {
			EnableGateway              bool `json:"enableGateway"`
			EnablePodToPodConnectivity bool `json:"enablePodToPodConnectivity"`
		} `json:"multicluster"`
	}
	decodeYAML(t, c.configMap(t, "kube-system", "antrea-config")["antrea-agent.conf"], &agent)
	if !agent.FeatureGates["Multicluster"] || agent.TrafficEncryptionMode != "wireGuard" || agent.WireGuard.Port != 51821 ||
		!agent.Multicluster.EnableGateway || !agent.Multicluster.EnablePodToPodConnectivity {
		t.Errorf("antrea-agent.conf = %+v", agent)
	}

	for _, crd := range []string{
		"clustersets.multicluster.crd.antrea.io", "memberclusterannounces.multicluster.crd.antrea.io",
		"resourceexports.multicluster.crd.antrea.io", "resourceimports.multicluster.crd.antrea.io",
		"gateways.multicluster.crd.antrea.io", "clusterinfoimports.multicluster.crd.antrea.io",
		"labelidentities.multicluster.crd.antrea.io",
		"serviceexports.multicluster.x-k8s.io", "serviceimports.multicluster.x-k8s.io",
	} {
		c.established(t, crd)
	}
	if v := c.established(t, "clustersets.multicluster.crd.antrea.io"); !v["v1alpha2"] {
		t.Errorf("ClusterSet versions served: %v, want v1alpha2", v)
	}

	// The leader controller and what members are bound to.
	c.deployment(t, antreaMulticlusterNS, "antrea-mc-controller")
	if mc := c.configMap(t, antreaMulticlusterNS, "antrea-mc-controller-config")["controller_manager_config.yaml"]; !strings.Contains(mc, "10.244.0.0/16") {
		t.Errorf("controller_manager_config.yaml lacks the pod CIDR:\n%s", mc)
	}
	if _, err := c.kube.RbacV1().Roles(antreaMulticlusterNS).Get(t.Context(), "antrea-mc-member-cluster-role", metav1.GetOptions{}); err != nil {
		t.Errorf("Role antrea-mc-member-cluster-role: %v", err)
	}
	c.checkClusterSet(t)
}

// checkClusterSet creates a leader ClusterSet and sets its status through
// the dynamic client, and sees the schema reject two leaders.
func (c *cluster) checkClusterSet(t *testing.T) {
	t.Helper()
	sets := c.dyn.Resource(clusterSets).Namespace(antreaMulticlusterNS)
	set := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "multicluster.crd.antrea.io/v1alpha2",
		"kind":       "ClusterSet",
		"metadata":   map[string]any{"name": "cs-test"},
		"spec": map[string]any{
			"clusterID": "leader-1",
			"leaders":   []any{map[string]any{"clusterID": "leader-1"}},
		},
	}}
	created, err := sets.Create(t.Context(), set, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create ClusterSet: %v", err)
	}
	created.Object["status"] = map[string]any{
		"totalClusters": int64(1), "readyClusters": int64(1),
		"conditions": []any{map[string]any{"type": "Ready", "status": "True", "lastTransitionTime": "2026-08-07T10:00:00Z"}},
	}
	if _, err := sets.UpdateStatus(t.Context(), created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update ClusterSet status: %v", err)
	}
	got, err := sets.Get(t.Context(), "cs-test", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ready, _, _ := unstructured.NestedInt64(got.Object, "status", "readyClusters"); ready != 1 {
		t.Errorf("ClusterSet status.readyClusters = %d, want 1", ready)
	}

	bad := set.DeepCopy()
	bad.SetName("cs-two-leaders")
	_ = unstructured.SetNestedSlice(bad.Object, []any{
		map[string]any{"clusterID": "a"}, map[string]any{"clusterID": "b"},
	}, "spec", "leaders")
	if _, err := sets.Create(t.Context(), bad, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("ClusterSet with two leaders: error %v, want Invalid", err)
	}

	gw := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "multicluster.crd.antrea.io/v1alpha1",
		"kind":       "Gateway",
		"metadata":   map[string]any{"name": "node-1"},
		"gatewayIP":  "10.10.0.1",
		"internalIP": "192.168.0.1",
	}}
	if got, err := c.dyn.Resource(gateways).Namespace(antreaMulticlusterNS).Create(t.Context(), gw, metav1.CreateOptions{}); err != nil {
		t.Errorf("create Gateway: %v", err)
	} else if ip, _, _ := unstructured.NestedString(got.Object, "gatewayIP"); ip != "10.10.0.1" {
		t.Errorf("Gateway gatewayIP = %q", ip)
	}
}

func (c *cluster) checkCPI(t *testing.T) {
	t.Helper()
	if _, err := c.kube.AppsV1().DaemonSets("kube-system").Get(t.Context(), "vsphere-cloud-controller-manager", metav1.GetOptions{}); err != nil {
		t.Errorf("DaemonSet vsphere-cloud-controller-manager: %v", err)
	}
	if conf := c.configMap(t, "kube-system", "vsphere-cloud-config")["vsphere.conf"]; !strings.Contains(conf, "server: \"vcenter.example.test\"") {
		t.Errorf("vsphere.conf lacks the vCenter:\n%s", conf)
	}
	secret := c.secret(t, "kube-system", "vsphere-cloud-secret")
	if secret["vcenter.example.test.username"] != "administrator@vsphere.local" || secret["vcenter.example.test.password"] != `pa"ss\word` {
		t.Errorf("vsphere-cloud-secret = %q", secret)
	}
}

func (c *cluster) checkCSI(t *testing.T) {
	t.Helper()
	const ns = "vmware-system-csi"
	if _, err := c.kube.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); err != nil {
		t.Errorf("Namespace %s: %v", ns, err)
	}
	if conf := c.secret(t, ns, "vsphere-config-secret")["csi-vsphere.conf"]; !strings.Contains(conf, `cluster-id = "cw-0f3a9c"`) {
		t.Errorf("csi-vsphere.conf lacks the cluster-id:\n%s", conf)
	}
	c.deployment(t, ns, "vsphere-csi-controller")
	if _, err := c.kube.AppsV1().DaemonSets(ns).Get(t.Context(), "vsphere-csi-node", metav1.GetOptions{}); err != nil {
		t.Errorf("DaemonSet vsphere-csi-node: %v", err)
	}
	if _, err := c.kube.StorageV1().CSIDrivers().Get(t.Context(), "csi.vsphere.vmware.com", metav1.GetOptions{}); err != nil {
		t.Errorf("CSIDriver: %v", err)
	}
	for _, crd := range []string{"volumesnapshots", "volumesnapshotcontents", "volumesnapshotclasses"} {
		if v := c.established(t, crd+".snapshot.storage.k8s.io"); !v["v1"] {
			t.Errorf("%s versions served: %v, want v1", crd, v)
		}
	}
	c.deployment(t, "kube-system", "snapshot-controller")

	scs, err := c.kube.StorageV1().StorageClasses().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var defaults []string
	for _, sc := range scs.Items {
		if sc.Annotations["storageclass.kubernetes.io/is-default-class"] != "true" {
			continue
		}
		defaults = append(defaults, sc.Name)
		if sc.Provisioner != "csi.vsphere.vmware.com" || sc.AllowVolumeExpansion == nil || !*sc.AllowVolumeExpansion ||
			sc.Parameters["storagepolicyname"] != "vSAN Default Storage Policy" {
			t.Errorf("default StorageClass %s: provisioner %s, expansion %v, parameters %v", sc.Name, sc.Provisioner, sc.AllowVolumeExpansion, sc.Parameters)
		}
	}
	if len(defaults) != 1 || defaults[0] != "vsphere-csi-sc" {
		t.Errorf("default StorageClasses %v, want [vsphere-csi-sc]", defaults)
	}
	vsc, err := c.dyn.Resource(volumeSnapshotClass).Get(t.Context(), "vsphere-csi-snapclass", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("VolumeSnapshotClass: %v", err)
	}
	if driver, _, _ := unstructured.NestedString(vsc.Object, "driver"); driver != "csi.vsphere.vmware.com" {
		t.Errorf("VolumeSnapshotClass driver %q", driver)
	}
}

func (c *cluster) checkKubeSphere(t *testing.T) {
	t.Helper()
	const ns = "kubesphere-system"
	for _, name := range []string{"ks-apiserver", "ks-console", "ks-controller-manager"} {
		d := c.deployment(t, ns, name)
		if d != nil && !strings.HasPrefix(d.Spec.Template.Spec.Containers[0].Image, "registry.example.test:5000/kubesphere/") {
			t.Errorf("Deployment %s image %s ignores global.imageRegistry", name, d.Spec.Template.Spec.Containers[0].Image)
		}
	}
	svc, err := c.kube.CoreV1().Services(ns).Get(t.Context(), "ks-console", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Service ks-console: %v", err)
	}
	if svc.Spec.Type != "NodePort" || svc.Spec.Ports[0].NodePort != 30880 {
		t.Errorf("Service ks-console: type %s ports %+v, want NodePort 30880", svc.Spec.Type, svc.Spec.Ports)
	}
	conf := c.configMap(t, ns, "kubesphere-config")["kubesphere.yaml"]
	if !strings.Contains(conf, "clusterRole: host") || !strings.Contains(conf, `hostClusterName: "cw-host"`) {
		t.Errorf("kubesphere.yaml lacks the multicluster role:\n%s", conf)
	}
	if pw := c.secret(t, ns, "ks-admin-credentials")["password"]; pw != "Adm1n-S3cret" {
		t.Errorf("admin password %q, want the value set", pw)
	}
	c.established(t, "clusters.cluster.kubesphere.io")
	host, err := c.dyn.Resource(kubesphereClusters).Get(t.Context(), "cw-host", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("host Cluster: %v", err)
	}
	if _, ok := host.GetLabels()["cluster-role.kubesphere.io/host"]; !ok {
		t.Errorf("host Cluster labels %v lack cluster-role.kubesphere.io/host", host.GetLabels())
	}
}

// upgradeAndUninstallAntrea upgrades the antrea release to add the member
// controller, then uninstalls it: the templates' objects go, the CRDs stay.
func (c *cluster) upgradeAndUninstallAntrea(t *testing.T, ch *chart.Chart) {
	t.Helper()
	cfg := c.helm(t, "kube-system")
	before := c.deployment(t, "kube-system", "antrea-controller")

	upgrade := action.NewUpgrade(cfg)
	upgrade.Namespace = "kube-system"
	rel, err := upgrade.RunWithContext(t.Context(), "antrea", ch, map[string]any{
		"featureGates": map[string]any{"Multicluster": true},
		"multicluster": map[string]any{
			"enableGateway":                true,
			"enableStretchedNetworkPolicy": true,
			"leader":                       map[string]any{"enabled": true},
			"member":                       map[string]any{"enabled": true},
		},
	})
	if err != nil {
		t.Fatalf("upgrade antrea: %v", err)
	}
	if rel.Version != 2 || rel.Info.Status != release.StatusDeployed {
		t.Errorf("upgraded release: revision %d, status %s", rel.Version, rel.Info.Status)
	}
	c.deployment(t, "kube-system", "antrea-mc-controller")
	if conf := c.configMap(t, "kube-system", "antrea-config")["antrea-agent.conf"]; !strings.Contains(conf, "enableStretchedNetworkPolicy: true") {
		t.Errorf("antrea-agent.conf after upgrade:\n%s", conf)
	}
	after := c.deployment(t, "kube-system", "antrea-controller")
	if before != nil && after != nil && before.Spec.Template.Annotations["checksum/config"] == after.Spec.Template.Annotations["checksum/config"] {
		t.Error("the antrea-controller Pod template did not change with its configuration")
	}

	if _, err := action.NewUninstall(cfg).Run("antrea"); err != nil {
		t.Fatalf("uninstall antrea: %v", err)
	}
	for _, ref := range []struct{ ns, name string }{{"kube-system", "antrea-controller"}, {"kube-system", "antrea-mc-controller"}} {
		if _, err := c.kube.AppsV1().Deployments(ref.ns).Get(t.Context(), ref.name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("Deployment %s/%s after uninstall: %v, want NotFound", ref.ns, ref.name, err)
		}
	}
	ns, err := c.kube.CoreV1().Namespaces().Get(t.Context(), antreaMulticlusterNS, metav1.GetOptions{})
	if err == nil && ns.DeletionTimestamp == nil {
		t.Errorf("Namespace %s outlives the uninstall", antreaMulticlusterNS)
	}
	c.established(t, "clustersets.multicluster.crd.antrea.io") // Helm keeps crds/
	if _, err := action.NewStatus(cfg).Run("antrea"); err == nil {
		t.Error("release antrea still has a status after uninstall")
	}
}

// deployment gets a Deployment, reporting it missing.
func (c *cluster) deployment(t *testing.T, ns, name string) *appsv1.Deployment {
	t.Helper()
	d, err := c.kube.AppsV1().Deployments(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Errorf("Deployment %s/%s: %v", ns, name, err)
		return nil
	}
	return d
}

// configMap returns a ConfigMap's data.
func (c *cluster) configMap(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	cm, err := c.kube.CoreV1().ConfigMaps(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("ConfigMap %s/%s: %v", ns, name, err)
	}
	return cm.Data
}

// secret returns a Secret's data as strings.
func (c *cluster) secret(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	s, err := c.kube.CoreV1().Secrets(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Secret %s/%s: %v", ns, name, err)
	}
	out := make(map[string]string, len(s.Data))
	for k, v := range s.Data {
		out[k] = string(v)
	}
	return out
}

// established checks that a CRD is established, with a structural schema,
// and returns which of its versions are served.
func (c *cluster) established(t *testing.T, name string) map[string]bool {
	t.Helper()
	crd, err := c.ext.ApiextensionsV1().CustomResourceDefinitions().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Errorf("CRD %s: %v", name, err)
		return nil
	}
	for _, cond := range crd.Status.Conditions {
		bad := (cond.Type == apiextensionsv1.Established && cond.Status != apiextensionsv1.ConditionTrue) ||
			(cond.Type == apiextensionsv1.NonStructuralSchema && cond.Status == apiextensionsv1.ConditionTrue)
		if bad {
			t.Errorf("CRD %s: condition %s=%s: %s", name, cond.Type, cond.Status, cond.Message)
		}
	}
	served := map[string]bool{}
	for _, v := range crd.Spec.Versions {
		served[v.Name] = v.Served
	}
	return served
}
