package workflows

import (
	"errors"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/antrea"
	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/domain"
)

// drainOptions are the options of one drain of timeout: it may wait that long for
// PodDisruptionBudgets, then fails for a person's decision (kube.ErrTypeDrainBlocked is
// not retried: waiting longer is the person's call).
func drainOptions(timeout time.Duration) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: timeout + 5*time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 3,
			NonRetryableErrorTypes: []string{kube.ErrTypeDrainBlocked}},
	}
}

// readClusterFacts reads what a Day-2 node operation needs of a cluster.
func readClusterFacts(ctx workflow.Context, clusterID string) (invacts.ClusterFacts, error) {
	var f invacts.ClusterFacts
	err := workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.ReadClusterFacts, clusterID).Get(ctx, &f)
	return f, err
}

// day2Nodes are the node chores that upgrades, scaling and replacements share.
type day2Nodes struct {
	clusterID string
	vcenterID string
	facts     invacts.ClusterFacts
	// added are the addresses of the nodes addNodes made, by name.
	added map[string]string
}

// vacate gets nodes ready to be taken down: when the cluster is in a ClusterSet, its
// Antrea gateway role moves to other nodes first (kept on different ESXi hosts), then
// each node is cordoned and drained.
func (d *day2Nodes) vacate(ctx workflow.Context, names []string, drainTimeout time.Duration) error {
	if err := d.moveGatewayOff(ctx, names); err != nil {
		return err
	}
	for _, name := range names {
		in := kube.DrainInput{ClusterID: d.clusterID, Node: name, Timeout: drainTimeout}
		if err := workflow.ExecuteActivity(with(ctx, drainOptions(drainTimeout)), kubeActs.DrainNode, in).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// moveGatewayOff takes nodes out of the cluster's gateway candidates and waits until
// Antrea's active Gateway is elsewhere; the candidates then are kept apart by the DRS
// rule. A cluster in no ClusterSet has nothing to move.
func (d *day2Nodes) moveGatewayOff(ctx workflow.Context, names []string) error {
	if d.facts.ClusterSet == "" {
		return nil
	}
	req := antrea.MoveGatewayRequest{Set: d.facts.ClusterSet, Cluster: antrea.Cluster{ID: d.clusterID, Name: d.facts.Name}, Nodes: names}
	var res antrea.GatewaysResult
	if err := workflow.ExecuteActivity(with(ctx, antreaOptions), antreaActs.MoveGatewayOff, req).Get(ctx, &res); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(with(ctx, recordOptions), setRecords.RecordMemberGateway, invacts.MemberGatewayUpdate{
		SetID: d.facts.ClusterSetID, ClusterID: d.clusterID,
		Gateway: domain.MemberGateway{Active: res.Active, Candidates: res.Candidates}}).Get(ctx, nil); err != nil {
		return err
	}
	if len(res.Candidates) < 2 {
		return nil
	}
	group := vsphere.VMGroup{VCenterID: d.vcenterID, ClusterID: d.clusterID, Placement: d.facts.Spec.Placement}
	for _, n := range res.Candidates {
		group.VMs = append(group.VMs, vsphere.VMID{Name: n})
	}
	if err := workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.EnsureVMsApart, group).Get(ctx, nil); err != nil {
		return err
	}
	rule := vsphere.AntiAffinityRule{VMGroup: group, Name: vsphere.GatewayRuleName(d.facts.Name)}
	return workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.EnsureAntiAffinityRule, rule).Get(ctx, nil)
}

// removeNode takes a drained node out of the cluster for good: its Node object, its VM,
// its address lease and its record, in that order (each is idempotent).
func (d *day2Nodes) removeNode(ctx workflow.Context, name string) error {
	if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.DeleteNode,
		kube.NodeInput{ClusterID: d.clusterID, Node: name}).Get(ctx, nil); err != nil {
		return err
	}
	ref := vsphere.VMRef{VCenterID: d.vcenterID, ClusterID: d.clusterID, Name: name}
	if err := workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.DestroyVM, ref).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.ForgetNode,
		invacts.NodeRef{ClusterID: d.clusterID, Node: name}).Get(ctx, nil)
}

