package devenv

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/sim/chartrepo"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// startDatacenter starts the simulated datacenter — vcsim whose VMs boot into Kubernetes
// nodes — on the port and with the passwords its vCenter had last time, so that its
// registration stays valid across restarts. The nodes' disks live in state/datacenter.
func startDatacenter(ctx context.Context, state string, faults *sim.Faults, logger *slog.Logger) (*sim.Datacenter, error) {
	password, err := persistentSecret(filepath.Join(state, "vcsim.password"), "sim-")
	if err != nil {
		return nil, err
	}
	clusterPassword, err := persistentSecret(filepath.Join(state, "vcsim.cluster-password"), "sim-cluster-")
	if err != nil {
		return nil, err
	}
	portFile := filepath.Join(state, "vcsim.port")
	opts := sim.DatacenterOptions{
		VCenter:  sim.VCenterOptions{Addr: rememberedAddr(portFile), Password: password, ClusterPassword: clusterPassword},
		StateDir: filepath.Join(state, "datacenter"),
		Faults:   faults,
		Logger:   logger.With("component", "sim"),
	}
	dc, err := sim.StartDatacenter(ctx, opts)
	if err != nil && opts.VCenter.Addr != anyLoopbackPort {
		opts.VCenter.Addr = anyLoopbackPort // the old port is taken
		dc, err = sim.StartDatacenter(ctx, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("simulated datacenter: %w", err)
	}
	rememberPort(portFile, dc.VCenter().URL().Port(), logger)
	return dc, nil
}

// startChartRepo serves the simulator's add-on charts as an HTTP chart repository, the
// way a site's chart mirror is reached, on the port it had last time when still free.
func startChartRepo(state string, logger *slog.Logger) (*chartrepo.Repo, error) {
	portFile := filepath.Join(state, "chartrepo.port")
	addr := rememberedAddr(portFile)
	repo, err := chartrepo.Start(addr)
	if err != nil && addr != anyLoopbackPort {
		repo, err = chartrepo.Start(anyLoopbackPort)
	}
	if err != nil {
		return nil, fmt.Errorf("simulator chart repository: %w", err)
	}
	if port, ok := urlPort(repo.URL()); ok {
		rememberPort(portFile, port, logger)
	}
	return repo, nil
}

// warnMissingKubeBinaries logs, for each supported Kubernetes version, when the control-plane
// binaries the simulated nodes run are not built: clusters of that version cannot boot.
func warnMissingKubeBinaries(logger *slog.Logger) {
	for _, v := range domain.KubernetesVersions().Versions {
		if _, err := kubeproc.Binaries(v); err != nil {
			logger.Warn("simulated nodes cannot run this Kubernetes version until its binaries are built "+
				"(`make run` builds them in the background after the default version; `make kubebin` builds them all)",
				"version", v, "error", err)
		}
	}
}
