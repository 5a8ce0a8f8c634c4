package api

import (
	"context"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// BackupScheduleRequest asks, in a cluster's creation, for a backup schedule of the new
// cluster: a schedule of kind backup whose target is the cluster, created with the
// cluster and deleted with it.
type BackupScheduleRequest struct {
	Cron      string `json:"cron,omitempty"`
	Every     string `json:"every,omitempty"`
	Jitter    string `json:"jitter,omitempty"`
	Retention int    `json:"retention,omitempty"`
}

// scheduleInput is the schedule that b asks for of the cluster named cluster.
func (b *BackupScheduleRequest) scheduleInput(cluster string) domain.ScheduleInput {
	in := domain.ScheduleInput{Kind: domain.ScheduleBackup, Cluster: cluster, Cron: b.Cron, Every: b.Every, Jitter: b.Jitter,
		ScheduleParams: domain.ScheduleParams{Retention: b.Retention}}
	in.Defaults()
	return in
}

// checkBackupSchedule validates the backup schedule a cluster request asks for, if any;
// its fields are named under backup_schedule.
func (a *API) checkBackupSchedule(b *BackupScheduleRequest, cluster string) error {
	if b == nil {
		return nil
	}
	var v domain.ValidationError
	if a.schedules == nil {
		v.Add("backup_schedule", "schedules are not available on this server")
		return v.Err()
	}
	in := b.scheduleInput(cluster)
	if err := in.Validate(); err != nil {
		fields, ok := domain.AsValidation(err)
		if !ok {
			return err
		}
		for _, f := range fields.Fields {
			if f.Field == "cluster" {
				continue // the cluster's name is checked as name
			}
			v.Add("backup_schedule."+f.Field, "%s", f.Message)
		}
	}
	return v.Err()
}

// createBackupSchedule creates the backup schedule of the new cluster c that the request
// asks for; nothing when it asks for none.
func (a *API) createBackupSchedule(ctx context.Context, b *BackupScheduleRequest, c domain.Cluster) (string, error) {
	if b == nil {
		return "", nil
	}
	sc, err := a.schedules.Create(ctx, b.scheduleInput(c.Name), actorName(ctx))
	return sc.ID, err
}

// startProvision creates the new cluster's backup schedule, when asked for, and starts
// its provisioning; when the provisioning does not start, the schedule is deleted again.
func (a *API) startProvision(ctx context.Context, c domain.Cluster, spec domain.ClusterSpec, policy domain.FailurePolicy,
	backups *BackupScheduleRequest) (domain.Operation, error) {
	scheduleID, err := a.createBackupSchedule(ctx, backups, c)
	if err != nil {
		return domain.Operation{}, err
	}
	started, err := a.startClusterOperation(ctx, domain.OpProvisionCluster, c, policy, workflows.ProvisionCluster, func(opID string) any {
		return workflows.ProvisionClusterInput{OperationID: opID, ClusterID: c.ID, VCenterID: c.VCenterID, Spec: spec, Policy: policy}
	})
	if err != nil && scheduleID != "" {
		if derr := a.schedules.Delete(context.WithoutCancel(ctx), scheduleID); derr != nil {
			a.logger.ErrorContext(ctx, "remove the backup schedule of a cluster whose provisioning did not start", "cluster", c.Name, "error", derr)
		}
	}
	return started, err
}
