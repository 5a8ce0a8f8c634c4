package health

import (
	"slices"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/domain"
)

func TestClassify(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	nodes := []domain.Node{
		{Name: "dev-east-cp-0", Role: "control-plane", VM: "vm-1"},
		{Name: "dev-east-default-0", Role: "worker", VM: "vm-2"},
	}
	vmsOn := []vsphere.VMInfo{
		{Name: "dev-east-cp-0", Moref: "vm-1", PowerState: "poweredOn"},
		{Name: "dev-east-default-0", Moref: "vm-2", PowerState: "poweredOn"},
	}
	answering := kube.APIHealth{Answering: true, Nodes: []kube.NodeState{
		{Name: "dev-east-cp-0", Ready: true}, {Name: "dev-east-default-0", Ready: true}}}
	deployed := []domain.Addon{{Name: "antrea", Status: "deployed"}}
	in30Days, in3Days, ago := now.Add(30*24*time.Hour), now.Add(3*24*time.Hour+time.Hour), now.Add(-time.Hour)
	healthy := func(change func(f *Facts)) Facts {
		f := Facts{Nodes: nodes, VMs: vmsOn, API: answering, Addons: deployed, CertificateExpiry: &in30Days, Now: now}
		f.API.Nodes = slices.Clone(answering.Nodes)
		if change != nil {
			change(&f)
		}
		return f
	}
	for _, c := range []struct {
		name string
		in   Facts
		want Verdict
	}{
		{"healthy", healthy(nil), Verdict{Phase: domain.PhaseReady}},
		{"no certificate check yet", healthy(func(f *Facts) { f.CertificateExpiry = nil }), Verdict{Phase: domain.PhaseReady}},
		{"worker VM gone", healthy(func(f *Facts) {
			f.VMs = vmsOn[:1]
			f.API.Nodes[1].Ready = false // its kubelet went with it: named once, by its VM
		}), Verdict{domain.PhaseDegraded, "node dev-east-default-0: VM missing"}},
		{"VM found by name after a moref change", healthy(func(f *Facts) {
			f.VMs = []vsphere.VMInfo{vmsOn[0], {Name: "dev-east-default-0", Moref: "vm-9", PowerState: "poweredOn"}}
		}), Verdict{Phase: domain.PhaseReady}},
		{"control plane off", healthy(func(f *Facts) {
			f.VMs = []vsphere.VMInfo{{Name: "dev-east-cp-0", Moref: "vm-1", PowerState: "poweredOff"}, vmsOn[1]}
			f.API = kube.APIHealth{Problem: "API server not answering"}
		}), Verdict{domain.PhaseUnreachable, "VM dev-east-cp-0 powered off; API server not answering"}},
		{"API server of another CA", healthy(func(f *Facts) {
			f.API = kube.APIHealth{Problem: "API server does not present a certificate of the cluster CA"}
		}), Verdict{domain.PhaseUnreachable, "API server does not present a certificate of the cluster CA"}},
		{"node not Ready, one not registered", healthy(func(f *Facts) {
			f.API.Nodes = []kube.NodeState{{Name: "dev-east-cp-0", Ready: false}}
		}), Verdict{domain.PhaseDegraded, "node dev-east-cp-0: not Ready; node dev-east-default-0: not registered"}},
		{"nodes not listed", healthy(func(f *Facts) { f.API = kube.APIHealth{Answering: true, Problem: "nodes could not be listed"} }),
			Verdict{domain.PhaseDegraded, "nodes could not be listed"}},
		{"add-on failed", healthy(func(f *Facts) { f.Addons = []domain.Addon{{Name: "antrea", Status: "failed"}, {Name: "vsphere-csi"}} }),
			Verdict{domain.PhaseDegraded, "add-on antrea: failed; add-on vsphere-csi: not deployed"}},
		{"certificates expire soon", healthy(func(f *Facts) { f.CertificateExpiry = &in3Days }),
			Verdict{domain.PhaseDegraded, "certificates expire in 3 days"}},
		{"certificates expired", healthy(func(f *Facts) { f.CertificateExpiry = &ago }),
			Verdict{domain.PhaseDegraded, "certificates expired 2026-12-02"}},
		{"vCenter down, cluster answers", healthy(func(f *Facts) { f.VMs, f.VMsProblem = nil, "vCenter vc1: connection refused" }),
			Verdict{domain.PhaseDegraded, "VMs not checked: vCenter vc1: connection refused"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Classify(c.in); got != c.want {
				t.Errorf("Classify = %+v\nwant       %+v", got, c.want)
			}
		})
	}
}
