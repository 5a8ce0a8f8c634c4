package vsphere

import (
	"context"
	"slices"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/sim"
)

// cluster returns the default compute cluster.
func (e *vmEnv) cluster() *object.ClusterComputeResource {
	e.t.Helper()
	c, err := e.finder().ClusterComputeResource(context.Background(), sim.DefaultCluster)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// rules reads the DRS rules of the default compute cluster, as
// `govc cluster.rule.ls` does.
func (e *vmEnv) rules() []types.BaseClusterRuleInfo {
	e.t.Helper()
	cfg, err := e.cluster().Configuration(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg.Rule
}

// setRule applies one rule spec to the default compute cluster, as someone
// in the vSphere client would.
func (e *vmEnv) setRule(op types.ArrayUpdateOperation, info types.BaseClusterRuleInfo, removeKey any) {
	e.t.Helper()
	spec := &types.ClusterConfigSpecEx{RulesSpec: []types.ClusterRuleSpec{{
		ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: op, RemoveKey: removeKey}, Info: info,
	}}}
	e.waitTask(e.cluster().Reconfigure(context.Background(), spec, true))
}

// ruleVMs returns the morefs of an affinity or anti-affinity rule, sorted.
func ruleVMs(r types.BaseClusterRuleInfo) []string {
	var refs []types.ManagedObjectReference
	switch r := r.(type) {
	case *types.ClusterAntiAffinityRuleSpec:
		refs = r.Vm
	case *types.ClusterAffinityRuleSpec:
		refs = r.Vm
	}
	var out []string
	for _, ref := range refs {
		out = append(out, ref.Value)
	}
	slices.Sort(out)
	return out
}

func TestAntiAffinityRule(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	a := newVMActivities(env)
	hosts := env.clusterHosts()
	vms := env.clusterVMs(3, hosts[0].Self)
	name := GatewayRuleName("east")
	morefs := func(vms ...VMInfo) []string {
		var out []string
		for _, vm := range vms {
			out = append(out, vm.Moref)
		}
		slices.Sort(out)
		return out
	}
	rule := func(ids ...VMID) AntiAffinityRule { return AntiAffinityRule{VMGroup: group(ids...), Name: name} }
	// Someone else's rule, which must stay as it is.
	userRule := &types.ClusterAffinityRuleSpec{
		ClusterRuleInfo: types.ClusterRuleInfo{Name: "user-pair", Enabled: types.NewBool(true)},
		Vm:              []types.ManagedObjectReference{vmRef(vms[1].Moref), vmRef(vms[2].Moref)},
	}
	env.setRule(types.ArrayUpdateOperationAdd, userRule, nil)

	ours := func() types.BaseClusterRuleInfo {
		t.Helper()
		var found types.BaseClusterRuleInfo
		for _, r := range env.rules() {
			switch r.GetClusterRuleInfo().Name {
			case name:
				found = r
			case "user-pair":
				if got := ruleVMs(r); !slices.Equal(got, morefs(vms[1], vms[2])) {
					t.Errorf("the user's rule changed: VMs %v", got)
				}
			default:
				t.Errorf("unexpected rule %q", r.GetClusterRuleInfo().Name)
			}
		}
		return found
	}

	res, err := a.EnsureAntiAffinityRule(ctx, rule(VMID{Name: "gw-0"}, VMID{Moref: vms[1].Moref}))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("created: %+v", res)
	r := ours()
	anti, ok := r.(*types.ClusterAntiAffinityRuleSpec)
	switch {
	case !ok:
		t.Fatalf("rule %s is a %T, want an anti-affinity rule", name, r)
	case res.Change != RuleCreated || res.Key == 0 || res.Key != anti.Key || !res.DRSEnabled:
		t.Errorf("result %+v, rule key %d", res, anti.Key)
	case anti.Enabled == nil || !*anti.Enabled || !slices.Equal(ruleVMs(anti), morefs(vms[0], vms[1])):
		t.Errorf("rule enabled %v, VMs %v; want enabled over gw-0 and gw-1", anti.Enabled, ruleVMs(anti))
	case !slices.Equal(res.VMs, []string{"gw-0", "gw-1"}):
		t.Errorf("result names VMs %v", res.VMs)
	}
	key := res.Key

	t.Run("same VMs: unchanged", func(t *testing.T) {
		res, err := a.EnsureAntiAffinityRule(ctx, rule(VMID{Moref: vms[1].Moref}, VMID{Name: "gw-0"}))
		if err != nil {
			t.Fatal(err)
		}
		if res.Change != RuleUnchanged || res.Key != key {
			t.Errorf("second call: %+v, want unchanged with key %d", res, key)
		}
	})

	t.Run("another VM: edited in place", func(t *testing.T) {
		res, err := a.EnsureAntiAffinityRule(ctx, rule(VMID{Name: "gw-0"}, VMID{Name: "gw-1"}, VMID{Name: "gw-2"}))
		if err != nil {
			t.Fatal(err)
		}
		if res.Change != RuleUpdated || res.Key != key {
			t.Errorf("result %+v, want updated with key %d", res, key)
		}
		if got := ruleVMs(ours()); !slices.Equal(got, morefs(vms...)) {
			t.Errorf("rule VMs %v, want all three", got)
		}
	})

	t.Run("disabled by someone: enabled again", func(t *testing.T) {
		disabled := *ours().(*types.ClusterAntiAffinityRuleSpec)
		disabled.Enabled = types.NewBool(false)
		env.setRule(types.ArrayUpdateOperationEdit, &disabled, nil)
		res, err := a.EnsureAntiAffinityRule(ctx, rule(VMID{Name: "gw-0"}, VMID{Name: "gw-1"}, VMID{Name: "gw-2"}))
		if err != nil {
			t.Fatal(err)
		}
		if r := ours().GetClusterRuleInfo(); res.Change != RuleUpdated || r.Enabled == nil || !*r.Enabled {
			t.Errorf("result %+v, rule enabled %v", res, r.Enabled)
		}
	})

	t.Run("an affinity rule of that name: replaced", func(t *testing.T) {
		env.setRule(types.ArrayUpdateOperationRemove, nil, ours().GetClusterRuleInfo().Key)
		env.setRule(types.ArrayUpdateOperationAdd, &types.ClusterAffinityRuleSpec{
			ClusterRuleInfo: types.ClusterRuleInfo{Name: name, Enabled: types.NewBool(true)},
			Vm:              []types.ManagedObjectReference{vmRef(vms[0].Moref), vmRef(vms[1].Moref)},
		}, nil)
		res, err := a.EnsureAntiAffinityRule(ctx, rule(VMID{Name: "gw-0"}, VMID{Name: "gw-1"}))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ours().(*types.ClusterAntiAffinityRuleSpec); !ok || res.Change != RuleUpdated {
			t.Errorf("result %+v, rule %T", res, ours())
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		foreign := env.plainClone("foreign", nil, nil)
		_, err := a.EnsureAntiAffinityRule(ctx, rule(VMID{Name: "gw-0"}, VMID{Moref: foreign.Reference().Value}))
		appError(t, err, ErrTypeVMNotOwned, false)
		_, err = a.EnsureAntiAffinityRule(ctx, rule(VMID{Name: "gw-0"}))
		appError(t, err, ErrTypeInvalidVMRequest, false)
		_, err = a.EnsureAntiAffinityRule(ctx, AntiAffinityRule{VMGroup: group(VMID{Name: "gw-0"}, VMID{Name: "gw-1"}), Name: "user-pair"})
		appError(t, err, ErrTypeInvalidVMRequest, false)
		_, err = a.RemoveAntiAffinityRule(ctx, RuleRef{VCenterID: "vc1", Placement: defaultPlacement(), Name: "user-pair"})
		appError(t, err, ErrTypeInvalidVMRequest, false)
		ours() // the user's rule is untouched
	})

	t.Run("remove, twice", func(t *testing.T) {
		ref := RuleRef{VCenterID: "vc1", Placement: defaultPlacement(), Name: name}
		res, err := a.RemoveAntiAffinityRule(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if res.Change != RuleRemoved || ours() != nil {
			t.Errorf("result %+v, rule left: %v", res, ours())
		}
		res, err = a.RemoveAntiAffinityRule(ctx, ref)
		if err != nil || res.Change != RuleAbsent {
			t.Errorf("second removal: %+v, %v; want absent", res, err)
		}
		if n := len(env.rules()); n != 1 {
			t.Errorf("%d rules left, want the user's only", n)
		}
	})
}
