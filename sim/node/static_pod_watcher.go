package node

import (
	"context"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// Timing of the simulated kubelet's static Pods.
const (
	// StaticPodPollInterval is how often the kubelet looks into its manifest
	// directory (the real kubelet's fileCheckFrequency is 20 s).
	StaticPodPollInterval = time.Second
	// staticPodBackoff is how long the kubelet waits before it starts again a
	// static Pod that failed to start or exited on its own (CrashLoopBackOff).
	staticPodBackoff = 10 * time.Second
)

// staticPodWatcher is the kubelet's file source of static Pods: while the
// kubelet runs it keeps the control-plane components whose manifests are in
// /etc/kubernetes/manifests running and stops those whose manifests went
// away, as a kubelet does with its container runtime. The data and
// certificates are read as they are at each start. A component that exited
// on its own is started again after a back-off; one killed by the
// controlplane.die fault (Node.KillControlPlane) stays dead until power-on.
// A manifest whose content changes is not noticed: kubeadm upgrade restarts
// the control plane itself.
type staticPodWatcher struct {
	n      *Node
	r      *run
	k      *kubelet
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	present []string // the components whose manifests were there at the last look
	failed  map[string]time.Time
	// vipStopped is set when the watcher stopped kube-vip (its manifest went away).
	vipStopped bool
}

// watchStaticPods starts k's static Pod watcher; k stops it when it stops.
func (n *Node) watchStaticPods(r *run, k *kubelet) {
	ctx, cancel := context.WithCancel(r.ctx)
	w := &staticPodWatcher{n: n, r: r, k: k, cancel: cancel, done: make(chan struct{}), failed: map[string]time.Time{}}
	if _, present, err := n.readStaticPods(); err == nil {
		w.present = present
	}
	k.mu.Lock()
	k.static = w
	k.mu.Unlock()
	go w.loop(ctx)
}

// stop stops the watcher and waits for it; the components keep running.
func (w *staticPodWatcher) stop() {
	w.cancel()
	<-w.done
}

// manifests returns the components whose manifests were there at the last look.
func (w *staticPodWatcher) manifests() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.present)
}

func (w *staticPodWatcher) loop(ctx context.Context) {
	defer close(w.done)
	t := time.NewTicker(StaticPodPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.sync(ctx)
		}
	}
}

// sync makes the running components match the manifests.
func (w *staticPodWatcher) sync(ctx context.Context) {
	cfg, present, err := w.n.readStaticPods()
	if err != nil {
		w.n.log.Warn("kubelet: read static pod manifests", "err", err)
		return
	}
	w.mu.Lock()
	changed := !slices.Equal(w.present, present)
	w.present = present
	w.mu.Unlock()
	if changed {
		w.k.resyncMirrorPods()
	}
	// kubeadm upgrade replaces the control plane meanwhile: leave it be.
	if !w.r.pods.TryLock() {
		return
	}
	defer w.r.pods.Unlock()
	w.syncKubeVIP(ctx, cfg)

	cp := w.r.controlPlane()
	if cp != nil {
		for _, c := range slices.Backward(kubeproc.Components) {
			if !slices.Contains(present, c) && cp.State(c) == kubeproc.Running {
				w.n.log.Info("kubelet: static pod manifest removed, stopping", "component", c)
				if err := cp.StopComponent(c, restartGrace); err != nil {
					w.n.log.Info("kubelet: static pod stopped", "component", c, "err", err)
				}
			}
		}
	}
	for _, c := range present {
		state := kubeproc.NotStarted
		if cp != nil {
			state = cp.State(c)
		}
		switch state {
		case kubeproc.Running, kubeproc.Killed:
			continue
		}
		if at, ok := w.failed[c]; ok && time.Since(at) < staticPodBackoff {
			return // the later components depend on this one
		}
		if cp == nil {
			if cp, err = kubeproc.New(cfg, w.n.cfg.Logger.With("vm", w.n.cfg.VM.Name)); err != nil {
				w.n.log.Error("kubelet: static pods", "err", err)
				return
			}
			var kept bool
			w.r.mu.Lock()
			// Not once the kubelet was stopped: the control plane stops with it.
			if w.r.ctx.Err() == nil && ctx.Err() == nil && w.r.cp == nil && w.r.kubelet == w.k {
				w.r.cp, kept = cp, true
			}
			w.r.mu.Unlock()
			if !kept {
				_ = cp.Stop()
				return
			}
		}
		w.n.log.Info("kubelet: starting static pod", "component", c, "was", state)
		sctx, cancel := context.WithTimeout(ctx, serviceStartTimeout)
		err := cp.StartComponent(sctx, c)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				w.n.log.Warn("kubelet: start static pod", "component", c, "err", err)
				w.failed[c] = time.Now()
			}
			return
		}
		delete(w.failed, c)
	}
}

// stopStaticPods stops the kubelet's static Pod watcher, if it runs.
func (k *kubelet) stopStaticPods() {
	k.mu.Lock()
	w := k.static
	k.static = nil
	k.mu.Unlock()
	if w != nil {
		w.stop()
	}
}

// resyncMirrorPods asks the kubelet to sync its mirror Pods now.
func (k *kubelet) resyncMirrorPods() {
	select {
	case k.resync <- struct{}{}:
	default:
	}
}

// staticPodsPresent reports which static Pods have manifests, as the
// watcher last saw them; ok is false when no watcher runs.
func (k *kubelet) staticPodsPresent() (present []string, ok bool) {
	k.mu.Lock()
	w := k.static
	k.mu.Unlock()
	if w == nil {
		return nil, false
	}
	return w.manifests(), true
}

// syncKubeVIP stops kube-vip when its manifest is gone (gracefully: it gives the Lease
// up, so another control plane takes the VIP at once) and starts it again when the
// manifest is back, as the kubelet does with any static Pod. (The node's boot starts
// kube-vip; the watcher starts only one it stopped.)
func (w *staticPodWatcher) syncKubeVIP(ctx context.Context, cfg kubeproc.ControlPlaneConfig) {
	_, err := os.Stat(w.n.path(cloudinit.KubeVIPManifestPath))
	present := err == nil
	w.r.mu.Lock()
	vip := w.r.vip
	if !present && vip != nil {
		w.r.vip = nil
	}
	w.r.mu.Unlock()
	switch {
	case !present && vip != nil:
		w.n.log.Info("kubelet: static pod manifest removed, stopping", "component", "kube-vip")
		vip.stop(false)
		w.vipStopped = true
	case present && vip == nil && w.vipStopped && cfg.Name != "" && ctx.Err() == nil:
		w.n.log.Info("kubelet: starting static pod", "component", "kube-vip")
		if err := w.n.startKubeVIP(w.r.ctx, w.r, cfg); err != nil {
			w.n.log.Warn("kubelet: start static pod", "component", "kube-vip", "err", err)
			return
		}
		w.vipStopped = false
	}
}
