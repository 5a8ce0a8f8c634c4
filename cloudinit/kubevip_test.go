package cloudinit

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// TestStaticPodsRoundTrip renders a control plane with kube-vip's static Pod: the
// manifest lands in /etc/kubernetes/manifests (root only) and parses back.
func TestStaticPodsRoundTrip(t *testing.T) {
	c := newTestCluster(t)
	manifest, err := KubeVIPManifest(KubeVIP{Address: netip.MustParseAddr("127.20.0.5"), Port: 6443})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: Pod", "image: " + KubeVIPImage, "name: vip_address\n      value: 127.20.0.5",
		"name: port\n      value: \"6443\"", "name: vip_leasename\n      value: plndr-cp-lock", "path: /etc/kubernetes/admin.conf",
		"hostNetwork: true", "- NET_ADMIN"} {
		if !strings.Contains(string(manifest), want) {
			t.Errorf("manifest lacks %q:\n%s", want, manifest)
		}
	}
	spec := c.joinSpec("prod-cp-1", "127.20.0.11", true)
	spec.StaticPods = map[string][]byte{"kube-vip.yaml": manifest}
	md, ud, err := Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ud), "path: "+KubeVIPManifestPath+"\n  permissions: \"0600\"") {
		t.Errorf("userdata does not write %s with mode 0600:\n%s", KubeVIPManifestPath, ud)
	}
	n, err := ParseNode(md, ud)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(n.StaticPods, spec.StaticPods) {
		t.Errorf("parsed static Pods %v", n.StaticPods)
	}

	for _, bad := range []string{"../kube-vip.yaml", "kube-vip", ".yaml", "sub/kube-vip.yaml"} {
		spec.StaticPods = map[string][]byte{bad: manifest}
		if _, _, err := Render(spec); err == nil || !strings.Contains(err.Error(), "static Pod manifest name") {
			t.Errorf("static Pod %q: %v", bad, err)
		}
	}
	if _, err := KubeVIPManifest(KubeVIP{Port: 6443}); err == nil {
		t.Error("a manifest without an address rendered")
	}
}
