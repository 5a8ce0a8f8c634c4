package cloudinit

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// yamlDocs decodes every document of a multi-document YAML file
// generically, as an independent reader would.
func yamlDocs(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("not YAML: %v\n%s", err, data)
		}
		docs = append(docs, m)
	}
}

// dig walks nested maps and lists by key or index.
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %q: %T is not a map", k, v)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at [%d]: %v is not a long enough list", k, v)
			}
			v = l[k]
		}
	}
	return v
}

func hasArg(args any, name, value string) bool {
	list, _ := args.([]any)
	for _, a := range list {
		m, _ := a.(map[string]any)
		if m["name"] == name && m["value"] == value {
			return true
		}
	}
	return false
}

func TestRenderKubeadmInit(t *testing.T) {
	c := newTestCluster(t)
	spec := c.initSpec()
	out, err := spec.Kubeadm.Render()
	if err != nil {
		t.Fatal(err)
	}
	docs := yamlDocs(t, out)
	if len(docs) != 2 {
		t.Fatalf("%d documents, want 2:\n%s", len(docs), out)
	}
	for i, kind := range []string{"InitConfiguration", "ClusterConfiguration"} {
		if docs[i]["apiVersion"] != "kubeadm.k8s.io/v1beta4" || docs[i]["kind"] != kind {
			t.Errorf("document %d is %v/%v, want kubeadm.k8s.io/v1beta4/%s", i, docs[i]["apiVersion"], docs[i]["kind"], kind)
		}
	}
	if !bytes.Contains(out, []byte("\n---\n")) {
		t.Error("documents are not separated by ---")
	}

	init, cluster := docs[0], docs[1]
	// v1beta4 list-form kubelet args.
	args := dig(t, init, "nodeRegistration", "kubeletExtraArgs")
	if !hasArg(args, "cloud-provider", "external") {
		t.Errorf("kubeletExtraArgs %v lacks {name: cloud-provider, value: external}", args)
	}
	if !hasArg(args, "node-ip", "127.20.0.10") {
		t.Errorf("kubeletExtraArgs %v lacks node-ip", args)
	}
	if got := dig(t, init, "nodeRegistration", "criSocket"); got != "unix:///var/run/containerd/containerd.sock" {
		t.Errorf("criSocket = %v", got)
	}
	// Taints: present and null (kubeadm's default taints), as kubeadm writes.
	if nr := dig(t, init, "nodeRegistration").(map[string]any); !hasKeyNil(nr, "taints") {
		t.Errorf("nodeRegistration.taints should be null: %v", nr)
	}
	tok := dig(t, init, "bootstrapTokens", 0)
	if dig(t, tok, "token") != c.token.String() || dig(t, tok, "ttl") != "24h0m0s" {
		t.Errorf("bootstrap token = %v", tok)
	}
	if !reflect.DeepEqual(dig(t, tok, "usages"), []any{"signing", "authentication"}) ||
		!reflect.DeepEqual(dig(t, tok, "groups"), []any{"system:bootstrappers:kubeadm:default-node-token"}) {
		t.Errorf("bootstrap token usages/groups = %v", tok)
	}
	if dig(t, init, "localAPIEndpoint", "advertiseAddress") != "127.20.0.10" || dig(t, init, "localAPIEndpoint", "bindPort") != 6443 {
		t.Errorf("localAPIEndpoint = %v", init["localAPIEndpoint"])
	}

	for path, want := range map[string]any{
		"kubernetesVersion":           "v1.37.2",
		"clusterName":                 "prod",
		"controlPlaneEndpoint":        "127.20.0.10:6443",
		"certificateValidityPeriod":   "8760h0m0s",
		"caCertificateValidityPeriod": "87600h0m0s",
		"encryptionAlgorithm":         "ECDSA-P256",
	} {
		if cluster[path] != want {
			t.Errorf("%s = %v, want %v", path, cluster[path], want)
		}
	}
	if dig(t, cluster, "networking", "podSubnet") != "10.244.0.0/16" || dig(t, cluster, "networking", "serviceSubnet") != "10.96.0.0/12" || dig(t, cluster, "networking", "dnsDomain") != "cluster.local" {
		t.Errorf("networking = %v", cluster["networking"])
	}
	if dig(t, cluster, "etcd", "local", "dataDir") != "/var/lib/etcd" {
		t.Errorf("etcd = %v", cluster["etcd"])
	}
	if !hasArg(dig(t, cluster, "apiServer", "extraArgs"), "cloud-provider", "external") ||
		!reflect.DeepEqual(dig(t, cluster, "apiServer", "certSANs"), []any{"127.20.0.10", "prod.example.com"}) {
		t.Errorf("apiServer = %v", cluster["apiServer"])
	}
	if !hasArg(dig(t, cluster, "controllerManager", "extraArgs"), "cloud-provider", "external") ||
		!hasArg(dig(t, cluster, "scheduler", "extraArgs"), "bind-address", "0.0.0.0") {
		t.Error("controllerManager/scheduler extraArgs missing")
	}
	// Caller's structs are not modified by rendering.
	if spec.Kubeadm.Init.Kind != "" {
		t.Error("RenderKubeadm set TypeMeta on the caller's struct")
	}
}

