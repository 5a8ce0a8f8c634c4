package csi

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/clusterwright/clusterwright/sim/supervise"
)

// DefaultResync is how often the controller retries failed work and
// re-reads its configuration when nothing else happens.
const DefaultResync = 5 * time.Second

// Options configures the simulated controller. The zero value is fine.
type Options struct {
	// Resync is the retry interval; 0 means DefaultResync.
	Resync time.Duration
	// Logger receives the controller's logs; nil means slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Resync <= 0 {
		o.Resync = DefaultResync
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Controller is the simulated vSphere CSI controller of one cluster. Until
// the cluster's vsphere-csi-controller Deployment has an available
// replica, it costs one watch of that Deployment.
type Controller struct {
	kube kubernetes.Interface
	opts Options
	log  *slog.Logger

	cancel context.CancelFunc
	done   chan struct{}
}

// Start starts the controller of the cluster whose API server cfg reaches
// with administrator credentials.
func Start(cfg *rest.Config, opts Options) (*Controller, error) {
	opts = opts.withDefaults()
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = 30 * time.Second
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("csi: kubernetes client: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Controller{
		kube: kube, opts: opts,
		log:    opts.Logger.With("component", "vsphere-csi-controller", "cluster", cfg.Host),
		cancel: cancel, done: make(chan struct{}),
	}
	go c.run(ctx)
	return c, nil
}

// Stop stops the controller and waits for it. Volumes and disks stay as
// they are, as with a stopped process.
func (c *Controller) Stop() {
	c.cancel()
	<-c.done
}

// run watches the controller Deployment and runs a provisioner while it
// is available.
func (c *Controller) run(ctx context.Context) {
	defer close(c.done)
	lister, changed, stop, err := supervise.WatchDeployments(ctx, c.kube, Namespace, ControllerDeployment)
	if err != nil {
		c.log.Error("watch the controller Deployment", "err", err)
		return
	}
	defer stop()

	var stopProvisioner func()
	defer func() {
		if stopProvisioner != nil {
			stopProvisioner()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		d, err := lister.Deployments(Namespace).Get(ControllerDeployment)
		available := err == nil && d.Status.AvailableReplicas > 0
		switch {
		case available && stopProvisioner == nil:
			c.log.Info("vsphere-csi-controller available: provisioning volumes")
			stopProvisioner = startProvisioner(c.kube, c.opts.Resync, c.log)
		case !available && stopProvisioner != nil:
			c.log.Info("vsphere-csi-controller not available: provisioning stopped")
			stopProvisioner()
			stopProvisioner = nil
		}
	}
}