// addNodes makes new nodes of the cluster: each gets an address, a VM cloned and
// powered on (in parallel, within the vCenter's task budget), joins with the
// cluster's fresh join token, and is recorded once it is Ready and initialised.
// Their bootstrap data is cleared from guestinfo after (see addNodesPerNode for
// operations begun since changeBootstrapPerNode).
func (d *day2Nodes) addNodes(ctx workflow.Context, planned []domain.PlannedNode) error {
	if workflow.GetVersion(ctx, changeBootstrapPerNode, workflow.DefaultVersion, 1) >= 1 {
		return d.addNodesPerNode(ctx, planned)
	}
	vms := make([]vsphere.VMInfo, len(planned))
	errs := fanOut(ctx, planned, func(ctx workflow.Context, i int, n domain.PlannedNode) (err error) {
		vms[i], err = d.makeNode(ctx, n)
		return err
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if d.added == nil {
		d.added = map[string]string{}
	}
	for i, n := range planned {
		d.added[n.Name] = vms[i].IP
	}
	names := make([]string, len(planned))
	for i, n := range planned {
		names[i] = n.Name
	}
	var states []kube.NodeState
	if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.WaitNodes, kube.WaitNodesInput{
		ClusterID: d.clusterID, Names: names, Ready: true, Initialized: true}).Get(ctx, &states); err != nil {
		return err
	}
	byName := map[string]kube.NodeState{}
	for _, s := range states {
		byName[s.Name] = s
	}
	u := invacts.NodesUpdate{ClusterID: d.clusterID}
	for i, n := range planned {
		vm, st := vms[i], byName[n.Name]
		u.Nodes = append(u.Nodes, invacts.NodeRecord{Name: n.Name, Role: n.Role, Pool: n.Pool, IP: vm.IP, VMName: n.Name,
			VMMoref: vm.Moref, VMUUID: vm.UUID, KubeletVersion: st.KubeletVersion, Ready: st.Ready})
	}
	if err := workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.RecordNodes, u).Get(ctx, nil); err != nil {
		return err
	}
	for i, n := range planned {
		ref := vsphere.VMRef{VCenterID: d.vcenterID, ClusterID: d.clusterID, Name: n.Name, Moref: vms[i].Moref}
		if err := workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.ClearUserdata, ref).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// makeNode leases node n an address, then makes its VM (or finds it), powers it on and
// waits for its guest address.
func (d *day2Nodes) makeNode(ctx workflow.Context, n domain.PlannedNode) (vsphere.VMInfo, error) {
	var vm vsphere.VMInfo
	if err := workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.LeaseNodeAddress,
		invacts.NodeRef{ClusterID: d.clusterID, Node: n.Name}).Get(ctx, nil); err != nil {
		return vm, err
	}
	spec := vsphere.VMSpec{VCenterID: d.vcenterID, Placement: d.facts.Spec.Placement, Name: n.Name, ClusterID: d.clusterID,
		CPUs: n.Shape.CPUs, MemoryMiB: n.Shape.MemoryMiB, DiskGiB: n.Shape.DiskGiB}
	if err := workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.EnsureVM, spec).Get(ctx, &vm); err != nil {
		return vm, err
	}
	ref := vsphere.VMRef{VCenterID: d.vcenterID, ClusterID: d.clusterID, Name: n.Name, Moref: vm.Moref}
	if err := workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.PowerOnVM, ref).Get(ctx, nil); err != nil {
		return vm, err
	}
	err := workflow.ExecuteActivity(with(ctx, guestOptions), vsphereActs.WaitForVMIP, ref).Get(ctx, &vm.IP)
	return vm, err
}

// createJoinToken makes the cluster's fresh join token (kept while it has long to live).
func (d *day2Nodes) createJoinToken(ctx workflow.Context) error {
	return workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.CreateJoinToken, d.clusterID).Get(ctx, nil)
}

