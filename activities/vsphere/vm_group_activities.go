package vsphere

import (
	"context"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
)

// EnsureVMsApart makes sure the VMs of g run on different ESXi hosts of
// their compute cluster, migrating those that share one (see
// VMOps.EnsureApart), and says where each runs. Fewer usable hosts than
// VMs fails without retry (NotEnoughHosts), before anything moves; so do a
// missing compute cluster (PlacementNotFound), a missing VM (VMNotFound),
// a VM that is not the cluster's (VMNotOwned) and a malformed group
// (InvalidVMRequest). vCenter faults of a migration are typed after the
// fault and retried unless permanent.
func (a *Activities) EnsureVMsApart(ctx context.Context, g VMGroup) (VMsApartResult, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	c, err := a.client(ctx, g.VCenterID)
	if err != nil {
		return VMsApartResult{}, err
	}
	res, err := a.vmOps().EnsureApart(ctx, c, g)
	return res, vmActivityError(err, nil)
}

// EnsureAntiAffinityRule makes sure the compute cluster has the DRS VM
// anti-affinity rule r over exactly r's VMs (see
// VMOps.EnsureAntiAffinityRule); calling it again changes nothing.
func (a *Activities) EnsureAntiAffinityRule(ctx context.Context, r AntiAffinityRule) (RuleResult, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	c, err := a.client(ctx, r.VCenterID)
	if err != nil {
		return RuleResult{}, err
	}
	res, err := a.vmOps().EnsureAntiAffinityRule(ctx, c, r)
	return res, vmActivityError(err, nil)
}

// RemoveAntiAffinityRule removes the DRS rule ref from its compute cluster;
// a rule that is gone already is success.
func (a *Activities) RemoveAntiAffinityRule(ctx context.Context, ref RuleRef) (RuleResult, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	c, err := a.client(ctx, ref.VCenterID)
	if err != nil {
		return RuleResult{}, err
	}
	res, err := a.vmOps().RemoveAntiAffinityRule(ctx, c, ref)
	return res, vmActivityError(err, nil)
}
