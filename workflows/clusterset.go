package workflows

import (
	"errors"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/activities/antrea"
	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/activities/kubesphere"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/domain"
)

// Step names of the ClusterSet workflows. Steps about one cluster end in "-<cluster>".
const (
	StepReadClusterSet     = "read-clusterset"
	StepEnableMulticluster = "enable-multicluster"
	StepSetUpLeader        = "set-up-leader"
	StepJoinMember         = "join"
	StepGatewaysApart      = "keep-gateways-apart"
	StepWaitClusterSet     = "wait-clusterset"
	StepRegisterKubeSphere = "register-in-kubesphere"
	StepRecordClusterSet   = "record-clusterset"
	StepLeaveMember        = "leave"
	StepDisbandLeader      = "disband-leader"

	StepCompensateLeave   = "compensate-leave"
	StepCompensateDisband = "compensate-disband-leader"
)

// Activity handles used to name activities; they are never called.
var (
	antreaActs *antrea.Activities
	setRecords *invacts.ClusterSetActivities
	ksActs     *kubesphere.Activities
)

// antreaOptions: a change on a cluster's API server and the wait for its controllers.
var antreaOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Minute,
	HeartbeatTimeout:    4 * antrea.HeartbeatInterval,
	RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 5},
}

// kubesphereOptions: a registration with a KubeSphere host, with its waits.
var kubesphereOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 5 * time.Minute,
	HeartbeatTimeout:    4 * kubesphere.HeartbeatInterval,
	RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 5},
}

// clusterSetWait bounds the wait for every member of a set to be ready.
const clusterSetWait = 5 * time.Minute

// FormClusterSet forms a recorded ClusterSet on its clusters (leader and members, the
// leader a member too): Antrea's Multicluster feature gate where it is off, the leader's
// controller and ClusterSet, then per cluster its member controller, gateway candidates
// (kept on different ESXi hosts by a DRS anti-affinity rule) and connection to the
// leader, and the wait until every member is ready with a Gateway and its peers'
// ClusterInfo. A failed step waits for a decision; a form that fails for good or is
// canceled removes everything it made and the set's record.
func FormClusterSet(ctx workflow.Context, in FormClusterSetInput) error {
	w := &clusterSetOp{op: newOperation(in.OperationID, in.Policy), setID: in.ClusterSetID}
	return w.run(ctx, w.form, w.undoForm)
}

// JoinClusterSet joins a recorded Joining member to its set, as forming does for each
// cluster; a join that fails for good or is canceled takes the member out again.
func JoinClusterSet(ctx workflow.Context, in JoinClusterSetInput) error {
	w := &clusterSetOp{op: newOperation(in.OperationID, in.Policy), setID: in.ClusterSetID, clusterID: in.ClusterID}
	return w.run(ctx, w.join, w.undoJoin)
}

// LeaveClusterSet takes a member (not the leader) out of its set: every object the set
// made on it and for it on the leader goes, with its DRS rule and its record.
func LeaveClusterSet(ctx workflow.Context, in LeaveClusterSetInput) error {
	w := &clusterSetOp{op: newOperation(in.OperationID, in.Policy), setID: in.ClusterSetID, clusterID: in.ClusterID}
	return w.run(ctx, w.leave, w.failed)
}

// DisbandClusterSet takes every member out of the set, the leader last, removes the
// leader's side and the set's record.
func DisbandClusterSet(ctx workflow.Context, in DisbandClusterSetInput) error {
	w := &clusterSetOp{op: newOperation(in.OperationID, in.Policy), setID: in.ClusterSetID}
	return w.run(ctx, w.disband, w.failed)
}

// clusterSetOp is one operation on a ClusterSet.
type clusterSetOp struct {
	op        *operation
	setID     string
	clusterID string // the cluster that joins or leaves
	plan      invacts.ClusterSetPlan
	// made lists the clusters whose membership this operation started to make, for the
	// compensation.
	made []invacts.SetCluster
	// candidates are the gateway candidates each member got, by cluster name.
	candidates map[string][]string
}

