package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
)

// RulePrefix starts the name of every DRS rule Clusterwright manages; it
// never edits nor removes a rule named otherwise.
const RulePrefix = "clusterwright-"

// GatewayRuleName is the name of the anti-affinity rule that keeps the
// multi-cluster gateway candidates of a cluster on different hosts.
func GatewayRuleName(cluster string) string { return RulePrefix + cluster + "-gateways" }

// AntiAffinityRule asks for a DRS VM anti-affinity rule named Name on the
// compute cluster of the group's placement, over the group's VMs (at least
// two, as vSphere requires).
type AntiAffinityRule struct {
	VMGroup
	// Name is the rule's name; it must start with RulePrefix (see
	// GatewayRuleName).
	Name string `json:"name"`
}

// RuleRef names a DRS rule on the compute cluster of a placement.
type RuleRef struct {
	VCenterID string           `json:"vcenter_id"`
	Placement domain.Placement `json:"placement"`
	Name      string           `json:"name"`
}

// RuleChange says what a rule call did.
type RuleChange string

// Rule changes.
const (
	RuleCreated   RuleChange = "created"
	RuleUpdated   RuleChange = "updated"
	RuleUnchanged RuleChange = "unchanged"
	RuleRemoved   RuleChange = "removed"
	RuleAbsent    RuleChange = "absent" // nothing to remove
)

// RuleResult describes a DRS rule after a rule call.
type RuleResult struct {
	Name   string     `json:"name"`
	Change RuleChange `json:"change"`
	// Key is vCenter's key of the rule; 0 when there is none.
	Key int32 `json:"key,omitempty"`
	// VMs names the rule's VMs, sorted; empty when there is no rule.
	VMs []string `json:"vms,omitempty"`
	// DRSEnabled says whether DRS runs on the compute cluster: without it,
	// vSphere stores the rule but nothing enforces it (HA still honours it
	// when it restarts VMs).
	DRSEnabled bool `json:"drs_enabled"`
}

// validateRuleName checks that name is one Clusterwright manages.
func validateRuleName(name string) error {
	if !strings.HasPrefix(name, RulePrefix) || len(name) == len(RulePrefix) {
		return fmt.Errorf("%w: rule name %q does not start with %q", ErrInvalidVMRequest, name, RulePrefix)
	}
	return nil
}

// EnsureAntiAffinityRule makes sure the compute cluster of r.Placement has an
// enabled VM anti-affinity rule named r.Name over exactly r's VMs: it adds
// the rule, edits one of that name whose VMs or state differ (keeping its
// key), and leaves a matching one alone. A rule of that name of another
// kind is replaced. The VMs must be the cluster's (marked for r.ClusterID)
// and run in the compute cluster.
func (o *VMOps) EnsureAntiAffinityRule(ctx context.Context, c *vim25.Client, r AntiAffinityRule) (RuleResult, error) {
	if err := r.validate(2); err != nil {
		return RuleResult{}, err
	}
	if err := validateRuleName(r.Name); err != nil {
		return RuleResult{}, err
	}
	cluster, err := findComputeCluster(ctx, c, r.Placement)
	if err != nil {
		return RuleResult{}, err
	}
	vms, err := o.groupMembers(ctx, c, r.VMGroup)
	if err != nil {
		return RuleResult{}, err
	}
	refs := make([]types.ManagedObjectReference, 0, len(vms))
	names := make([]string, 0, len(vms))
	for _, vm := range vms {
		refs = append(refs, vm.ref)
		names = append(names, vm.name)
	}
	// A second attempt re-reads the rules when the first reconfigure lost a
	// race with another change of the same rule.
	for attempt := 1; ; attempt++ {
		st, err := readCluster(ctx, c, cluster)
		if err != nil {
			return RuleResult{}, err
		}
		for _, vm := range vms {
			if _, ok := st.host(vm.host); !ok {
				return RuleResult{}, fmt.Errorf("%w: VM %s runs on host %s, which is not in compute cluster %s", ErrInvalidVMRequest, vm.name, vm.host.Value, cluster.InventoryPath)
			}
		}
		res := RuleResult{Name: r.Name, VMs: names, DRSEnabled: drsEnabled(st.config)}
		cur := findRule(st.config, r.Name)
		specs, change := antiAffinitySpecs(cur, r.Name, refs)
		res.Change = change
		if change == RuleUnchanged {
			res.Key = cur.GetClusterRuleInfo().Key
			return res, nil
		}
		err = o.reconfigureRules(ctx, c, cluster, "set DRS rule "+r.Name, specs)
		if isFault(err, &types.InvalidArgument{}) && attempt == 1 {
			continue
		}
		if err != nil {
			return RuleResult{}, err
		}
		if st, err = readCluster(ctx, c, cluster); err != nil {
			return RuleResult{}, err
		}
		if rule := findRule(st.config, r.Name); rule != nil {
			res.Key = rule.GetClusterRuleInfo().Key
		}
		o.logger().InfoContext(ctx, "DRS anti-affinity rule "+string(change), "rule", r.Name, "compute_cluster", cluster.InventoryPath, "vms", names, "drs_enabled", res.DRSEnabled)
		if !res.DRSEnabled {
			o.logger().WarnContext(ctx, "DRS is disabled on the compute cluster: the anti-affinity rule is stored but not enforced", "rule", r.Name, "compute_cluster", cluster.InventoryPath)
		}
		return res, nil
	}
}

