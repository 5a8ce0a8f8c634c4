package app

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/activities/schedules"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/operations"
	"github.com/clusterwright/clusterwright/workflows"
)

// registerScheduleKinds registers the operation each schedule kind starts. A kind not
// registered here is refused by POST /api/v1/schedules. A starter gets the operation
// with its target, actor, workflow id and failure policy (compensate: nobody is there
// to decide) set, names the operation kind and starts its workflow.
func registerScheduleKinds(s *operations.Schedules) {
	s.Register(domain.ScheduleCertificateCheck, startCertificateCheck)
	s.Register(domain.ScheduleCertificateRenewal, startCertificateRenewal)
	s.Register(domain.ScheduleBackup, startBackup)
	s.Register(domain.ScheduleClusterHealth, refuseHealthOperation)
}

// refuseHealthOperation is the starter of cluster-health, which starts no operation:
// its runs check clusters themselves (workflows.ScheduledRun), so this is never called.
func refuseHealthOperation(context.Context, *operations.Service, domain.Operation, domain.ScheduleParams) (domain.Operation, error) {
	return domain.Operation{}, temporal.NewNonRetryableApplicationError(
		"cluster-health runs health checks, not operations", schedules.ErrTypeUnknownKind, nil)
}

// startBackup backs the target cluster up to the default target, keeping the
// schedule's retention of newest backups.
func startBackup(ctx context.Context, ops *operations.Service, op domain.Operation, p domain.ScheduleParams) (domain.Operation, error) {
	op.Kind = domain.OpBackupCluster
	return ops.Start(ctx, op, workflows.BackupCluster, func(id string) any {
		return workflows.BackupInput{OperationID: id, ClusterID: op.Target.ID, Retention: p.Retention, Policy: op.FailurePolicy}
	})
}

// startCertificateCheck starts a certificate check of the target cluster.
func startCertificateCheck(ctx context.Context, ops *operations.Service, op domain.Operation, _ domain.ScheduleParams) (domain.Operation, error) {
	op.Kind = domain.OpCheckCertificates
	return ops.Start(ctx, op, workflows.CheckCertificates, func(id string) any {
		return workflows.CertificatesInput{OperationID: id, ClusterID: op.Target.ID, Policy: op.FailurePolicy}
	})
}

// startCertificateRenewal renews the target cluster's certificates when its earliest
// certificate, as the last check recorded it, has fewer than RenewBeforeDays left;
// otherwise, or when no check has recorded one, the cluster is skipped with the reason.
func startCertificateRenewal(ctx context.Context, ops *operations.Service, op domain.Operation, p domain.ScheduleParams) (domain.Operation, error) {
	c, err := ops.Store.GetClusterByID(ctx, op.Target.ID)
	if err != nil {
		return op, fmt.Errorf("cluster %s: %w", op.Target.Name, err)
	}
	if c.CertificateExpiry == nil {
		return op, &domain.NotDueError{Reason: "no certificate check has recorded the expiry yet; schedule a certificate-check"}
	}
	left := time.Until(*c.CertificateExpiry)
	if left >= time.Duration(p.RenewBeforeDays)*24*time.Hour {
		return op, &domain.NotDueError{Reason: fmt.Sprintf("certificates expire in %d days, renewal at fewer than %d", int(left.Hours()/24), p.RenewBeforeDays)}
	}
	op.Kind = domain.OpRenewCertificates
	return ops.Start(ctx, op, workflows.RenewCertificates, func(id string) any {
		return workflows.CertificatesInput{OperationID: id, ClusterID: op.Target.ID, Policy: op.FailurePolicy}
	})
}
