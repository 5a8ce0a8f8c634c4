package csi

import (
	"context"

	"k8s.io/client-go/rest"

	"github.com/clusterwright/clusterwright/sim/supervise"
)

// Supervise runs a Controller for a cluster whenever source yields a config, and
// restarts it when the config changes (another API server, renewed certificates),
// until ctx ends.
func Supervise(ctx context.Context, source supervise.Source, opts Options) {
	opts = opts.withDefaults()
	supervise.Run(ctx, source, "vsphere-csi-controller", opts.Logger, func(cfg *rest.Config) (supervise.Stopper, error) {
		return Start(cfg, opts)
	})
}
