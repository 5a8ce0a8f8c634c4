package workflows

import (
	"errors"
	"slices"
	"strconv"

	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/addons"
	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/domain"
)

// ProvisionClusterInput names the cluster to provision. The spec is the
// recorded one, defaults filled; it holds no secrets: the activities read
// the cluster's keys and credentials from the inventory.
type ProvisionClusterInput struct {
	OperationID string             `json:"operation_id"`
	ClusterID   string             `json:"cluster_id"`
	VCenterID   string             `json:"vcenter_id"`
	Spec        domain.ClusterSpec `json:"spec"`
	// Policy says what a failed step does: wait for a decision (the default) or
	// compensate at once.
	Policy domain.FailurePolicy `json:"policy"`
}

// Step names of ProvisionCluster, as the operation timeline shows them.
// Further control planes join in steps named StepJoinControlPlane + "-<i>",
// and each add-on is installed in StepInstallAddon + "-<add-on>".
const (
	StepPreflight            = "preflight"
	StepAllocateAddresses    = "allocate-addresses"
	StepPrepareBootstrap     = "prepare-bootstrap"
	StepCreateControlPlane   = "create-control-plane"
	StepWaitAPIServer        = "wait-api-server"
	StepJoinControlPlane     = "join-control-plane"
	StepCreateWorkers        = "create-workers"
	StepWaitNodesRegistered  = "wait-nodes-registered"
	StepInstallAddon         = "install"
	StepWaitNodesReady       = "wait-nodes-ready"
	StepWaitNodesInitialized = "wait-nodes-initialized"
	StepWaitAntrea           = "wait-antrea"
	StepRecordNodes          = "record-nodes"
	StepClearBootstrapData   = "clear-bootstrap-data"

	StepCompensateVMs       = "compensate-delete-vms"
	StepCompensateAddresses = "compensate-release-addresses"
	StepCompensateSecrets   = "compensate-delete-secrets"
)

// ProvisionCluster creates a cluster: VMs on vSphere, Kubernetes by kubeadm
// through cloud-init, and the add-ons with Helm. The first control plane
// comes first, the others join one at a time (etcd stays safe), workers in
// parallel. A step that fails waits for a decision: retried, it runs again
// and the provision goes on. Canceled, failed for good or undecided, the
// provision deletes every VM it made and releases the addresses and secrets,
// and the cluster ends Failed with the reason.
func ProvisionCluster(ctx workflow.Context, in ProvisionClusterInput) error {
	w := provisionCluster{in: in, op: newOperation(in.OperationID, in.Policy), nodes: domain.PlanNodes(in.Spec), vms: map[string]vsphere.VMInfo{}}
	return w.run(ctx)
}

type provisionCluster struct {
	in    ProvisionClusterInput
	op    *operation
	nodes []domain.PlannedNode
	vms   map[string]vsphere.VMInfo // by node name, as made and powered on
	state map[string]kube.NodeState // by node name, as Kubernetes reports it
	// perNode: each node's userdata is cleared once it has joined, and further
	// control planes join with a certificate key (changeBootstrapPerNode).
	perNode bool
}

