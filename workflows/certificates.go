package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/domain"
)

// nodeActs is the activities handle used to name node (SSH) activities; it is never called.
var nodeActs *nodes.Activities

// CertificatesInput names the cluster whose certificates are checked or renewed.
type CertificatesInput struct {
	OperationID string `json:"operation_id"`
	ClusterID   string `json:"cluster_id"`
	// Policy says what a failed step does: wait for a decision (the default) or end the
	// operation at once.
	Policy domain.FailurePolicy `json:"policy"`
}

// Step names of CheckCertificates and RenewCertificates. Per control-plane node, the
// steps are named StepCheckNode + "-<node>" and StepRenewNode + "-<node>".
const (
	StepReadNodes              = "read-nodes"
	StepReadServingCertificate = "read-serving-certificate"
	StepCheckNode              = "check"
	StepCheckAPIServer         = "check-api-server"
	StepCheckServiceKubeconfig = "check-service-kubeconfig"
	StepRecordCertificates     = "record"
	StepRenewNode              = "renew"
	StepReissueKubeconfig      = "re-issue-kubeconfig"
	StepVerifyRenewal          = "verify"
)

// nodeOptions: one or a few commands on a node over SSH. A renewal restarts four static
// Pods one at a time, each after the kubelet noticed its manifest gone (20 s on a real
// node) and the container stopped (up to its grace period), so a node may take minutes;
// the heartbeat notices a lost worker long before the timeout. (Timeouts are not part
// of a workflow's replayed commands: changing them needs no version guard.)
var nodeOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 15 * time.Minute,
	HeartbeatTimeout:    heartbeatTimeout,
	RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 3},
}

// CheckCertificates reads every certificate of a cluster — on each control-plane node
// what kubeadm manages (and the CAs), the API server's serving certificate as it
// presents it over TLS, the client certificate of the service's own admin kubeconfig —
// and records them in the inventory, replacing the last check's. The cluster's phase
// does not change.
func CheckCertificates(ctx workflow.Context, in CertificatesInput) (err error) {
	w := &certificates{in: in, op: newOperation(in.OperationID, in.Policy)}
	if err := w.op.begin(ctx); err != nil {
		return err
	}
	defer func() {
		if ferr := w.op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if err := w.readNodes(ctx); err != nil {
		return err
	}
	return w.op.steps(ctx, w.checkSteps())
}

// RenewCertificates renews the certificates of a cluster's control plane, one node at
// a time so that the cluster never loses its API server: on each node `kubeadm certs
// renew all` and a restart of its control plane, then a wait until that node's API
// server answers with a serving certificate that expires later than before. Then it
// re-issues the service's own admin kubeconfig, verifies over TLS at the endpoint, and
// checks and records every certificate as CheckCertificates does. The cluster is
// Updating meanwhile and Ready again after (also when the renewal fails: the API
// servers keep serving, and the failure is the operation's).
func RenewCertificates(ctx workflow.Context, in CertificatesInput) (err error) {
	w := &certificates{in: in, op: newOperation(in.OperationID, in.Policy)}
	if err := w.op.begin(ctx); err != nil {
		return err
	}
	defer func() {
		if ferr := w.op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if err := setPhase(ctx, in.ClusterID, domain.PhaseUpdating, "renewing certificates"); err != nil {
		return err
	}
	if err = w.renew(ctx); err != nil {
		dctx, cancel := workflow.NewDisconnectedContext(ctx)
		defer cancel()
		_ = setPhase(dctx, in.ClusterID, domain.PhaseReady, "certificate renewal failed: "+message(err))
		return err
	}
	return setPhase(ctx, in.ClusterID, domain.PhaseReady, "")
}

// certificates is the state of a check or a renewal.
type certificates struct {
	in  CertificatesInput
	op  *operation
	cps []domain.Node
	// before is the API server's serving certificate at the endpoint before a renewal.
	before domain.Certificate
	// found are the certificates checked so far, for the record step.
	found []domain.Certificate
}

// readNodes reads the cluster's control-plane nodes.
func (w *certificates) readNodes(ctx workflow.Context) error {
	return w.op.step(ctx, StepReadNodes, func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.ControlPlaneNodes, w.in.ClusterID).Get(ctx, &w.cps)
	})
}

