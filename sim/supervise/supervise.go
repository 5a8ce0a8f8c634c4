// Package supervise runs a simulated in-cluster controller (the Antrea multicluster
// controller, the vSphere CSI driver) for a simulated cluster while the cluster's
// control plane runs, the way the real ones run as Pods of the cluster.
package supervise

import (
	"bytes"
	"context"
	"log/slog"
	"time"

	"k8s.io/client-go/rest"
)

// interval is how often Run looks at its source: a function call, no API request.
const interval = 2 * time.Second

// Source returns an administrator REST config of a cluster's API server while the
// cluster's control plane runs, or nil.
type Source func() *rest.Config

// Stopper is a started controller.
type Stopper interface{ Stop() }

// Run starts a controller with start whenever source yields a config, and restarts it
// when the config changes (another API server, renewed certificates), until ctx ends;
// then it stops the controller. name names the controller in logs.
func Run(ctx context.Context, source Source, name string, logger *slog.Logger, start func(*rest.Config) (Stopper, error)) {
	var (
		running Stopper
		current *rest.Config
	)
	stop := func() {
		if running != nil {
			running.Stop()
			running, current = nil, nil
		}
	}
	defer stop()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if cfg := source(); !SameCluster(cfg, current) {
			stop()
			if cfg != nil {
				c, err := start(cfg)
				if err != nil {
					logger.Error("start simulated "+name, "err", err)
				} else {
					running, current = c, cfg
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// SameCluster reports whether two configs reach the same API server with the same
// credentials.
func SameCluster(a, b *rest.Config) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Host == b.Host && bytes.Equal(a.CertData, b.CertData) && bytes.Equal(a.CAData, b.CAData)
}
