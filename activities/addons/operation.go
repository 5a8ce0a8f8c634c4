package addons

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
)

// description is what Clusterwright's revisions say in `helm history`.
const description = "applied by Clusterwright"

// operation is one Apply on one release.
type operation struct {
	*conn
	rel Release
	log *slog.Logger
	// recovered is set when recovering an interrupted release made a
	// revision (a rollback) or removed it.
	recovered bool
}

// last returns the newest revision of the release, or nil when there is none.
func (op *operation) last() (*release.Release, error) {
	r, err := op.cfg.Releases.Last(op.rel.Name)
	switch {
	case errors.Is(err, driver.ErrReleaseNotFound):
		return nil, nil
	case err != nil:
		return nil, classifyKube(fmt.Errorf("read release record: %w", err))
	}
	return r, nil
}

// keep leaves an up-to-date release alone, waiting for its objects to be
// ready when asked to.
func (op *operation) keep(r *release.Release) (Status, error) {
	op.log.Info("release up to date", "chart", r.Chart.Metadata.Name, "version", r.Chart.Metadata.Version, "revision", r.Version)
	if op.rel.Wait {
		resources, err := op.cfg.KubeClient.Build(bytes.NewBufferString(r.Manifest), false)
		if err != nil {
			return Status{}, classifyKube(fmt.Errorf("read objects of revision %d: %w", r.Version, err))
		}
		if err := op.cfg.KubeClient.Wait(resources, op.rel.Timeout); err != nil {
			return Status{}, classifyKube(fmt.Errorf("wait for revision %d to be ready: %w", r.Version, err))
		}
	}
	st := statusOf(r)
	st.Changed = op.recovered
	return st, nil
}

// validate renders the chart with the values client-side, with the
// cluster's version and APIs, before anything is changed: a schema
// violation, a failing template or unparsable output is a values problem
// (ErrInvalidValues), which retrying cannot fix.
func (op *operation) validate(ctx context.Context, ch *chart.Chart, vals map[string]any, upgrade bool) error {
	dry := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	dry.DryRun, dry.ClientOnly, dry.IsUpgrade = true, true, upgrade
	dry.ReleaseName, dry.Namespace = op.rel.Name, op.rel.Namespace
	dry.KubeVersion = &chartutil.KubeVersion{Version: op.server.GitVersion, Major: op.server.Major, Minor: op.server.Minor}
	if dc, err := op.cfg.RESTClientGetter.ToDiscoveryClient(); err == nil {
		if apis, err := action.GetVersionSet(dc); err == nil {
			dry.APIVersions = apis
		}
	}
	cp, err := normalizeValues(vals) // Helm may fill in what it renders with
	if err != nil {
		return err
	}
	if _, err := dry.RunWithContext(ctx, ch, cp); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return withClass(fmt.Errorf("render chart %s %s: %w", ch.Name(), ch.Metadata.Version, err), ErrInvalidValues)
	}
	return nil
}

// install installs the release; replace reuses the name of an uninstalled
// release whose history was kept.
func (op *operation) install(ctx context.Context, ch *chart.Chart, vals map[string]any, replace bool) (Status, error) {
	op.log.Info("installing release", "chart", ch.Name(), "version", ch.Metadata.Version, "wait", op.rel.Wait)
	in := action.NewInstall(op.cfg)
	in.ReleaseName, in.Namespace = op.rel.Name, op.rel.Namespace
	in.CreateNamespace = op.rel.CreateNamespace
	in.Wait, in.Timeout = op.rel.Wait, op.rel.Timeout
	in.Replace = replace
	in.Description = description
	r, err := in.RunWithContext(ctx, ch, vals)
	if err != nil {
		return Status{}, classifyKube(fmt.Errorf("install chart %s %s: %w", ch.Name(), ch.Metadata.Version, err))
	}
	op.log.Info("release installed", "revision", r.Version, "status", r.Info.Status.String())
	st := statusOf(r)
	st.Changed = true
	return st, nil
}

// upgrade upgrades the release to the chart with exactly vals.
func (op *operation) upgrade(ctx context.Context, ch *chart.Chart, vals map[string]any) (Status, error) {
	op.log.Info("upgrading release", "chart", ch.Name(), "version", ch.Metadata.Version, "wait", op.rel.Wait)
	up := action.NewUpgrade(op.cfg)
	up.Namespace = op.rel.Namespace
	up.Install = true // informative: an upgrade-or-install
	up.ResetValues = true
	// A failed upgrade deletes the objects it created: the next upgrade
	// diffs against the last deployed revision and would not see them.
	up.CleanupOnFail = true
	up.MaxHistory = MaxHistory
	up.Wait, up.Timeout = op.rel.Wait, op.rel.Timeout
	up.Description = description
	r, err := up.RunWithContext(ctx, op.rel.Name, ch, vals)
	if err != nil {
		return Status{}, classifyKube(fmt.Errorf("upgrade to chart %s %s: %w", ch.Name(), ch.Metadata.Version, err))
	}
	op.log.Info("release upgraded", "revision", r.Version, "status", r.Info.Status.String())
	st := statusOf(r)
	st.Changed = true
	return st, nil
}