// renew runs the renewal's steps, then the check's. It first reads the serving
// certificate the API server presents at the endpoint, which the verify step compares
// with the one it presents after.
func (w *certificates) renew(ctx workflow.Context) error {
	if err := w.readNodes(ctx); err != nil {
		return err
	}
	if err := w.op.step(ctx, StepReadServingCertificate, func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.ServingCertificate,
			kube.ServingCertificateInput{ClusterID: w.in.ClusterID, Wait: true}).Get(ctx, &w.before)
	}); err != nil {
		return err
	}
	var steps []namedStep
	for _, n := range w.cps {
		steps = append(steps, namedStep{StepRenewNode + "-" + n.Name, func(ctx workflow.Context) error { return w.renewNode(ctx, n) }})
	}
	steps = append(steps,
		namedStep{StepReissueKubeconfig, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.ReissueAdminKubeconfig, w.in.ClusterID).Get(ctx, nil)
		}},
		namedStep{StepVerifyRenewal, func(ctx workflow.Context) error {
			// The new admin kubeconfig reaches the API server, which presents a
			// certificate that expires later than before.
			if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.WaitAPIServer, w.in.ClusterID).Get(ctx, nil); err != nil {
				return err
			}
			var after domain.Certificate
			if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.ServingCertificate,
				kube.ServingCertificateInput{ClusterID: w.in.ClusterID}).Get(ctx, &after); err != nil {
				return err
			}
			if !after.NotAfter.After(w.before.NotAfter) {
				return temporal.NewNonRetryableApplicationError(fmt.Sprintf("the API server's certificate expires %s, not later than before the renewal (%s)",
					after.NotAfter.Format(time.RFC3339), w.before.NotAfter.Format(time.RFC3339)), kube.ErrTypeNotRenewed, nil)
			}
			return nil
		}},
	)
	if err := w.op.steps(ctx, steps); err != nil {
		return err
	}
	return w.op.steps(ctx, w.checkSteps())
}

// renewNode renews the certificates of one control-plane node and restarts its control
// plane, then waits until the node's API server answers with a serving certificate that
// expires later than the one it served before.
func (w *certificates) renewNode(ctx workflow.Context, n domain.Node) error {
	var before domain.Certificate
	if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.ServingCertificate,
		kube.ServingCertificateInput{ClusterID: w.in.ClusterID, Host: n.IP, Wait: true}).Get(ctx, &before); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(with(ctx, nodeOptions), nodeActs.RenewCertificates, w.nodeRef(n)).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.ServingCertificate, kube.ServingCertificateInput{
		ClusterID: w.in.ClusterID, Host: n.IP, Wait: true, NotAfterBeyond: before.NotAfter}).Get(ctx, nil)
}

// checkSteps read every certificate, then record them.
func (w *certificates) checkSteps() []namedStep {
	var steps []namedStep
	for _, n := range w.cps {
		steps = append(steps, namedStep{StepCheckNode + "-" + n.Name, func(ctx workflow.Context) error {
			var infos []nodes.CertificateInfo
			if err := workflow.ExecuteActivity(with(ctx, nodeOptions), nodeActs.CertificateExpiration, w.nodeRef(n)).Get(ctx, &infos); err != nil {
				return err
			}
			now := workflow.Now(ctx).UTC()
			for _, c := range infos {
				if c.Missing {
					continue
				}
				ca := c.CAName
				if c.Authority {
					ca = c.Name
				}
				w.found = append(w.found, domain.Certificate{Node: n.Name, Name: c.Name, CAName: ca, Authority: c.Authority,
					NotAfter: c.NotAfter, DaysLeft: c.DaysLeft, Source: domain.CertSourceKubeadm, CheckedAt: now})
			}
			return nil
		}})
	}
	return append(steps,
		namedStep{StepCheckAPIServer, func(ctx workflow.Context) error {
			return w.collect(ctx, workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.ServingCertificate,
				kube.ServingCertificateInput{ClusterID: w.in.ClusterID}))
		}},
		namedStep{StepCheckServiceKubeconfig, func(ctx workflow.Context) error {
			return w.collect(ctx, workflow.ExecuteActivity(with(ctx, recordOptions), kubeActs.AdminClientCertificate, w.in.ClusterID))
		}},
		namedStep{StepRecordCertificates, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.RecordCertificates,
				invacts.CertificatesUpdate{ClusterID: w.in.ClusterID, Certificates: w.found}).Get(ctx, nil)
		}},
	)
}

// collect keeps the certificate that f returns.
func (w *certificates) collect(ctx workflow.Context, f workflow.Future) error {
	var c domain.Certificate
	if err := f.Get(ctx, &c); err != nil {
		return err
	}
	w.found = append(w.found, c)
	return nil
}

// nodeRef is how the node activities reach a control-plane node.
func (w *certificates) nodeRef(n domain.Node) nodes.NodeRef {
	return nodes.NodeRef{ClusterID: w.in.ClusterID, Node: n.Name, Address: n.IP}
}