func (w *provisionCluster) run(ctx workflow.Context) (err error) {
	if err := w.op.begin(ctx); err != nil {
		return err
	}
	defer func() {
		if ferr := w.op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if err = w.provision(ctx); err != nil {
		w.compensate(ctx, err)
		return err
	}
	return setPhase(ctx, w.in.ClusterID, domain.PhaseReady, "")
}

// provision runs the steps of the plan in order: the whole provision reads here, top
// to bottom.
func (w *provisionCluster) provision(ctx workflow.Context) error {
	if err := setPhase(ctx, w.in.ClusterID, domain.PhaseProvisioning, ""); err != nil {
		return err
	}
	controlPlanes, workers := w.byRole()
	// The control-plane endpoint is a virtual IP that kube-vip serves on the control
	// planes, so that it outlives any one of them.
	vip := workflow.GetVersion(ctx, changeControlPlaneVIP, workflow.DefaultVersion, 1) >= 1
	// Each node's bootstrap data leaves its guestinfo as soon as it has joined, and
	// further control planes join with a certificate key instead of the CA keys.
	w.perNode = workflow.GetVersion(ctx, changeBootstrapPerNode, workflow.DefaultVersion, 1) >= 1
	steps := []namedStep{
		{StepPreflight, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, waitOptions), vsphereActs.Preflight,
				vsphere.PreflightInput{VCenterID: w.in.VCenterID, Spec: w.in.Spec}).Get(ctx, nil)
		}},
		{StepAllocateAddresses, func(ctx workflow.Context) error {
			if err := workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.AllocateAddresses, w.in.ClusterID).Get(ctx, nil); err != nil {
				return err
			}
			if !vip {
				return nil // a provision begun before the VIP: the first control plane's address
			}
			return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.AllocateControlPlaneVIP, w.in.ClusterID).Get(ctx, nil)
		}},
		{StepPrepareBootstrap, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.PrepareBootstrap, w.in.ClusterID).Get(ctx, nil)
		}},
		{StepCreateControlPlane, func(ctx workflow.Context) error { return w.createNode(ctx, controlPlanes[0]) }},
		{StepWaitAPIServer, func(ctx workflow.Context) error {
			if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.WaitAPIServer, w.in.ClusterID).Get(ctx, nil); err != nil {
				return err
			}
			if !w.perNode {
				return nil
			}
			if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.WaitInitDone, w.in.ClusterID).Get(ctx, nil); err != nil {
				return err
			}
			return w.clearUserdata(ctx, controlPlanes[0].Name)
		}},
	}
	// Further control planes join one at a time, so that etcd keeps its quorum.
	for _, n := range controlPlanes[1:] {
		steps = append(steps, namedStep{StepJoinControlPlane + "-" + strconv.Itoa(n.Index), func(ctx workflow.Context) error {
			if w.perNode {
				return w.joinControlPlane(ctx, n)
			}
			if err := w.createNode(ctx, n); err != nil {
				return err
			}
			return w.waitNodes(ctx, []string{n.Name}, kube.WaitNodesInput{})
		}})
	}
	if len(workers) > 0 {
		steps = append(steps, namedStep{StepCreateWorkers, func(ctx workflow.Context) error {
			if w.perNode {
				return w.joinInParallel(ctx, workers)
			}
			return w.createInParallel(ctx, workers)
		}})
	}
	steps = append(steps, namedStep{StepWaitNodesRegistered, func(ctx workflow.Context) error {
		return w.waitNodes(ctx, w.names(), kube.WaitNodesInput{})
	}})
	steps = append(steps, w.addonSteps()...)
	if w.in.Spec.KubeSphereHost() != "" && workflow.GetVersion(ctx, changeKubeSphereMember, workflow.DefaultVersion, 1) >= 1 {
		steps = append(steps, namedStep{StepRegisterKubeSphere, func(ctx workflow.Context) error {
			return registerWithKubeSphereHost(ctx, w.in.ClusterID)
		}})
	}
	steps = append(steps,
		namedStep{StepRecordNodes, w.recordNodes},
		namedStep{StepClearBootstrapData, w.clearBootstrapData})
	return w.op.steps(ctx, steps)
}

// addonSteps install the add-ons in the order they can become ready in. Antrea goes
// first without waiting: its agents make the nodes Ready, but its controller does not
// tolerate the cloud provider's uninitialized taint, so it is waited for only once the
// vSphere CPI has initialised the nodes. CSI needs initialised nodes; KubeSphere comes
// last.
func (w *provisionCluster) addonSteps() []namedStep {
	steps := []namedStep{
		{StepInstallAddon + "-" + addons.AddonAntrea, func(ctx workflow.Context) error {
			return w.installAddon(ctx, addons.AddonAntrea, false)
		}},
		{StepWaitNodesReady, func(ctx workflow.Context) error {
			return w.waitNodes(ctx, w.names(), kube.WaitNodesInput{Ready: true})
		}},
		{StepInstallAddon + "-" + addons.AddonCPI, func(ctx workflow.Context) error {
			return w.installAddon(ctx, addons.AddonCPI, true)
		}},
		{StepWaitNodesInitialized, func(ctx workflow.Context) error {
			return w.waitNodes(ctx, w.names(), kube.WaitNodesInput{Ready: true, Initialized: true})
		}},
		{StepWaitAntrea, func(ctx workflow.Context) error {
			return w.installAddon(ctx, addons.AddonAntrea, true)
		}},
	}
	for _, addon := range addons.Addons(w.in.Spec) {
		if addon == addons.AddonAntrea || addon == addons.AddonCPI {
			continue
		}
		steps = append(steps, namedStep{StepInstallAddon + "-" + addon, func(ctx workflow.Context) error { return w.installAddon(ctx, addon, true) }})
	}
	return steps
}

