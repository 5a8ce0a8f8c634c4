package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/activities/kubesphere"
)

// Step names of a cluster provisioned as a KubeSphere member of a host: it registers at
// the end of its provision and is removed from the host first when it is deleted.
// StepRegisterKubeSphere (register-in-kubesphere) is shared with the ClusterSet steps.
const StepUnregisterKubeSphere = "unregister-from-kubesphere"

// kubesphereHostOf reads the KubeSphere host the cluster's spec makes it a member of.
func kubesphereHostOf(ctx workflow.Context, clusterID string) (invacts.KubeSphereMembership, error) {
	var host invacts.KubeSphereMembership
	err := workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.KubeSphereHostOf, clusterID).Get(ctx, &host)
	return host, err
}

// registerWithKubeSphereHost registers a cluster provisioned as a KubeSphere member with
// the host its spec names. A host that is gone or no KubeSphere host any more fails the
// step without retry: the provision's preflight found it Ready.
func registerWithKubeSphereHost(ctx workflow.Context, clusterID string) error {
	m, err := kubesphereHostOf(ctx, clusterID)
	if err != nil {
		return err
	}
	if m.HostID == "" {
		return temporal.NewNonRetryableApplicationError("the KubeSphere host "+m.Host+" no longer exists", kubesphere.ErrTypeNotHost, nil)
	}
	req := kubesphere.MemberRequest{Host: kubesphere.Cluster{ID: m.HostID, Name: m.Host}, Member: kubesphere.Cluster{ID: clusterID, Name: m.Member}}
	return workflow.ExecuteActivity(with(ctx, kubesphereOptions), ksActs.RegisterMember, req).Get(ctx, nil)
}

// unregisterFromKubeSphereHost removes a cluster being deleted from the KubeSphere host
// its spec names; nothing to do (the step is skipped) when the spec names none, or the
// host is gone or no longer a KubeSphere host. The member is left alone: it goes next.
func (w *deleteCluster) unregisterFromKubeSphereHost(ctx workflow.Context) error {
	m, err := kubesphereHostOf(ctx, w.in.ClusterID)
	if err != nil || m.Host == "" {
		return err
	}
	return w.op.step(ctx, StepUnregisterKubeSphere, func(ctx workflow.Context) error {
		if m.HostID == "" {
			return skip("the KubeSphere host " + m.Host + " no longer exists")
		}
		h := kubesphere.Cluster{ID: m.HostID, Name: m.Host}
		actx := with(ctx, kubesphereOptions)
		var isHost bool
		if err := workflow.ExecuteActivity(actx, ksActs.IsKubeSphereHost, h).Get(ctx, &isHost); err != nil {
			return err
		}
		if !isHost {
			return skip(m.Host + " is no longer a KubeSphere host")
		}
		req := kubesphere.MemberRequest{Host: h, Member: kubesphere.Cluster{ID: w.in.ClusterID, Name: m.Member}, MemberGone: true}
		return workflow.ExecuteActivity(actx, ksActs.UnregisterMember, req).Get(ctx, nil)
	})
}
