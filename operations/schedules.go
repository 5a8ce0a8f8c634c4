package operations

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/activities/schedules"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/workflows"
)

// KindStarter starts the operation of one schedule kind on one cluster. op arrives with
// its target, actor ("schedule:<id>"), workflow id (the cluster's) and failure policy
// (compensate: nobody is there to decide) set; the starter sets op.Kind and starts the
// kind's workflow with s.Start(ctx, op, fn, input), passing params into the input.
type KindStarter func(ctx context.Context, s *Service, op domain.Operation, params domain.ScheduleParams) (domain.Operation, error)

// Schedules keeps Day-2 schedules: the inventory holds the record, Temporal the schedule
// (id workflows.ScheduleID), whose action runs workflows.ScheduledRun. It also starts
// the operations of scheduled runs, for the kinds registered with Register.
type Schedules struct {
	Store      *inventory.Store
	Temporal   client.Client
	Operations *Service
	Logger     *slog.Logger

	mu    sync.RWMutex
	kinds map[string]KindStarter
}

// Register makes kind available to schedules: its runs start operations with start. The
// app registers every kind it runs before it serves. A nil start takes the kind away
// again (tests use it).
func (s *Schedules) Register(kind string, start KindStarter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kinds == nil {
		s.kinds = map[string]KindStarter{}
	}
	if start == nil {
		delete(s.kinds, kind)
		return
	}
	s.kinds[kind] = start
}

// Kinds lists the registered kinds in order.
func (s *Schedules) Kinds() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for k := range s.kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (s *Schedules) starter(kind string) KindStarter {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.kinds[kind]
}

// Create validates in, records the schedule and creates its Temporal schedule; when that
// fails the record is removed. A kind this server has not registered, or a cluster that
// does not exist, is a validation error.
func (s *Schedules) Create(ctx context.Context, in domain.ScheduleInput, actor string) (domain.Schedule, error) {
	in.Defaults()
	if err := in.Validate(); err != nil {
		return domain.Schedule{}, err
	}
	var v domain.ValidationError
	if s.starter(in.Kind) == nil {
		v.Add("kind", "%s is not available on this server (available: %s)", in.Kind, strings.Join(s.Kinds(), ", "))
	}
	if in.Cluster != domain.AllClusters {
		if _, err := s.Store.GetCluster(ctx, in.Cluster); errors.Is(err, domain.ErrNotFound) {
			v.Add("cluster", "no cluster named %q", in.Cluster)
		} else if err != nil {
			return domain.Schedule{}, err
		}
	}
	if err := v.Err(); err != nil {
		return domain.Schedule{}, err
	}
	sc, err := s.Store.CreateSchedule(ctx, in, actor)
	if err != nil {
		return sc, err
	}
	if err := s.createTemporal(ctx, sc); err != nil {
		if derr := s.Store.DeleteSchedule(context.WithoutCancel(ctx), sc.ID); derr != nil {
			s.Logger.Error("remove schedule whose Temporal schedule was not created", "schedule", sc.ID, "error", derr)
		}
		return sc, err
	}
	return s.Get(ctx, sc.ID)
}

// createTemporal creates the Temporal schedule of the record sc.
func (s *Schedules) createTemporal(ctx context.Context, sc domain.Schedule) error {
	spec := client.ScheduleSpec{Jitter: sc.JitterDuration()}
	if sc.Cron != "" {
		spec.CronExpressions = []string{sc.Cron}
	} else {
		spec.Intervals = []client.ScheduleIntervalSpec{{Every: sc.EveryDuration()}}
	}
	_, err := s.Temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   workflows.ScheduleID(sc.ID),
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID: workflows.ScheduledRunWorkflowID(sc.ID), Workflow: workflows.ScheduledRun, TaskQueue: workflows.TaskQueue,
			Args: []any{workflows.ScheduledRunInput{ScheduleID: sc.ID, Kind: sc.Kind, Cluster: sc.Cluster, Params: sc.ScheduleParams}},
		},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Paused:  sc.Paused,
		Note:    fmt.Sprintf("%s of %s, created by %s", sc.Kind, sc.Cluster, sc.CreatedBy),
	})
	if err != nil {
		return fmt.Errorf("create Temporal schedule of %s: %w", sc.ID, err)
	}
	return nil
}