// run records the operation around do, and calls undo when do fails.
func (w *clusterSetOp) run(ctx workflow.Context, do func(workflow.Context) error, undo func(workflow.Context, error)) (err error) {
	if err := w.op.begin(ctx); err != nil {
		return err
	}
	defer func() {
		if ferr := w.op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if err = w.op.step(ctx, StepReadClusterSet, w.read); err != nil {
		return err
	}
	if err = do(ctx); err != nil {
		undo(ctx, err)
	}
	return err
}

// read loads the set's plan.
func (w *clusterSetOp) read(ctx workflow.Context) error {
	return workflow.ExecuteActivity(with(ctx, recordOptions), setRecords.LoadClusterSet, w.setID).Get(ctx, &w.plan)
}

func (w *clusterSetOp) form(ctx workflow.Context) error {
	if err := w.setPhase(ctx, domain.ClusterSetForming, ""); err != nil {
		return err
	}
	steps := w.enableMulticluster(w.plan.Clusters)
	steps = append(steps, namedStep{StepSetUpLeader, w.setUpLeader})
	for _, c := range w.plan.Clusters {
		steps = append(steps, w.joinSteps(c)...)
	}
	steps = append(steps, namedStep{StepWaitClusterSet, w.waitAndRecord},
		namedStep{StepRegisterKubeSphere, func(ctx workflow.Context) error { return w.registerInKubeSphere(ctx, w.plan.Clusters) }})
	return w.op.steps(ctx, steps)
}

func (w *clusterSetOp) join(ctx workflow.Context) error {
	c, err := w.cluster(w.clusterID)
	if err != nil {
		return err
	}
	if err := w.setPhase(ctx, domain.ClusterSetUpdating, "joining "+c.Name); err != nil {
		return err
	}
	steps := append(w.enableMulticluster([]invacts.SetCluster{c}), w.joinSteps(c)...)
	steps = append(steps, namedStep{StepWaitClusterSet, w.waitAndRecord},
		namedStep{StepRegisterKubeSphere, func(ctx workflow.Context) error { return w.registerInKubeSphere(ctx, []invacts.SetCluster{c}) }})
	return w.op.steps(ctx, steps)
}

func (w *clusterSetOp) leave(ctx workflow.Context) error {
	c, err := w.cluster(w.clusterID)
	if err != nil {
		return err
	}
	if err := w.setPhase(ctx, domain.ClusterSetUpdating, "leaving: "+c.Name); err != nil {
		return err
	}
	if err := w.op.steps(ctx, []namedStep{{StepLeaveMember + "-" + c.Name, func(ctx workflow.Context) error {
		return w.leaveCluster(ctx, c)
	}}}); err != nil {
		return err
	}
	return w.setPhase(ctx, domain.ClusterSetReady, "")
}

func (w *clusterSetOp) disband(ctx workflow.Context) error {
	if err := w.setPhase(ctx, domain.ClusterSetDisbanding, ""); err != nil {
		return err
	}
	var steps []namedStep
	for _, c := range w.leaderLast() {
		steps = append(steps, namedStep{StepLeaveMember + "-" + c.Name, func(ctx workflow.Context) error { return w.leaveCluster(ctx, c) }})
	}
	steps = append(steps, namedStep{StepDisbandLeader, w.disbandLeader})
	return w.op.steps(ctx, steps)
}

// enableMulticluster are the steps that turn Antrea's Multicluster feature gate and
// gateways on where a cluster's Antrea runs without them: its recorded spec says so, and
// the Antrea release is upgraded with it.
func (w *clusterSetOp) enableMulticluster(clusters []invacts.SetCluster) []namedStep {
	var steps []namedStep
	for _, c := range clusters {
		if c.Multicluster {
			continue
		}
		steps = append(steps, namedStep{StepEnableMulticluster + "-" + c.Name, func(ctx workflow.Context) error {
			if err := workflow.ExecuteActivity(with(ctx, recordOptions), setRecords.EnableAntreaMulticluster, c.ID).Get(ctx, nil); err != nil {
				return err
			}
			return installAddon(ctx, c.ID, addons.AddonAntrea, true)
		}})
	}
	return steps
}

// joinSteps make a cluster a member: its controller, gateway candidates and connection
// to the leader, then its candidates kept on different hosts.
func (w *clusterSetOp) joinSteps(c invacts.SetCluster) []namedStep {
	return []namedStep{
		{StepJoinMember + "-" + c.Name, func(ctx workflow.Context) error { return w.joinCluster(ctx, c) }},
		{StepGatewaysApart + "-" + c.Name, func(ctx workflow.Context) error { return w.keepGatewaysApart(ctx, c) }},
	}
}

func (w *clusterSetOp) setUpLeader(ctx workflow.Context) error {
	req := antrea.LeaderRequest{Set: w.plan.Name, Leader: w.leader()}
	return workflow.ExecuteActivity(with(ctx, antreaOptions), antreaActs.EnsureLeader, req).Get(ctx, nil)
}

// joinCluster runs a cluster's member controller, annotates its gateway candidates and
// connects it to the leader.
func (w *clusterSetOp) joinCluster(ctx workflow.Context, c invacts.SetCluster) error {
	w.made = append(slices.DeleteFunc(w.made, func(m invacts.SetCluster) bool { return m.ID == c.ID }), c)
	member := antrea.Cluster{ID: c.ID, Name: c.Name}
	cfg := antrea.MemberConfig{PodCIDRs: []string{c.PodCIDR}, ServiceCIDR: c.ServiceCIDR,
		GatewayIPPrecedence: w.plan.GatewayIPPrecedence, EndpointIPType: w.plan.EndpointIPType}
	actx := with(ctx, antreaOptions)
	if err := workflow.ExecuteActivity(actx, antreaActs.EnsureMemberController,
		antrea.MemberRequest{Set: w.plan.Name, Cluster: member, Config: cfg}).Get(ctx, nil); err != nil {
		return err
	}
	var gw antrea.GatewaysResult
	if err := workflow.ExecuteActivity(actx, antreaActs.AnnotateGateways,
		antrea.GatewaysRequest{Set: w.plan.Name, Cluster: member, Nodes: c.Gateways}).Get(ctx, &gw); err != nil {
		return err
	}
	if w.candidates == nil {
		w.candidates = map[string][]string{}
	}
	w.candidates[c.Name] = gw.Candidates
	return workflow.ExecuteActivity(actx, antreaActs.ConnectMember,
		antrea.ConnectRequest{Set: w.plan.Name, Leader: w.leader(), Member: member}).Get(ctx, nil)
}

// keepGatewaysApart puts a member's gateway candidates' VMs on different ESXi hosts and
// keeps them there with a DRS anti-affinity rule, so that one host going down leaves a
// candidate for Antrea to move the Gateway to. One candidate needs nothing.
func (w *clusterSetOp) keepGatewaysApart(ctx workflow.Context, c invacts.SetCluster) error {
	names := w.candidates[c.Name]
	if len(names) < 2 {
		return skip("one gateway candidate: nothing to keep apart")
	}
	group := vsphere.VMGroup{VCenterID: c.VCenterID, ClusterID: c.ID, Placement: c.Placement}
	for _, n := range names {
		group.VMs = append(group.VMs, vsphere.VMID{Name: n})
	}
	if err := workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.EnsureVMsApart, group).Get(ctx, nil); err != nil {
		return err
	}
	rule := vsphere.AntiAffinityRule{VMGroup: group, Name: vsphere.GatewayRuleName(c.Name)}
	return workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.EnsureAntiAffinityRule, rule).Get(ctx, nil)
}