// clearBootstrapData removes the userdata, which carries a bootstrap token and, for
// the first control plane, the cluster's CA keys, from every VM's guestinfo now that
// every node has joined. Under changeBootstrapPerNode each node's was cleared once it
// had joined already: this is a sweep that finds nothing to do. Under
// changeDeleteDay0Token it then deletes the day-0 bootstrap token from the cluster.
func (w *provisionCluster) clearBootstrapData(ctx workflow.Context) error {
	for _, n := range w.nodes {
		if err := w.clearUserdata(ctx, n.Name); err != nil {
			return err
		}
	}
	if workflow.GetVersion(ctx, changeDeleteDay0Token, workflow.DefaultVersion, 1) < 1 {
		return nil // a provision begun before: its day-0 token expires after a day
	}
	return workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.DeleteDay0Token, w.in.ClusterID).Get(ctx, nil)
}

// clearUserdata removes the userdata of node name's VM from its guestinfo.
func (w *provisionCluster) clearUserdata(ctx workflow.Context, name string) error {
	ref := vsphere.VMRef{VCenterID: w.in.VCenterID, ClusterID: w.in.ClusterID, Name: name, Moref: w.vms[name].Moref}
	return workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.ClearUserdata, ref).Get(ctx, nil)
}

// joinControlPlane makes a further control plane join with a certificate key: the
// shared certificates and keys are uploaded to the kubeadm-certs Secret first (the
// node's userdata carries the key, not the CA keys), then the node is made and waited
// for; once it registered its userdata is cleared and kubeadm-certs deleted.
func (w *provisionCluster) joinControlPlane(ctx workflow.Context, n domain.PlannedNode) error {
	if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.UploadCerts, w.in.ClusterID).Get(ctx, nil); err != nil {
		return err
	}
	if err := w.createNode(ctx, n); err != nil {
		return err
	}
	if err := w.waitNodes(ctx, []string{n.Name}, kube.WaitNodesInput{}); err != nil {
		return err
	}
	if err := w.clearUserdata(ctx, n.Name); err != nil {
		return err
	}
	return workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.DeleteKubeadmCerts, w.in.ClusterID).Get(ctx, nil)
}

// joinInParallel makes the nodes at once; each one's userdata is cleared as soon as
// its own Node registered, whatever the others do. It returns their errors joined.
func (w *provisionCluster) joinInParallel(ctx workflow.Context, nodes []domain.PlannedNode) error {
	return inParallel(ctx, nodes, func(ctx workflow.Context, n domain.PlannedNode) error {
		if err := w.createNode(ctx, n); err != nil {
			return err
		}
		if err := w.waitNodes(ctx, []string{n.Name}, kube.WaitNodesInput{}); err != nil {
			return err
		}
		return w.clearUserdata(ctx, n.Name)
	})
}

// byRole splits the planned nodes into control planes and workers.
func (w *provisionCluster) byRole() (controlPlanes, workers []domain.PlannedNode) {
	for _, n := range w.nodes {
		if n.Role == domain.RoleNameControlPlane {
			controlPlanes = append(controlPlanes, n)
		} else {
			workers = append(workers, n)
		}
	}
	return controlPlanes, workers
}

// names lists every planned node's name.
func (w *provisionCluster) names() []string {
	out := make([]string, len(w.nodes))
	for i, n := range w.nodes {
		out[i] = n.Name
	}
	return out
}

// createNode makes node n's VM (or finds it), powers it on and waits for its
// guest address.
func (w *provisionCluster) createNode(ctx workflow.Context, n domain.PlannedNode) error {
	spec := vsphere.VMSpec{
		VCenterID: w.in.VCenterID, Placement: w.in.Spec.Placement, Name: n.Name, ClusterID: w.in.ClusterID,
		CPUs: n.Shape.CPUs, MemoryMiB: n.Shape.MemoryMiB, DiskGiB: n.Shape.DiskGiB,
	}
	var vm vsphere.VMInfo
	if err := workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.EnsureVM, spec).Get(ctx, &vm); err != nil {
		return err
	}
	ref := vsphere.VMRef{VCenterID: w.in.VCenterID, ClusterID: w.in.ClusterID, Name: n.Name, Moref: vm.Moref}
	if err := workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.PowerOnVM, ref).Get(ctx, nil); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(with(ctx, guestOptions), vsphereActs.WaitForVMIP, ref).Get(ctx, &vm.IP); err != nil {
		return err
	}
	w.vms[n.Name] = vm
	return nil
}

// createInParallel creates the nodes at once and returns their errors joined.
func (w *provisionCluster) createInParallel(ctx workflow.Context, nodes []domain.PlannedNode) error {
	return inParallel(ctx, nodes, w.createNode)
}

