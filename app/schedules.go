package app

import (
	"context"
)

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