// deleteJoinToken deletes the join token from the cluster and the inventory: no
// credential outlives the joins it was made for.
func (d *day2Nodes) deleteJoinToken(ctx workflow.Context) error {
	return workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.DeleteJoinToken, d.clusterID).Get(ctx, nil)
}

// nodeNames are the names of the cluster's recorded nodes.
func (d *day2Nodes) nodeNames() []string {
	out := make([]string, len(d.facts.Nodes))
	for i, n := range d.facts.Nodes {
		out[i] = n.Name
	}
	return out
}

// address is a node's address: one addNodes made, or a recorded one.
func (d *day2Nodes) address(name string) string {
	if ip, ok := d.added[name]; ok {
		return ip
	}
	for _, n := range d.facts.Nodes {
		if n.Name == name {
			return n.IP
		}
	}
	return ""
}

// addNodesPerNode is addNodes with less bootstrap data exposed: when a control plane
// is among the nodes, the shared certificates and keys are uploaded to the
// kubeadm-certs Secret under a fresh certificate key first, so that its userdata
// carries that key instead of the CA keys; each node's userdata is cleared as soon as
// that node is Ready and initialised, in parallel with the others; then kubeadm-certs
// is deleted and the nodes are recorded.
func (d *day2Nodes) addNodesPerNode(ctx workflow.Context, planned []domain.PlannedNode) error {
	controlPlane := slices.ContainsFunc(planned, func(n domain.PlannedNode) bool { return n.Role == domain.RoleNameControlPlane })
	if controlPlane {
		if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.UploadCerts, d.clusterID).Get(ctx, nil); err != nil {
			return err
		}
	}
	vms := make([]vsphere.VMInfo, len(planned))
	states := make([]kube.NodeState, len(planned))
	errs := fanOut(ctx, planned, func(ctx workflow.Context, i int, n domain.PlannedNode) (err error) {
		vms[i], states[i], err = d.joinNode(ctx, n)
		return err
	})
	if d.added == nil {
		d.added = map[string]string{}
	}
	for i, n := range planned {
		if vms[i].IP != "" {
			d.added[n.Name] = vms[i].IP
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if controlPlane {
		if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.DeleteKubeadmCerts, d.clusterID).Get(ctx, nil); err != nil {
			return err
		}
	}
	u := invacts.NodesUpdate{ClusterID: d.clusterID}
	for i, n := range planned {
		vm, st := vms[i], states[i]
		u.Nodes = append(u.Nodes, invacts.NodeRecord{Name: n.Name, Role: n.Role, Pool: n.Pool, IP: vm.IP, VMName: n.Name,
			VMMoref: vm.Moref, VMUUID: vm.UUID, KubeletVersion: st.KubeletVersion, Ready: st.Ready})
	}
	return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.RecordNodes, u).Get(ctx, nil)
}

// joinNode makes node n (see makeNode), waits until it is Ready and initialised, and
// clears its userdata from guestinfo at once.
func (d *day2Nodes) joinNode(ctx workflow.Context, n domain.PlannedNode) (vsphere.VMInfo, kube.NodeState, error) {
	vm, err := d.makeNode(ctx, n)
	if err != nil {
		return vm, kube.NodeState{}, err
	}
	var states []kube.NodeState
	if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.WaitNodes, kube.WaitNodesInput{
		ClusterID: d.clusterID, Names: []string{n.Name}, Ready: true, Initialized: true}).Get(ctx, &states); err != nil {
		return vm, kube.NodeState{}, err
	}
	var st kube.NodeState
	if i := slices.IndexFunc(states, func(s kube.NodeState) bool { return s.Name == n.Name }); i >= 0 {
		st = states[i]
	}
	ref := vsphere.VMRef{VCenterID: d.vcenterID, ClusterID: d.clusterID, Name: n.Name, Moref: vm.Moref}
	err = workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.ClearUserdata, ref).Get(ctx, nil)
	return vm, st, err
}