// waitNodes waits for the named nodes as in asks and keeps their states.
func (w *provisionCluster) waitNodes(ctx workflow.Context, names []string, in kube.WaitNodesInput) error {
	in.ClusterID, in.Names = w.in.ClusterID, names
	var states []kube.NodeState
	if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.WaitNodes, in).Get(ctx, &states); err != nil {
		return err
	}
	if w.state == nil {
		w.state = map[string]kube.NodeState{}
	}
	for _, s := range states {
		w.state[s.Name] = s
	}
	return nil
}

// installAddon installs an add-on (an up-to-date one is kept), waits for its objects
// when asked, and records it.
func (w *provisionCluster) installAddon(ctx workflow.Context, addon string, wait bool) error {
	return installAddon(ctx, w.in.ClusterID, addon, wait)
}

// installAddon installs or upgrades an add-on of a cluster from its recorded spec (an
// up-to-date release is kept), waits for its objects when asked, and records it.
func installAddon(ctx workflow.Context, clusterID, addon string, wait bool) error {
	var st addons.Status
	req := addons.AddonRequest{ClusterID: clusterID, Addon: addon, Wait: wait}
	if err := workflow.ExecuteActivity(with(ctx, addonOptions), addonActs.InstallAddon, req).Get(ctx, &st); err != nil {
		return err
	}
	return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.RecordAddon, invacts.AddonUpdate{
		ClusterID: clusterID, Chart: st.Chart,
		Addon: domain.Addon{Name: addon, ChartVersion: st.ChartVersion, Status: st.Status},
	}).Get(ctx, nil)
}

// recordNodes records every node with its VM and what its kubelet reports.
func (w *provisionCluster) recordNodes(ctx workflow.Context) error {
	u := invacts.NodesUpdate{ClusterID: w.in.ClusterID}
	for _, n := range w.nodes {
		vm, st := w.vms[n.Name], w.state[n.Name]
		u.Nodes = append(u.Nodes, invacts.NodeRecord{
			Name: n.Name, Role: n.Role, Pool: n.Pool, IP: vm.IP, VMName: n.Name, VMMoref: vm.Moref, VMUUID: vm.UUID,
			KubeletVersion: st.KubeletVersion, Ready: st.Ready,
		})
	}
	return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.RecordNodes, u).Get(ctx, nil)
}

// compensate undoes a failed or canceled provision on a context that
// survives cancellation: every VM marked for the cluster is deleted (also
// those whose clone never reported back), the addresses are released, the
// secrets deleted, and the cluster is marked Failed with the reason. Each
// undo step runs even when an earlier one failed.
func (w *provisionCluster) compensate(ctx workflow.Context, cause error) {
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	var errs []error
	errs = append(errs, w.op.undo(dctx, StepCompensateVMs, func(ctx workflow.Context) error {
		return deleteClusterVMs(ctx, w.in.VCenterID, w.in.ClusterID)
	}))
	errs = append(errs, w.op.undo(dctx, StepCompensateAddresses, func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.ReleaseAddresses, w.in.ClusterID).Get(ctx, nil)
	}))
	errs = append(errs, w.op.undo(dctx, StepCompensateSecrets, func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.DeleteSecrets, w.in.ClusterID).Get(ctx, nil)
	}))
	reason := "provisioning failed: " + message(cause)
	if stateOf(cause) == domain.OpCanceled {
		reason = "provisioning canceled"
	}
	if err := errors.Join(slices.DeleteFunc(errs, func(e error) bool { return e == nil })...); err != nil {
		reason += "; clean-up incomplete: " + message(err)
	}
	_ = setPhase(dctx, w.in.ClusterID, domain.PhaseFailed, reason)
}

// deleteClusterVMs deletes every VM marked for the cluster, a few at a time.
func deleteClusterVMs(ctx workflow.Context, vcenterID, clusterID string) error {
	var vms []vsphere.VMInfo
	if err := workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.ListClusterVMs,
		vsphere.ClusterRef{VCenterID: vcenterID, ClusterID: clusterID}).Get(ctx, &vms); err != nil {
		return err
	}
	return inParallel(ctx, vms, func(ctx workflow.Context, vm vsphere.VMInfo) error {
		ref := vsphere.VMRef{VCenterID: vcenterID, ClusterID: clusterID, Name: vm.Name}
		return workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.DestroyVM, ref).Get(ctx, nil)
	})
}

// setPhase records a cluster's phase.
func setPhase(ctx workflow.Context, clusterID, phase, reason string) error {
	return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.SetClusterPhase,
		invacts.PhaseUpdate{ClusterID: clusterID, Phase: phase, Reason: reason}).Get(ctx, nil)
}
