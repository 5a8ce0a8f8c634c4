package addons_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/clusterwright/clusterwright/activities/addons"
)

// Resources reached through the dynamic client.
var (
	volumeSnapshotClasses = schema.GroupVersionResource{Group: "snapshot.storage.k8s.io", Version: "v1", Resource: "volumesnapshotclasses"}
	kubesphereClusters    = schema.GroupVersionResource{Group: "cluster.kubesphere.io", Version: "v1alpha1", Resource: "clusters"}
)

// antreaAgentConf is the part of antrea-agent.conf the tests read.
type antreaAgentConf struct {
	FeatureGates          map[string]bool `json:"featureGates"`
	TrafficEncryptionMode string          `json:"trafficEncryptionMode"`
	WireGuard             struct {
		Port int `json:"port"`
	} `json:"wireGuard"`
	NodePortLocal struct {
		Enable bool `json:"enable"`
	} `json:"nodePortLocal"`
	Multicluster struct {
		EnableGateway              bool `json:"enableGateway"`
		EnablePodToPodConnectivity bool `json:"enablePodToPodConnectivity"`
	} `json:"multicluster"`
}

// antreaConf reads antrea-agent.conf from ConfigMap antrea-config.
func (c *testCluster) antreaConf(t *testing.T) antreaAgentConf {
	t.Helper()
	var conf antreaAgentConf
	raw := c.configMap(t, "kube-system", "antrea-config")["antrea-agent.conf"]
	if err := yaml.Unmarshal([]byte(raw), &conf); err != nil {
		t.Fatalf("antrea-agent.conf: %v\n%s", err, raw)
	}
	return conf
}

func (c *testCluster) checkAntrea(t *testing.T) {
	t.Helper()
	conf := c.antreaConf(t)
	if !conf.FeatureGates["Multicluster"] || conf.TrafficEncryptionMode != "wireGuard" || conf.WireGuard.Port != addons.WireGuardPort ||
		!conf.NodePortLocal.Enable || !conf.Multicluster.EnableGateway || !conf.Multicluster.EnablePodToPodConnectivity {
		t.Errorf("antrea-agent.conf = %+v", conf)
	}
	if _, err := c.kube.AppsV1().DaemonSets("kube-system").Get(context.Background(), "antrea-agent", metav1.GetOptions{}); err != nil {
		t.Errorf("DaemonSet antrea-agent: %v", err)
	}
}

func (c *testCluster) checkCPI(t *testing.T) {
	t.Helper()
	conf := c.configMap(t, "kube-system", "vsphere-cloud-config")["vsphere.conf"]
	if !strings.Contains(conf, `server: "vcenter.example.test"`) || !strings.Contains(conf, "DC0") {
		t.Errorf("vsphere.conf does not name the vCenter and datacenter:\n%s", conf)
	}
	secret := c.secret(t, "kube-system", "vsphere-cloud-secret")
	if len(secret) != 2 || secret["vcenter.example.test.username"] != testVCenter.Username ||
		secret["vcenter.example.test.password"] != testVCenter.Password {
		t.Errorf("vsphere-cloud-secret has keys %v with wrong values", keys(secret))
	}
}

func (c *testCluster) checkCSI(t *testing.T, clusterID string) {
	t.Helper()
	ctx := context.Background()
	conf := c.secret(t, "vmware-system-csi", "vsphere-config-secret")["csi-vsphere.conf"]
	if !strings.Contains(conf, `cluster-id = "`+clusterID+`"`) || !strings.Contains(conf, `datacenters = "DC0"`) {
		t.Errorf("csi-vsphere.conf lacks the cluster-id or datacenter (%d bytes)", len(conf))
	}
	sc, err := c.kube.StorageV1().StorageClasses().Get(ctx, addons.CSIStorageClass, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("StorageClass: %v", err)
	}
	if sc.Annotations["storageclass.kubernetes.io/is-default-class"] != "true" || sc.Provisioner != addons.CSIProvisioner ||
		sc.Parameters["storagepolicyname"] != "vSAN Default Storage Policy" {
		t.Errorf("StorageClass %s: annotations %v, provisioner %s, parameters %v", sc.Name, sc.Annotations, sc.Provisioner, sc.Parameters)
	}
	vsc, err := c.dyn.Resource(volumeSnapshotClasses).Get(ctx, addons.CSISnapshotClass, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("VolumeSnapshotClass: %v", err)
	}
	if driver, _, _ := unstructured.NestedString(vsc.Object, "driver"); driver != addons.CSIProvisioner {
		t.Errorf("VolumeSnapshotClass driver %q", driver)
	}
}

func (c *testCluster) checkKubeSphere(t *testing.T, password string) {
	t.Helper()
	ctx := context.Background()
	const ns = "kubesphere-system"
	if conf := c.configMap(t, ns, "kubesphere-config")["kubesphere.yaml"]; !strings.Contains(conf, "clusterRole: host") {
		t.Errorf("kubesphere.yaml lacks role host:\n%s", conf)
	}
	if pw := c.secret(t, ns, "ks-admin-credentials")["password"]; pw != password {
		t.Error("ks-admin-credentials does not hold the admin password")
	}
	host, err := c.dyn.Resource(kubesphereClusters).Get(ctx, "dev-east", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("host Cluster: %v", err)
	}
	if _, ok := host.GetLabels()["cluster-role.kubesphere.io/host"]; !ok {
		t.Errorf("host Cluster labels %v", host.GetLabels())
	}
	svc, err := c.kube.CoreV1().Services(ns).Get(ctx, "ks-console", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Service ks-console: %v", err)
	}
	if svc.Spec.Ports[0].NodePort != addons.KubeSphereConsolePort {
		t.Errorf("ks-console node port %d", svc.Spec.Ports[0].NodePort)
	}
}

// configMap returns a ConfigMap's data.
func (c *testCluster) configMap(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	cm, err := c.kube.CoreV1().ConfigMaps(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("ConfigMap %s/%s: %v", ns, name, err)
	}
	return cm.Data
}

// secret returns a Secret's data as strings.
func (c *testCluster) secret(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	s, err := c.kube.CoreV1().Secrets(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Secret %s/%s: %v", ns, name, err)
	}
	out := make(map[string]string, len(s.Data))
	for k, v := range s.Data {
		out[k] = string(v)
	}
	return out
}

// gone reports whether a namespaced ConfigMap no longer exists.
func (c *testCluster) configMapGone(t *testing.T, ns, name string) bool {
	t.Helper()
	_, err := c.kube.CoreV1().ConfigMaps(ns).Get(context.Background(), name, metav1.GetOptions{})
	return apierrors.IsNotFound(err)
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
