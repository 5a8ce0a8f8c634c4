package antreamc

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/rest"

	"github.com/clusterwright/clusterwright/sim/supervise"
)

// Defaults of the real controller.
const (
	// DefaultHeartbeat is how often a member announces itself to its leader
	// and how often the leader reviews its members.
	DefaultHeartbeat = 10 * time.Second
	// DefaultConnectionTimeout is how long a leader waits for a member's
	// heartbeat before it reports the member Disconnected.
	DefaultConnectionTimeout = 30 * time.Second
)

// Options configures the simulated controllers. The zero value means the
// real controller's timing.
type Options struct {
	// Heartbeat is the member's announce interval and the leader's review
	// interval; 0 means DefaultHeartbeat.
	Heartbeat time.Duration
	// ConnectionTimeout is how long a member may stay silent before its
	// leader reports it Disconnected; 0 means DefaultConnectionTimeout.
	ConnectionTimeout time.Duration
	// Logger receives the controllers' logs; nil means slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.ConnectionTimeout <= 0 {
		o.ConnectionTimeout = DefaultConnectionTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Controller is the simulated antrea-mc-controller of one cluster: it
// watches the cluster's antrea-mc-controller Deployments and runs a leader
// or a member for each available one.
type Controller struct {
	cfg  *rest.Config
	kube kubernetes.Interface
	dyn  dynamic.Interface
	opts Options
	log  *slog.Logger

	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	runners map[runnerKey]*runner
}

// runnerKey names one leader or member: its role and namespace.
type runnerKey struct{ role, namespace string }

// runner is a running leader or member.
type runner struct {
	cancel context.CancelFunc
	done   chan struct{}
	// cleanup undoes what the runner registered with the API server; it
	// runs when its Deployment goes away, not when the cluster stops.
	cleanup func(ctx context.Context)
}

// Start starts the controller of the cluster whose API server cfg reaches
// with administrator credentials. Nothing happens in the cluster until an
// antrea-mc-controller Deployment has an available replica; until then it
// costs one watch of Deployments of that name.
func Start(cfg *rest.Config, opts Options) (*Controller, error) {
	opts = opts.withDefaults()
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = opts.Heartbeat
	// controller-runtime's client rate, as the real controller has: a
	// cluster that is leader and member runs both on this client, and the
	// leader's webhook answers the API server with it too.
	cfg.QPS, cfg.Burst = 20, 30
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("antreamc: kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("antreamc: dynamic client: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Controller{
		cfg: cfg, kube: kube, dyn: dyn, opts: opts,
		log:    opts.Logger.With("component", "antrea-mc-controller", "cluster", cfg.Host),
		cancel: cancel, done: make(chan struct{}),
		runners: map[runnerKey]*runner{},
	}
	go c.run(ctx)
	return c, nil
}

// Stop stops the controller and its leaders and members, and waits for them.
// It leaves what they made in the clusters as it is, as a stopped process would.
func (c *Controller) Stop() {
	c.cancel()
	<-c.done
}

// run watches the Deployments named antrea-mc-controller in every namespace
// and reconciles the runners on each change.
func (c *Controller) run(ctx context.Context) {
	defer close(c.done)
	lister, changed, stop, err := supervise.WatchDeployments(ctx, c.kube, "", controllerDeployment)
	if err != nil {
		c.log.Error("watch Deployments", "err", err)
		return
	}
	defer stop()
	for {
		select {
		case <-ctx.Done():
			c.stopAll()
			return
		case <-changed:
			c.reconcile(lister)
		}
	}
}

// reconcile starts a runner for each available controller Deployment and
// stops those whose Deployment is gone or unavailable.
func (c *Controller) reconcile(lister appslisters.DeploymentLister) {
	list, err := lister.List(everything)
	if err != nil {
		c.log.Error("list Deployments", "err", err)
		return
	}
	want := map[runnerKey]bool{}
	for _, d := range list {
		if role := deploymentRole(d); role != "" && d.Status.AvailableReplicas > 0 && d.DeletionTimestamp == nil {
			want[runnerKey{role, d.Namespace}] = true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, r := range c.runners {
		if !want[key] {
			c.log.Info("multi-cluster controller stops: its Deployment is gone or unavailable", "role", key.role, "namespace", key.namespace)
			r.stop()
			if r.cleanup != nil {
				ctx, cancel := context.WithTimeout(context.Background(), c.opts.Heartbeat)
				r.cleanup(ctx)
				cancel()
			}
			delete(c.runners, key)
		}
	}
	for key := range want {
		if _, ok := c.runners[key]; !ok {
			c.log.Info("multi-cluster controller starts", "role", key.role, "namespace", key.namespace)
			c.runners[key] = c.startRunner(key)
		}
	}
}

// startRunner starts the leader or member of key.
func (c *Controller) startRunner(key runnerKey) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{cancel: cancel, done: make(chan struct{})}
	log := c.log.With("role", key.role, "namespace", key.namespace)
	var step func(ctx context.Context)
	switch key.role {
	case roleLeader:
		l := newLeader(c, key.namespace, log)
		step, r.cleanup = l.step, l.cleanup
	default:
		step = newMember(c, key.namespace, log).step
	}
	go func() {
		defer close(r.done)
		ticker := time.NewTicker(c.opts.Heartbeat)
		defer ticker.Stop()
		for {
			step(ctx)
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
	return r
}

func (r *runner) stop() {
	r.cancel()
	<-r.done
}

// stopAll stops every runner, without cleaning up: the cluster stops.
func (c *Controller) stopAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, r := range c.runners {
		r.stop()
		delete(c.runners, key)
	}
}

// deploymentRole is the role the controller Deployment runs ("leader" or
// "member") from its container's command and arguments, or "".
func deploymentRole(d *appsv1.Deployment) string {
	for _, ctr := range d.Spec.Template.Spec.Containers {
		words := slices.Concat(ctr.Command, ctr.Args)
		for _, w := range words {
			if w == roleLeader || w == roleMember {
				return w
			}
		}
	}
	return ""
}