// waitAndRecord waits until every member is ready, then records each member's status
// and the set Ready.
func (w *clusterSetOp) waitAndRecord(ctx workflow.Context) error {
	req := antrea.WaitRequest{StatusRequest: w.statusRequest(), Timeout: clusterSetWait}
	var st antrea.Status
	if err := workflow.ExecuteActivity(with(ctx, antreaOptions), antreaActs.WaitClusterSet, req).Get(ctx, &st); err != nil {
		return err
	}
	var updates []invacts.MemberUpdate
	for _, m := range st.Members {
		c, err := w.cluster(m.Cluster)
		if err != nil {
			continue
		}
		updates = append(updates, invacts.MemberUpdate{SetID: w.setID, ClusterID: c.ID, State: domain.MemberJoined,
			Status: domain.ClusterSetMemberStatus{Ready: m.Ready, Message: m.Message, Imports: m.Imports,
				Gateway: domain.MemberGateway{Active: m.Gateway.Active, Candidates: m.Gateway.Candidates}}})
	}
	if err := workflow.ExecuteActivity(with(ctx, recordOptions), setRecords.RecordMembers, updates).Get(ctx, nil); err != nil {
		return err
	}
	return w.setPhase(ctx, domain.ClusterSetReady, "")
}

// leaveCluster takes a cluster out of the set on its clusters, removes its DRS rule and,
// for a member other than the leader, its record.
func (w *clusterSetOp) leaveCluster(ctx workflow.Context, c invacts.SetCluster) error {
	if c.Name != w.plan.Leader {
		if err := w.unregisterFromKubeSphere(ctx, c); err != nil {
			return err
		}
	}
	req := antrea.LeaveRequest{Set: w.plan.Name, Leader: w.leader(), Member: antrea.Cluster{ID: c.ID, Name: c.Name}}
	if err := workflow.ExecuteActivity(with(ctx, antreaOptions), antreaActs.LeaveMember, req).Get(ctx, nil); err != nil {
		return err
	}
	rule := vsphere.RuleRef{VCenterID: c.VCenterID, Placement: c.Placement, Name: vsphere.GatewayRuleName(c.Name)}
	if err := workflow.ExecuteActivity(with(ctx, vmOptions), vsphereActs.RemoveAntiAffinityRule, rule).Get(ctx, nil); err != nil {
		return err
	}
	if c.Name == w.plan.Leader {
		return nil // the leader leaves with its set
	}
	return workflow.ExecuteActivity(with(ctx, recordOptions), setRecords.RemoveMember,
		invacts.MemberRef{SetID: w.setID, ClusterID: c.ID}).Get(ctx, nil)
}