// Get returns the schedule with its next runs from Temporal.
func (s *Schedules) Get(ctx context.Context, id string) (domain.Schedule, error) {
	sc, err := s.Store.GetSchedule(ctx, id)
	if err != nil {
		return sc, err
	}
	s.describe(ctx, &sc)
	return sc, nil
}

// List returns a page of schedules with their next runs from Temporal.
func (s *Schedules) List(ctx context.Context, f inventory.ScheduleFilter, page inventory.Page) ([]domain.Schedule, string, error) {
	list, next, err := s.Store.ListSchedules(ctx, f, page)
	for i := range list {
		s.describe(ctx, &list[i])
	}
	return list, next, err
}

// describe fills sc's next runs from its Temporal schedule; a schedule Temporal cannot
// describe shows none (the reconcile at start recreates a missing one).
func (s *Schedules) describe(ctx context.Context, sc *domain.Schedule) {
	d, err := s.Temporal.ScheduleClient().GetHandle(ctx, workflows.ScheduleID(sc.ID)).Describe(ctx)
	if err != nil {
		s.Logger.Warn("describe Temporal schedule", "schedule", sc.ID, "error", err)
		return
	}
	if !d.Schedule.State.Paused {
		sc.NextRuns = append(sc.NextRuns, d.Info.NextActionTimes...)
	}
}

// SetPaused pauses or unpauses the schedule in Temporal and in its record. A Temporal
// schedule found missing is created again.
func (s *Schedules) SetPaused(ctx context.Context, id string, paused bool, actor string) (domain.Schedule, error) {
	sc, err := s.Store.GetSchedule(ctx, id)
	if err != nil {
		return sc, err
	}
	note := "unpaused by " + actor
	if paused {
		note = "paused by " + actor
	}
	h := s.Temporal.ScheduleClient().GetHandle(ctx, workflows.ScheduleID(id))
	if paused {
		err = h.Pause(ctx, client.SchedulePauseOptions{Note: note})
	} else {
		err = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: note})
	}
	sc.Paused = paused
	if isNotFound(err) {
		err = s.createTemporal(ctx, sc)
	}
	if err != nil {
		return sc, fmt.Errorf("%s Temporal schedule of %s: %w", note[:strings.Index(note, " ")], id, err)
	}
	if err := s.Store.SetSchedulePaused(ctx, id, paused); err != nil {
		return sc, err
	}
	return s.Get(ctx, id)
}

// Trigger starts a run of the schedule now, even while paused (unless one runs: skip).
func (s *Schedules) Trigger(ctx context.Context, id string) error {
	sc, err := s.Store.GetSchedule(ctx, id)
	if err != nil {
		return err
	}
	h := s.Temporal.ScheduleClient().GetHandle(ctx, workflows.ScheduleID(id))
	opts := client.ScheduleTriggerOptions{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP}
	err = h.Trigger(ctx, opts)
	if isNotFound(err) {
		if err = s.createTemporal(ctx, sc); err == nil {
			err = h.Trigger(ctx, opts)
		}
	}
	if err != nil {
		return fmt.Errorf("trigger Temporal schedule of %s: %w", id, err)
	}
	return nil
}

// Delete removes the Temporal schedule, then the record.
func (s *Schedules) Delete(ctx context.Context, id string) error {
	if _, err := s.Store.GetSchedule(ctx, id); err != nil {
		return err
	}
	if err := s.deleteTemporal(ctx, workflows.ScheduleID(id)); err != nil {
		return err
	}
	return s.Store.DeleteSchedule(ctx, id)
}

func (s *Schedules) deleteTemporal(ctx context.Context, temporalID string) error {
	err := s.Temporal.ScheduleClient().GetHandle(ctx, temporalID).Delete(ctx)
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete Temporal schedule %s: %w", temporalID, err)
	}
	return nil
}