// antiAffinitySpecs returns the rule specs that turn cur (nil if there is
// no rule of that name) into an enabled anti-affinity rule over refs.
func antiAffinitySpecs(cur types.BaseClusterRuleInfo, name string, refs []types.ManagedObjectReference) ([]types.ClusterRuleSpec, RuleChange) {
	want := &types.ClusterAntiAffinityRuleSpec{
		ClusterRuleInfo: types.ClusterRuleInfo{Name: name, Enabled: types.NewBool(true), UserCreated: types.NewBool(true)},
		Vm:              refs,
	}
	add := types.ClusterRuleSpec{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationAdd}, Info: want}
	existing, ok := cur.(*types.ClusterAntiAffinityRuleSpec)
	switch {
	case cur == nil:
		return []types.ClusterRuleSpec{add}, RuleCreated
	case !ok:
		remove := types.ClusterRuleSpec{ArrayUpdateSpec: types.ArrayUpdateSpec{
			Operation: types.ArrayUpdateOperationRemove, RemoveKey: cur.GetClusterRuleInfo().Key,
		}}
		return []types.ClusterRuleSpec{remove, add}, RuleUpdated
	case sameRefs(existing.Vm, refs) && existing.Enabled != nil && *existing.Enabled:
		return nil, RuleUnchanged
	}
	edited := *existing
	edited.Enabled = types.NewBool(true)
	edited.Vm = refs
	return []types.ClusterRuleSpec{{
		ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationEdit},
		Info:            &edited,
	}}, RuleUpdated
}

// RemoveAntiAffinityRule removes the DRS rule named ref.Name from the compute
// cluster of ref.Placement. No such rule is success (RuleAbsent).
func (o *VMOps) RemoveAntiAffinityRule(ctx context.Context, c *vim25.Client, ref RuleRef) (RuleResult, error) {
	if err := validateRuleName(ref.Name); err != nil {
		return RuleResult{}, err
	}
	cluster, err := findComputeCluster(ctx, c, ref.Placement)
	if err != nil {
		return RuleResult{}, err
	}
	for attempt := 1; ; attempt++ {
		st, err := readCluster(ctx, c, cluster)
		if err != nil {
			return RuleResult{}, err
		}
		res := RuleResult{Name: ref.Name, Change: RuleAbsent, DRSEnabled: drsEnabled(st.config)}
		rule := findRule(st.config, ref.Name)
		if rule == nil {
			return res, nil
		}
		key := rule.GetClusterRuleInfo().Key
		err = o.reconfigureRules(ctx, c, cluster, "remove DRS rule "+ref.Name, []types.ClusterRuleSpec{{
			ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationRemove, RemoveKey: key},
		}})
		if isFault(err, &types.InvalidArgument{}) && attempt == 1 {
			continue // removed meanwhile? read again
		}
		if err != nil {
			return RuleResult{}, err
		}
		o.logger().InfoContext(ctx, "DRS rule removed", "rule", ref.Name, "key", key, "compute_cluster", cluster.InventoryPath)
		res.Change = RuleRemoved
		return res, nil
	}
}

// reconfigureRules applies rule specs to the compute cluster (an
// incremental ReconfigureComputeResource_Task).
func (o *VMOps) reconfigureRules(ctx context.Context, c *vim25.Client, cluster *object.ClusterComputeResource, what string, specs []types.ClusterRuleSpec) error {
	progress(ctx, "reconfigure-cluster")
	spec := &types.ClusterConfigSpecEx{RulesSpec: specs}
	_, err := o.runTask(ctx, c, what+" on "+cluster.InventoryPath, false, func(ctx context.Context) (*object.Task, error) {
		return cluster.Reconfigure(ctx, spec, true)
	})
	return err
}

// findRule returns the rule named name, or nil.
func findRule(cfg *types.ClusterConfigInfoEx, name string) types.BaseClusterRuleInfo {
	for _, r := range cfg.Rule {
		if r.GetClusterRuleInfo().Name == name {
			return r
		}
	}
	return nil
}

// drsEnabled reports whether DRS runs on the cluster of cfg.
func drsEnabled(cfg *types.ClusterConfigInfoEx) bool {
	return cfg.DrsConfig.Enabled != nil && *cfg.DrsConfig.Enabled
}

// sameRefs reports whether a and b hold the same references, in any order.
func sameRefs(a, b []types.ManagedObjectReference) bool {
	key := func(r types.ManagedObjectReference) string { return r.Value }
	as, bs := make([]string, 0, len(a)), make([]string, 0, len(b))
	for _, r := range a {
		as = append(as, key(r))
	}
	for _, r := range b {
		bs = append(bs, key(r))
	}
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(slices.Compact(as), slices.Compact(bs))
}
