package addons

import (
	"context"
	"fmt"
	"log/slog"

	"helm.sh/helm/v3/pkg/release"
)

// Apply makes the release rel in the cluster of kubeconfig match rel:
//
//   - no release yet (or one uninstalled with its history kept): install;
//   - a deployed release with the same chart version and values: nothing is
//     done (no new revision); with rel.Wait it still waits for readiness;
//   - otherwise: upgrade, with exactly rel.Values (earlier values are not
//     reused). A failed release is upgraded like a deployed one, which is
//     Helm's own way out of a failed install or upgrade.
//
// A release left pending-install, pending-upgrade, pending-rollback or
// uninstalling by an operation that never finished (a worker that crashed)
// is recovered first, once it is older than rel.Timeout plus a minute, the
// longest a live operation can hold it; a younger one fails with
// ErrReleaseBusy, to be retried. A pending upgrade or rollback is rolled
// back to the newest good revision (Helm's documented remedy, `helm
// rollback`); a pending install, an interrupted uninstall, or a pending
// upgrade without a good revision to return to is uninstalled, and the
// release then installed afresh.
//
// A failed upgrade (e.g. objects not ready within rel.Timeout) deletes the
// objects it created (Helm's --cleanup-on-fail) and leaves the release
// failed; the next Apply upgrades it again. As always with Helm, the CRDs
// of a chart's crds/ directory are created at install and never upgraded.
//
// Values and secrets never reach logs; errors have them masked and wrap a
// class (ErrChartNotFound, ErrInvalidValues, ErrUnreachable, ...).
func (i *Installer) Apply(ctx context.Context, kubeconfig []byte, rel Release) (Status, error) {
	rel = rel.withDefaults()
	red := newRedactor(rel.secrets()...)
	log := i.logger().With("release", rel.Name, "namespace", rel.Namespace)
	st, err := i.apply(ctx, kubeconfig, rel, log, red)
	if err != nil {
		err = red.error(fmt.Errorf("addons: apply release %s/%s: %w", rel.Namespace, rel.Name, err))
		log.Warn("apply failed", "error", err)
		return Status{}, err
	}
	return st, nil
}

func (i *Installer) apply(ctx context.Context, kubeconfig []byte, rel Release, log *slog.Logger, red *redactor) (Status, error) {
	if err := validateRelease(rel.Name, rel.Namespace, rel.Timeout); err != nil {
		return Status{}, err
	}
	if err := rel.Source.Validate(); err != nil {
		return Status{}, err
	}
	vals, err := normalizeValues(rel.Values)
	if err != nil {
		return Status{}, err
	}
	c, err := i.connect(ctx, kubeconfig, rel.Namespace, log, red)
	if err != nil {
		return Status{}, err
	}
	unlock, err := i.locks.lock(ctx, c.key+"/"+rel.Namespace+"/"+rel.Name)
	if err != nil {
		return Status{}, err
	}
	defer unlock()

	op := &operation{conn: c, rel: rel, log: log}
	last, err := op.last()
	if err != nil {
		return Status{}, err
	}
	if last != nil && interrupted(last) {
		if last, err = op.recover(last); err != nil {
			return Status{}, err
		}
	}
	// A pinned version lets an up-to-date release be recognised without
	// asking the chart source.
	if isExactVersion(rel.Source.Version) && upToDate(last, rel.Source.Chart, rel.Source.Version, vals) {
		return op.keep(last)
	}
	ch, err := i.fetcher().fetch(rel.Source)
	if err != nil {
		return Status{}, err
	}
	if upToDate(last, ch.Name(), ch.Metadata.Version, vals) {
		return op.keep(last)
	}
	if err := op.validate(ctx, ch, vals, last != nil); err != nil {
		return Status{}, err
	}
	if last == nil || last.Info.Status == release.StatusUninstalled {
		return op.install(ctx, ch, vals, last != nil)
	}
	return op.upgrade(ctx, ch, vals)
}
