package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"sigs.k8s.io/yaml"

	"github.com/clusterwright/clusterwright/cloudinit"
)

// The simulated kube-vip: what the kube-vip static Pod does on a control plane
// in control-plane mode with leader election. The instances of the cluster's
// control planes elect a leader on a Lease in the cluster's own API server
// (each through its local API server); the leader holds the virtual IP. A real
// leader adds the VIP to its interface and announces it by ARP, and the API
// server, listening on every address, answers there; the simulated API server
// listens on the node's address only, so the leader listens on the VIP (every
// 127.0.0.0/8 address is local) and forwards each connection to its local API
// server. When the leader stops renewing (its node is off, its API server
// dead), the Lease expires and another instance takes the VIP.

// vipBindRetry is the pause between attempts to listen on the VIP, which the
// previous holder (in the same process) may not have released yet.
const vipBindRetry = 100 * time.Millisecond

// kubeVIPConfig is what the simulated kube-vip reads from its manifest.
type kubeVIPConfig struct {
	// Address is the virtual IP and Port the API server port served there.
	Address netip.Addr
	Port    int
	// LeaseName and Namespace name the Lease the instances elect a leader on.
	LeaseName, Namespace string
	// LeaseDuration, RenewDeadline and RetryPeriod are the election's timings.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Kubeconfig is the host path of the kubeconfig mounted into the Pod.
	Kubeconfig string
	// Image is the kube-vip container's image, for its mirror Pod.
	Image string
}

// parseKubeVIPManifest reads kube-vip's static Pod manifest. ok is false when
// the manifest does not run kube-vip in control-plane mode (a services-only
// kube-vip serves no control-plane VIP).
func parseKubeVIPManifest(data []byte) (cfg kubeVIPConfig, ok bool, err error) {
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(data, &pod); err != nil {
		return cfg, false, fmt.Errorf("kube-vip manifest: %w", err)
	}
	var c *corev1.Container
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == "kube-vip" {
			c = &pod.Spec.Containers[i]
		}
	}
	if c == nil {
		return cfg, false, errors.New("kube-vip manifest: no container named kube-vip")
	}
	cfg.Image = c.Image
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["cp_enable"] != "true" {
		return cfg, false, nil
	}
	var errs []error
	addr := env["vip_address"]
	if addr == "" {
		addr = env["address"] // the older name, which CAPV's templates use
	}
	if cfg.Address, err = netip.ParseAddr(addr); err != nil {
		errs = append(errs, fmt.Errorf("vip_address %q: %w", addr, err))
	}
	if cfg.Port, err = strconv.Atoi(env["port"]); err != nil || cfg.Port <= 0 || cfg.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %q is not a port", env["port"]))
	}
	if env["vip_leaderelection"] != "true" {
		errs = append(errs, errors.New("vip_leaderelection must be true: without it every control plane would claim the VIP"))
	}
	cfg.LeaseName, cfg.Namespace = envOr(env, "vip_leasename", "plndr-cp-lock"), envOr(env, "cp_namespace", metav1.NamespaceSystem)
	for _, d := range []struct {
		name string
		def  int
		dst  *time.Duration
	}{
		{"vip_leaseduration", 5, &cfg.LeaseDuration},
		{"vip_renewdeadline", 3, &cfg.RenewDeadline},
		{"vip_retryperiod", 1, &cfg.RetryPeriod},
	} {
		s, err := strconv.Atoi(envOr(env, d.name, strconv.Itoa(d.def)))
		if err != nil || s <= 0 {
			errs = append(errs, fmt.Errorf("%s %q is not a positive number of seconds", d.name, env[d.name]))
		}
		*d.dst = time.Duration(s) * time.Second
	}
	cfg.Kubeconfig = mountedHostPath(pod.Spec, *c, cloudinit.AdminConfPath)
	if cfg.Kubeconfig == "" {
		errs = append(errs, fmt.Errorf("no kubeconfig is mounted at %s", cloudinit.AdminConfPath))
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, false, fmt.Errorf("kube-vip manifest: %w", err)
	}
	return cfg, true, nil
}

// envOr is env[name], or def when it is unset.
func envOr(env map[string]string, name, def string) string {
	if v, ok := env[name]; ok && v != "" {
		return v
	}
	return def
}

// mountedHostPath is the host path of the hostPath volume that container c
// mounts at mountPath, or "".
func mountedHostPath(spec corev1.PodSpec, c corev1.Container, mountPath string) string {
	for _, m := range c.VolumeMounts {
		if m.MountPath != mountPath {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.HostPath != nil {
				return v.HostPath.Path
			}
		}
	}
	return ""
}

// kubeVIP is a running simulated kube-vip.
type kubeVIP struct {
	cfg      kubeVIPConfig
	identity string
	backend  string // the local API server, host:port
	log      *slog.Logger

	cancel context.CancelFunc
	done   chan struct{}
	// dead cuts the instance off the network at once (a power cut): its
	// requests fail, so it neither renews nor releases the Lease.
	dead atomic.Bool

	mu      sync.Mutex
	holding bool
	conns   map[net.Conn]struct{}
}