// DeleteClusterSchedules deletes the schedules of the cluster named name (not the "*"
// ones), when the cluster is deleted, and returns their ids.
func (s *Schedules) DeleteClusterSchedules(ctx context.Context, name string) ([]string, error) {
	list, err := s.Store.ClusterSchedules(ctx, name)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, sc := range list {
		if err := s.Delete(ctx, sc.ID); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return ids, err
		}
		ids = append(ids, sc.ID)
	}
	return ids, nil
}

// ReconcileResult is what a reconcile changed in Temporal, by schedule id.
type ReconcileResult struct {
	Created  []string // records without a Temporal schedule
	Deleted  []string // Temporal schedules (their full ids) without a record
	Paused   []string // Temporal schedules paused to match their record
	Unpaused []string
}

// Reconcile makes Temporal hold exactly the recorded schedules: it creates the missing
// ones, deletes those with Clusterwright's id prefix that have no record, and aligns
// the paused state with the record.
func (s *Schedules) Reconcile(ctx context.Context) (ReconcileResult, error) {
	var res ReconcileResult
	records, err := s.Store.AllSchedules(ctx)
	if err != nil {
		return res, err
	}
	known := map[string]bool{}
	for _, sc := range records {
		known[workflows.ScheduleID(sc.ID)] = true
		h := s.Temporal.ScheduleClient().GetHandle(ctx, workflows.ScheduleID(sc.ID))
		d, err := h.Describe(ctx)
		switch {
		case isNotFound(err):
			if err := s.createTemporal(ctx, sc); err != nil {
				return res, err
			}
			res.Created = append(res.Created, sc.ID)
		case err != nil:
			return res, fmt.Errorf("describe Temporal schedule of %s: %w", sc.ID, err)
		case d.Schedule.State.Paused && !sc.Paused:
			if err := h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: "reconciled with the inventory"}); err != nil {
				return res, fmt.Errorf("unpause Temporal schedule of %s: %w", sc.ID, err)
			}
			res.Unpaused = append(res.Unpaused, sc.ID)
		case !d.Schedule.State.Paused && sc.Paused:
			if err := h.Pause(ctx, client.SchedulePauseOptions{Note: "reconciled with the inventory"}); err != nil {
				return res, fmt.Errorf("pause Temporal schedule of %s: %w", sc.ID, err)
			}
			res.Paused = append(res.Paused, sc.ID)
		}
	}
	it, err := s.Temporal.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 100})
	if err != nil {
		return res, fmt.Errorf("list Temporal schedules: %w", err)
	}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return res, fmt.Errorf("list Temporal schedules: %w", err)
		}
		if !strings.HasPrefix(e.ID, workflows.SchedulePrefix) || known[e.ID] {
			continue
		}
		if err := s.deleteTemporal(ctx, e.ID); err != nil {
			return res, err
		}
		res.Deleted = append(res.Deleted, e.ID)
	}
	return res, nil
}

// StartScheduled starts the operation of a scheduled run on one cluster, with the kind's
// registered starter, as the schedule and compensating at once on failure. It implements
// schedules.Starter.
func (s *Schedules) StartScheduled(ctx context.Context, req schedules.StartRequest) (domain.Operation, error) {
	start := s.starter(req.Kind)
	if start == nil {
		return domain.Operation{}, temporal.NewNonRetryableApplicationError(
			"schedule kind "+req.Kind+" is not available on this server", schedules.ErrTypeUnknownKind, nil)
	}
	op := domain.Operation{
		Target:     domain.Target{Kind: "cluster", ID: req.Cluster.ID, Name: req.Cluster.Name},
		Actor:      schedules.Actor(req.ScheduleID),
		WorkflowID: workflows.ClusterWorkflowID(req.Cluster.ID),
		FailurePolicy: domain.FailurePolicy{OnFailure: domain.OnFailureCompensate,
			DecisionTimeout: domain.DefaultDecisionTimeout.String()},
	}
	return start(ctx, s.Operations, op, req.Params)
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
