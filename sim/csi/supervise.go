package csi

import (
	"bytes"
	"context"
	"time"

	"k8s.io/client-go/rest"
)

// superviseInterval is how often Supervise looks at its source: a function
// call, no API request.
const superviseInterval = 2 * time.Second

// Source returns an administrator REST config of a cluster's API server
// while the cluster's control plane runs, or nil.
type Source func() *rest.Config

// Supervise runs a Controller for a cluster whenever source yields a
// config, and restarts it when the config changes (another API server,
// renewed certificates), until ctx ends.
func Supervise(ctx context.Context, source Source, opts Options) {
	opts = opts.withDefaults()
	var (
		running *Controller
		current *rest.Config
	)
	stop := func() {
		if running != nil {
			running.Stop()
			running, current = nil, nil
		}
	}
	defer stop()
	ticker := time.NewTicker(superviseInterval)
	defer ticker.Stop()
	for {
		if cfg := source(); !sameCluster(cfg, current) {
			stop()
			if cfg != nil {
				c, err := Start(cfg, opts)
				if err != nil {
					opts.Logger.Error("start simulated vsphere-csi-controller", "err", err)
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

// sameCluster reports whether two configs reach the same API server with
// the same credentials.
func sameCluster(a, b *rest.Config) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Host == b.Host && bytes.Equal(a.CertData, b.CertData) && bytes.Equal(a.CAData, b.CAData)
}
