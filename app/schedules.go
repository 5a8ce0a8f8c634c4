package app

import (
	"context"
	"fmt"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// ReconcileSchedules creates the default cluster-health schedule when there is none,
// then makes Temporal hold exactly the schedules the inventory records (see
// operations.Schedules.Reconcile); run at start-up. A failure is logged: the process
// still serves, and the next start reconciles again.
func (a *App) ReconcileSchedules(ctx context.Context) {
	if err := a.EnsureHealthSchedule(ctx); err != nil {
		a.Logger.Error("create the default cluster-health schedule", "error", err)
	}
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

// HealthScheduleCreator is the created_by of the default cluster-health schedule.
const HealthScheduleCreator = "system"

// EnsureHealthSchedule creates the cluster-health schedule of every cluster ("*"),
// every health-interval, unless one exists (an existing one is left as it is: paused,
// or with another interval) or the interval is 0.
func (a *App) EnsureHealthSchedule(ctx context.Context) error {
	every, err := a.Config.healthInterval()
	if err != nil || every == 0 {
		return err
	}
	existing, _, err := a.Store.ListSchedules(ctx,
		inventory.ScheduleFilter{Cluster: domain.AllClusters, Kind: domain.ScheduleClusterHealth}, inventory.Page{Limit: 1})
	if err != nil {
		return fmt.Errorf("look for a cluster-health schedule: %w", err)
	}
	if len(existing) > 0 {
		return nil
	}
	sc, err := a.Schedules.Create(ctx, domain.ScheduleInput{Kind: domain.ScheduleClusterHealth, Cluster: domain.AllClusters,
		Every: every.String()}, HealthScheduleCreator)
	if err != nil {
		return err
	}
	a.Logger.Info("created the default cluster-health schedule", "schedule", sc.ID, "every", sc.Every)
	return nil
}
