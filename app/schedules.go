package app

import (
	"context"

	"github.com/clusterwright/clusterwright/operations"
)

// registerScheduleKinds registers the operation each schedule kind starts. A kind not
// registered here is refused by POST /api/v1/schedules. To add one, register a starter
// that names the operation kind and starts its workflow, e.g.:
//
//	s.Register(domain.ScheduleBackup, func(ctx context.Context, ops *operations.Service, op domain.Operation, p domain.ScheduleParams) (domain.Operation, error) {
//		op.Kind = domain.OpBackupCluster
//		return ops.Start(ctx, op, workflows.BackupCluster, func(id string) any {
//			return workflows.BackupClusterInput{OperationID: id, ClusterID: op.Target.ID, Retention: p.Retention, Policy: op.FailurePolicy}
//		})
//	})
func registerScheduleKinds(s *operations.Schedules) {
	// The backup and certificate workflows are not on this branch yet: no kind is
	// registered.
	_ = s
}

// ReconcileSchedules makes Temporal hold exactly the schedules the inventory records (see
// operations.Schedules.Reconcile); run at start-up. A failure is logged: the process still
// serves, and the next start reconciles again.
func (a *App) ReconcileSchedules(ctx context.Context) {
	res, err := a.Schedules.Reconcile(ctx)
	if err != nil {
		a.Logger.Error("reconcile schedules with Temporal", "error", err)
		return
	}
	if len(res.Created)+len(res.Deleted)+len(res.Paused)+len(res.Unpaused) > 0 {
		a.Logger.Info("reconciled schedules with Temporal", "created", res.Created, "deleted", res.Deleted,
			"paused", res.Paused, "unpaused", res.Unpaused)
	}
}