// registerInKubeSphere registers the clusters (but the leader) as members of the
// leader's KubeSphere, when the leader is a KubeSphere host; a cluster that is a host
// itself is left out.
func (w *clusterSetOp) registerInKubeSphere(ctx workflow.Context, clusters []invacts.SetCluster) error {
	actx := with(ctx, kubesphereOptions)
	leader := w.leader()
	host := kubesphere.Cluster{ID: leader.ID, Name: leader.Name}
	var isHost bool
	if err := workflow.ExecuteActivity(actx, ksActs.IsKubeSphereHost, host).Get(ctx, &isHost); err != nil {
		return err
	}
	if !isHost {
		return skip("the leader " + leader.Name + " is not a KubeSphere host")
	}
	for _, c := range clusters {
		if c.Name == w.plan.Leader {
			continue
		}
		member := kubesphere.Cluster{ID: c.ID, Name: c.Name}
		if err := workflow.ExecuteActivity(actx, ksActs.IsKubeSphereHost, member).Get(ctx, &isHost); err != nil || isHost {
			continue // a host is managed from itself; one that cannot say stays out as well
		}
		if err := workflow.ExecuteActivity(actx, ksActs.RegisterMember, kubesphere.MemberRequest{Host: host, Member: member}).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// unregisterFromKubeSphere removes a member's registration with the leader's KubeSphere,
// if the leader is a host (there is nothing to remove otherwise). A cluster provisioned
// as a KubeSphere member of the leader stays registered: that is its own spec's.
func (w *clusterSetOp) unregisterFromKubeSphere(ctx workflow.Context, c invacts.SetCluster) error {
	actx := with(ctx, kubesphereOptions)
	leader := w.leader()
	if c.KubeSphereHost == leader.Name {
		return nil
	}
	host := kubesphere.Cluster{ID: leader.ID, Name: leader.Name}
	var isHost bool
	if err := workflow.ExecuteActivity(actx, ksActs.IsKubeSphereHost, host).Get(ctx, &isHost); err != nil || !isHost {
		return err
	}
	return workflow.ExecuteActivity(actx, ksActs.UnregisterMember,
		kubesphere.MemberRequest{Host: host, Member: kubesphere.Cluster{ID: c.ID, Name: c.Name}}).Get(ctx, nil)
}

// disbandLeader removes the leader's side of the set and the set's record.
func (w *clusterSetOp) disbandLeader(ctx workflow.Context) error {
	req := antrea.LeaderRequest{Set: w.plan.Name, Leader: w.leader()}
	if err := workflow.ExecuteActivity(with(ctx, antreaOptions), antreaActs.DisbandLeader, req).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteActivity(with(ctx, recordOptions), setRecords.DeleteClusterSet, w.setID).Get(ctx, nil)
}

// undoForm removes what a failed or canceled form made, on a context that survives
// cancellation: each cluster it started to join leaves, the leader last, then the
// leader's side and the set's record go. Each undo step runs even when an earlier one
// failed.
func (w *clusterSetOp) undoForm(ctx workflow.Context, cause error) {
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	var errs []error
	for _, c := range leaderLast(w.made, w.plan.Leader) {
		errs = append(errs, w.op.undo(dctx, StepCompensateLeave+"-"+c.Name, func(ctx workflow.Context) error { return w.leaveCluster(ctx, c) }))
	}
	errs = append(errs, w.op.undo(dctx, StepCompensateDisband, w.disbandLeader))
	if err := errors.Join(errs...); err != nil {
		_ = w.setPhase(dctx, domain.ClusterSetFailed, "forming failed: "+message(cause)+"; clean-up incomplete: "+message(err))
	}
}

// undoJoin takes a member whose join failed for good or was canceled out again.
func (w *clusterSetOp) undoJoin(ctx workflow.Context, cause error) {
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	reason := "join failed: " + message(cause)
	if c, err := w.cluster(w.clusterID); err == nil {
		if err := w.op.undo(dctx, StepCompensateLeave+"-"+c.Name, func(ctx workflow.Context) error { return w.leaveCluster(ctx, c) }); err != nil {
			reason += "; clean-up incomplete: " + message(err)
		}
	}
	_ = w.setPhase(dctx, domain.ClusterSetReady, reason)
}

// failed records why a leave or disband failed for good.
func (w *clusterSetOp) failed(ctx workflow.Context, cause error) {
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	_ = w.setPhase(dctx, domain.ClusterSetDegraded, message(cause))
}

// setPhase records the set's phase.
func (w *clusterSetOp) setPhase(ctx workflow.Context, phase, reason string) error {
	return workflow.ExecuteActivity(with(ctx, recordOptions), setRecords.SetClusterSetPhase,
		invacts.SetPhaseUpdate{SetID: w.setID, Phase: phase, Reason: reason}).Get(ctx, nil)
}

// cluster returns the set's cluster by inventory id or name.
func (w *clusterSetOp) cluster(idOrName string) (invacts.SetCluster, error) {
	for _, c := range w.plan.Clusters {
		if c.ID == idOrName || c.Name == idOrName {
			return c, nil
		}
	}
	return invacts.SetCluster{}, temporal.NewNonRetryableApplicationError("cluster "+idOrName+" is not a member of clusterset "+w.plan.Name,
		invacts.ErrTypeClusterSetNotFound, nil)
}

// leader is the set's leader as the Antrea activities name it.
func (w *clusterSetOp) leader() antrea.Cluster {
	c, _ := w.cluster(w.plan.Leader)
	return antrea.Cluster{ID: c.ID, Name: c.Name}
}

// statusRequest names the set, its leader and every member.
func (w *clusterSetOp) statusRequest() antrea.StatusRequest {
	req := antrea.StatusRequest{Set: w.plan.Name, Leader: w.leader()}
	for _, c := range w.plan.Clusters {
		req.Members = append(req.Members, antrea.Cluster{ID: c.ID, Name: c.Name})
	}
	return req
}

// leaderLast is the set's clusters with the leader last.
func (w *clusterSetOp) leaderLast() []invacts.SetCluster {
	return leaderLast(w.plan.Clusters, w.plan.Leader)
}

func leaderLast(clusters []invacts.SetCluster, leader string) []invacts.SetCluster {
	out := slices.Clone(clusters)
	slices.SortStableFunc(out, func(a, b invacts.SetCluster) int {
		switch {
		case a.Name == leader && b.Name != leader:
			return 1
		case b.Name == leader && a.Name != leader:
			return -1
		}
		return 0
	})
	return out
}
