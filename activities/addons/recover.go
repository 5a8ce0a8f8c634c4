package addons

import (
	"fmt"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// abandonGrace is how long past its timeout a release may stay pending
// before Apply takes the operation that left it so for dead: a live Helm
// operation holds a pending state at most for its timeout (waiting, hooks)
// plus the time to apply the objects.
const abandonGrace = time.Minute

// interrupted reports a release left mid-operation.
func interrupted(r *release.Release) bool {
	return r.Info.Status.IsPending() || r.Info.Status == release.StatusUninstalling
}

// recover returns an interrupted release to a state Apply can work from
// (see Apply) and returns its newest revision afterwards, nil when the
// release is gone. A release that may still be in the hands of a live
// operation is left alone: ErrReleaseBusy.
func (op *operation) recover(last *release.Release) (*release.Release, error) {
	since := last.Info.LastDeployed.Time
	if last.Info.Status == release.StatusUninstalling && !last.Info.Deleted.IsZero() {
		since = last.Info.Deleted.Time
	}
	if age := time.Since(since); age < op.rel.Timeout+abandonGrace {
		return nil, fmt.Errorf("%w: revision %d is %s since %s ago, another operation may still be running",
			ErrReleaseBusy, last.Version, last.Info.Status, age.Round(time.Second))
	}
	op.recovered = true
	op.log.Warn("recovering a release left by an interrupted operation",
		"status", last.Info.Status.String(), "revision", last.Version, "since", since)

	if st := last.Info.Status; st == release.StatusPendingUpgrade || st == release.StatusPendingRollback {
		if good, err := op.lastGood(last.Version); err != nil {
			return nil, err
		} else if good != nil {
			rb := action.NewRollback(op.cfg)
			rb.Version = good.Version
			rb.Timeout = op.rel.Timeout
			rb.MaxHistory = MaxHistory
			if err := rb.Run(op.rel.Name); err != nil {
				return nil, classifyKube(fmt.Errorf("roll back interrupted revision %d to revision %d: %w", last.Version, good.Version, err))
			}
			op.log.Info("rolled back to the last good revision", "revision", good.Version)
			return op.last()
		}
	}
	un := action.NewUninstall(op.cfg)
	un.Timeout = op.rel.Timeout
	un.IgnoreNotFound = true
	if _, err := un.Run(op.rel.Name); err != nil {
		return nil, classifyKube(fmt.Errorf("uninstall interrupted revision %d: %w", last.Version, err))
	}
	op.log.Info("uninstalled the interrupted release; installing afresh")
	return op.last()
}

// lastGood returns the newest revision before revision that was deployed
// (deployed or superseded), or nil.
func (op *operation) lastGood(before int) (*release.Release, error) {
	history, err := op.cfg.Releases.History(op.rel.Name)
	if err != nil {
		return nil, classifyKube(fmt.Errorf("read release history: %w", err))
	}
	good := releaseutil.FilterFunc(func(r *release.Release) bool {
		return r.Version < before && (r.Info.Status == release.StatusDeployed || r.Info.Status == release.StatusSuperseded)
	}).Filter(history)
	if len(good) == 0 {
		return nil, nil
	}
	releaseutil.Reverse(good, releaseutil.SortByRevision)
	return good[0], nil
}
