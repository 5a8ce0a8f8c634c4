package domain

import (
	"slices"
	"testing"
	"time"
)

func day2Cluster() Cluster {
	s := goodSpec()
	s.Defaults()
	s.KubernetesVersion = "v1.36.5"
	s.Placement.Template = "ubuntu-2404-kube-v1.36"
	s.WorkerPools = []WorkerPool{{Name: "default", NodeShape: NodeShape{Replicas: 2, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40}}}
	return Cluster{Name: s.Name, Spec: s, Nodes: []Node{{Name: s.Name + "-cp-0", Role: RoleNameControlPlane},
		{Name: s.Name + "-default-0", Role: RoleNameWorker, Pool: "default"}, {Name: s.Name + "-default-1", Role: RoleNameWorker, Pool: "default"}}}
}

func TestCheckUpgrade(t *testing.T) {
	c := day2Cluster()
	plan, err := CheckUpgrade(c, UpgradeRequest{KubernetesVersion: "v1.37.2"})
	if err != nil || plan.From != "v1.36.5" || plan.To != "v1.37.2" || !plan.Backup || plan.MaxUnavailable != 1 ||
		plan.DrainTimeout != DefaultDrainTimeout || plan.Template != "ubuntu-2404-kube-v1.37" {
		t.Fatalf("plan %+v, %v", plan, err)
	}
	no := false
	plan, err = CheckUpgrade(c, UpgradeRequest{KubernetesVersion: "v1.37.2", Backup: &no, MaxUnavailable: 2, DrainTimeout: "30s", Template: "golden"})
	if err != nil || plan.Backup || plan.MaxUnavailable != 2 || plan.DrainTimeout != 30*time.Second || plan.Template != "golden" {
		t.Fatalf("plan %+v, %v", plan, err)
	}
	for _, c2 := range []struct {
		req    UpgradeRequest
		fields []string
	}{
		{UpgradeRequest{}, []string{"kubernetes_version"}},
		{UpgradeRequest{KubernetesVersion: "v1.36.5"}, []string{"kubernetes_version"}},
		{UpgradeRequest{KubernetesVersion: "v1.35.8"}, []string{"kubernetes_version"}},
		{UpgradeRequest{KubernetesVersion: "v9.99.0"}, []string{"kubernetes_version"}},
		{UpgradeRequest{KubernetesVersion: "v1.37.2", MaxUnavailable: 3, DrainTimeout: "1s"}, []string{"drain_timeout", "max_unavailable"}},
	} {
		_, err := CheckUpgrade(c, c2.req)
		if got := fields(err); !slices.Equal(got, c2.fields) {
			t.Errorf("CheckUpgrade(%+v) fields %v, want %v (%v)", c2.req, got, c2.fields, err)
		}
	}
	c.Spec.KubernetesVersion = "v1.35.8"
	if _, err := CheckUpgrade(c, UpgradeRequest{KubernetesVersion: "v1.37.2"}); fields(err)[0] != "kubernetes_version" {
		t.Errorf("a skipped minor: %v", err)
	}
	if got := UpgradeTargets("v1.36.5"); !slices.Equal(got, []string{"v1.37.2"}) {
		t.Errorf("UpgradeTargets = %v", got)
	}
}

func TestCheckScale(t *testing.T) {
	c := day2Cluster()
	n := func(i int) *int { return &i }
	plan, err := CheckScale(c, ScaleRequest{Pool: "default", Replicas: n(4)})
	if err != nil || plan.Added || plan.From != 2 || plan.Pool.Replicas != 4 || plan.Pool.CPUs != 2 {
		t.Fatalf("plan %+v, %v", plan, err)
	}
	plan, err = CheckScale(c, ScaleRequest{Pool: "gpu", Replicas: n(1), CPUs: 8})
	if err != nil || !plan.Added || plan.Pool.CPUs != 8 || plan.Pool.MemoryMiB != 4096 {
		t.Fatalf("new pool plan %+v, %v", plan, err)
	}
	for _, c2 := range []struct {
		req    ScaleRequest
		fields []string
	}{
		{ScaleRequest{Pool: "cp", Replicas: n(3)}, []string{"pool"}},
		{ScaleRequest{Pool: "default"}, []string{"replicas"}},
		{ScaleRequest{Pool: "default", Replicas: n(0)}, []string{"replicas"}},
		{ScaleRequest{Pool: "default", Replicas: n(2)}, []string{"replicas"}},
		{ScaleRequest{Pool: "default", Replicas: n(MaxPoolReplicas + 1)}, []string{"replicas"}},
		{ScaleRequest{Pool: "default", Replicas: n(3), CPUs: 4}, []string{"cpus"}},
		{ScaleRequest{Pool: "gpu", Replicas: n(1), CPUs: 1}, []string{"cpus"}},
		{ScaleRequest{Pool: "Bad_Name", Replicas: n(1)}, []string{"pool"}},
	} {
		_, err := CheckScale(c, c2.req)
		if got := fields(err); !slices.Equal(got, c2.fields) {
			t.Errorf("CheckScale(%+v) fields %v, want %v (%v)", c2.req, got, c2.fields, err)
		}
	}
}

func TestNodeNames(t *testing.T) {
	names := []string{"c-cp-0", "c-cp-2", "c-default-0", "c-default-2", "c-big-pool-1"}
	for _, tc := range []struct {
		pool string
		want int
	}{{"cp", 3}, {"default", 1}, {"big-pool", 0}, {"new", 0}} {
		if got := NextNodeIndex("c", tc.pool, names); got != tc.want {
			t.Errorf("NextNodeIndex(%s) = %d, want %d", tc.pool, got, tc.want)
		}
	}
	if pool, i, ok := ParseNodeName("c", "c-big-pool-1"); !ok || pool != "big-pool" || i != 1 {
		t.Errorf("ParseNodeName = %s %d %v", pool, i, ok)
	}
	for _, bad := range []string{"d-cp-0", "c-cp-", "c-cp-01", "c-cp-x", "c-0"} {
		if _, _, ok := ParseNodeName("c", bad); ok {
			t.Errorf("ParseNodeName(%q) ok", bad)
		}
	}
	spec := day2Cluster().Spec
	if n, ok := PlanNode(spec, spec.Name+"-default-7"); !ok || n.Role != RoleNameWorker || n.Index != 7 || n.Shape.CPUs != 2 {
		t.Errorf("PlanNode = %+v %v", n, ok)
	}
	if n, ok := PlanNode(spec, spec.Name+"-cp-4"); !ok || n.Role != RoleNameControlPlane || n.First() {
		t.Errorf("PlanNode cp = %+v %v", n, ok)
	}
}

func TestUpgradeTemplate(t *testing.T) {
	for _, tc := range []struct{ current, requested, want string }{
		{"ubuntu-2404-kube-v1.36", "", "ubuntu-2404-kube-v1.37"},
		{"golden-image", "", "golden-image"},
		{"ubuntu-2404-kube-v1.36", "mine", "mine"},
	} {
		if got := UpgradeTemplate(tc.current, "v1.36.5", "v1.37.2", tc.requested); got != tc.want {
			t.Errorf("UpgradeTemplate(%q, %q) = %q, want %q", tc.current, tc.requested, got, tc.want)
		}
	}
}