func hasKeyNil(m map[string]any, k string) bool {
	v, ok := m[k]
	return ok && v == nil
}

func TestRenderKubeadmJoin(t *testing.T) {
	c := newTestCluster(t)
	out, err := c.joinSpec("prod-cp-1", "127.20.0.11", true).Kubeadm.Render()
	if err != nil {
		t.Fatal(err)
	}
	docs := yamlDocs(t, out)
	if len(docs) != 1 || docs[0]["kind"] != "JoinConfiguration" || docs[0]["apiVersion"] != "kubeadm.k8s.io/v1beta4" {
		t.Fatalf("documents:\n%s", out)
	}
	j := docs[0]
	bt := dig(t, j, "discovery", "bootstrapToken")
	if dig(t, bt, "token") != c.token.String() || dig(t, bt, "apiServerEndpoint") != "127.20.0.10:6443" ||
		!reflect.DeepEqual(dig(t, bt, "caCertHashes"), []any{c.caHash}) {
		t.Errorf("discovery = %v", bt)
	}
	if dig(t, j, "controlPlane", "localAPIEndpoint", "advertiseAddress") != "127.20.0.11" {
		t.Errorf("controlPlane = %v", j["controlPlane"])
	}
	if !hasArg(dig(t, j, "nodeRegistration", "kubeletExtraArgs"), "cloud-provider", "external") {
		t.Error("join kubeletExtraArgs lack cloud-provider=external")
	}

	worker, err := c.joinSpec("prod-w-0", "127.20.0.20", false).Kubeadm.Render()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := yamlDocs(t, worker)[0]["controlPlane"]; ok {
		t.Errorf("worker join has controlPlane:\n%s", worker)
	}
}

func TestKubeadmRoundTrip(t *testing.T) {
	c := newTestCluster(t)
	for name, kc := range map[string]KubeadmConfig{
		"init":   c.initSpec().Kubeadm,
		"join":   c.joinSpec("prod-cp-1", "127.20.0.11", true).Kubeadm,
		"worker": c.joinSpec("prod-w-0", "127.20.0.20", false).Kubeadm,
	} {
		t.Run(name, func(t *testing.T) {
			out, err := kc.Render()
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseKubeadm(out)
			if err != nil {
				t.Fatal(err)
			}
			want := withTypeMeta(kc)
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("round trip differs:\n got %+v\nwant %+v\n%s", *got, want, out)
			}
		})
	}
}

// withTypeMeta returns a deep-enough copy of kc with TypeMeta filled in,
// as ParseKubeadm returns it.
func withTypeMeta(kc KubeadmConfig) KubeadmConfig {
	if kc.Init != nil {
		c := *kc.Init
		c.TypeMeta = TypeMeta{KubeadmAPIVersion, KindInitConfiguration}
		kc.Init = &c
	}
	if kc.Cluster != nil {
		c := *kc.Cluster
		c.TypeMeta = TypeMeta{KubeadmAPIVersion, KindClusterConfiguration}
		kc.Cluster = &c
	}
	if kc.Join != nil {
		c := *kc.Join
		c.TypeMeta = TypeMeta{KubeadmAPIVersion, KindJoinConfiguration}
		kc.Join = &c
	}
	return kc
}