// startKubeVIP starts kube-vip as identity (the node name), electing through
// the API server at apiServer (the node's own) with the kubeconfig at
// kubeconfig, and forwarding the VIP to backend (host:port).
func startKubeVIP(ctx context.Context, cfg kubeVIPConfig, identity, kubeconfig, apiServer, backend string, log *slog.Logger) (*kubeVIP, error) {
	rc, err := restConfigFromKubeconfig(kubeconfig, apiServer)
	if err != nil {
		return nil, fmt.Errorf("kube-vip: %w", err)
	}
	k := &kubeVIP{cfg: cfg, identity: identity, backend: backend, done: make(chan struct{}), conns: map[net.Conn]struct{}{},
		log: log.With("component", "kube-vip", "vip", cfg.Address)}
	rc.Timeout = cfg.RenewDeadline
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return cutRoundTripper{rt: rt, dead: &k.dead} })
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kube-vip: %w", err)
	}
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Name: cfg.LeaseName, Namespace: cfg.Namespace},
			Client:     client.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: identity},
		},
		LeaseDuration:   cfg.LeaseDuration,
		RenewDeadline:   cfg.RenewDeadline,
		RetryPeriod:     cfg.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            "kube-vip",
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: k.hold,
			OnStoppedLeading: func() { k.log.Info("kube-vip: no longer the leader") },
			OnNewLeader: func(id string) {
				if id != identity {
					k.log.Info("kube-vip: the VIP is on another control plane", "leader", id)
				}
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("kube-vip: %w", err)
	}
	ctx, k.cancel = context.WithCancel(ctx)
	go func() {
		defer close(k.done)
		// kube-vip exits when it loses the lease and the kubelet restarts it:
		// run the election again until the node stops.
		for ctx.Err() == nil {
			elector.Run(ctx)
			select {
			case <-ctx.Done():
			case <-time.After(cfg.RetryPeriod):
			}
		}
	}()
	return k, nil
}

// Holding reports whether this instance holds the VIP now.
func (k *kubeVIP) Holding() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.holding
}

// stop stops kube-vip: gracefully it gives the Lease up, so that another
// instance takes the VIP at once; with cut (a power cut) it just vanishes and
// the others wait for the Lease to expire.
func (k *kubeVIP) stop(cut bool) {
	if cut {
		k.dead.Store(true)
	}
	k.cancel()
	<-k.done
}

// hold serves the VIP while ctx (the leadership) lasts.
func (k *kubeVIP) hold(ctx context.Context) {
	addr := net.JoinHostPort(k.cfg.Address.String(), strconv.Itoa(k.cfg.Port))
	var ln net.Listener
	began := time.Now()
	for {
		var err error
		if ln, err = (&net.ListenConfig{}).Listen(ctx, "tcp", addr); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(vipBindRetry):
		}
	}
	k.mu.Lock()
	k.holding = true
	k.mu.Unlock()
	k.log.Info("kube-vip: leader, holding the VIP", "addr", addr, "bound after", time.Since(began).Round(time.Millisecond))
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			break
		}
		go k.forward(ctx, conn)
	}
	// The VIP leaves with the leadership: close what was forwarded, as the
	// address moving away breaks those connections.
	k.mu.Lock()
	k.holding = false
	for c := range k.conns {
		_ = c.Close()
	}
	k.mu.Unlock()
	k.log.Info("kube-vip: released the VIP", "addr", addr)
}

// forward copies a connection to the VIP to the local API server and back.
func (k *kubeVIP) forward(ctx context.Context, in net.Conn) {
	out, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", k.backend)
	if err != nil {
		_ = in.Close()
		return
	}
	if !k.track(in, out) {
		_ = in.Close()
		_ = out.Close()
		return
	}
	defer k.untrack(in, out)
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}
	go pipe(out, in)
	go pipe(in, out)
	wg.Wait()
	_ = in.Close()
	_ = out.Close()
}

// track records a forwarded connection pair; false when the VIP is gone.
func (k *kubeVIP) track(cs ...net.Conn) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.holding {
		return false
	}
	for _, c := range cs {
		k.conns[c] = struct{}{}
	}
	return true
}

func (k *kubeVIP) untrack(cs ...net.Conn) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, c := range cs {
		delete(k.conns, c)
	}
}

// errNodeDown is what every request of a kube-vip whose node lost power gets.
var errNodeDown = errors.New("kube-vip: the node is down")

// cutRoundTripper fails every request once dead is set.
type cutRoundTripper struct {
	rt   http.RoundTripper
	dead *atomic.Bool
}

func (c cutRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if c.dead.Load() {
		return nil, errNodeDown
	}
	return c.rt.RoundTrip(req)
}