func TestRenderKubeadmErrors(t *testing.T) {
	tests := []struct {
		name string
		docs []any
		want string
	}{
		{"none", nil, "no documents"},
		{"foreign type", []any{struct{}{}}, "unsupported type"},
		{"nil pointer", []any{(*InitConfiguration)(nil)}, "nil *InitConfiguration"},
		{"wrong apiVersion", []any{ClusterConfiguration{TypeMeta: TypeMeta{APIVersion: "kubeadm.k8s.io/v1beta3"}}}, "apiVersion"},
		{"wrong kind", []any{&JoinConfiguration{TypeMeta: TypeMeta{Kind: "InitConfiguration"}}}, "kind"},
		{"empty token", []any{InitConfiguration{BootstrapTokens: []BootstrapToken{{}}}}, "bootstrap token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RenderKubeadm(tt.docs...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// Values and matching TypeMeta are fine.
	if _, err := RenderKubeadm(ClusterConfiguration{TypeMeta: TypeMeta{KubeadmAPIVersion, KindClusterConfiguration}}); err != nil {
		t.Errorf("matching TypeMeta: %v", err)
	}
}

func TestParseKubeadm(t *testing.T) {
	// Hand-written, as an operator might: comments, leading ---, an empty
	// document, fields Clusterwright does not model.
	in := `# kubeadm configuration
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.2
dns:
  disabled: true
---
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    token: abcdef.0123456789abcdef
    apiServerEndpoint: 10.0.0.1:6443
    caCertHashes: [sha256:00]
nodeRegistration:
  taints: []
`
	kc, err := ParseKubeadm([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if kc.Init != nil || kc.Cluster == nil || kc.Join == nil {
		t.Fatalf("parsed %+v", kc)
	}
	if kc.Cluster.KubernetesVersion != "v1.37.2" || kc.Join.Discovery.BootstrapToken.APIServerEndpoint != "10.0.0.1:6443" {
		t.Errorf("parsed %+v %+v", kc.Cluster, kc.Join)
	}
	if kc.Join.NodeRegistration.Taints == nil || len(kc.Join.NodeRegistration.Taints) != 0 {
		t.Errorf("taints: [] must parse as an empty, non-nil list (no taints), got %#v", kc.Join.NodeRegistration.Taints)
	}
}

func TestParseKubeadmErrors(t *testing.T) {
	const cluster = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "no documents"},
		{"only separators", "---\n---\n", "no documents"},
		{"v1beta3", "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n", "unsupported apiVersion"},
		{"kubelet config", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n", "unsupported apiVersion"},
		{"no apiVersion", "kind: InitConfiguration\n", "unsupported apiVersion"},
		{"unknown kind", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ResetConfiguration\n", "unsupported kind"},
		{"no kind", "apiVersion: kubeadm.k8s.io/v1beta4\n", "unsupported kind"},
		{"duplicate", cluster + "---\n" + cluster, "more than one ClusterConfiguration"},
		{"bad token", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: short\n", "bootstrap token"},
		{"v1beta3 map args", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistration:\n  kubeletExtraArgs:\n    cloud-provider: external\n", "InitConfiguration"},
		{"bad yaml", "apiVersion: [\n", "document 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKubeadm([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLookupArg(t *testing.T) {
	args := []Arg{{"node-ip", "1.1.1.1"}, {"v", "2"}, {"node-ip", "2.2.2.2"}}
	if v, ok := LookupArg(args, "node-ip"); !ok || v != "2.2.2.2" {
		t.Errorf("LookupArg = %q, %v; want the last value", v, ok)
	}
	if _, ok := LookupArg(args, "cloud-provider"); ok {
		t.Error("found a missing arg")
	}
}
