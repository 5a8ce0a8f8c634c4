package node

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/util/workqueue"
)

// What the simulated node reports about itself.
const (
	osImage                 = "Ubuntu 24.04 LTS"
	kernelVersion           = "6.8.0-60-generic"
	containerRuntimeVersion = "containerd://2.1.0"
	maxPods                 = 110
	ephemeralStorage        = "20Gi"
	// evictionHardMemory is the kubelet's default memory.available
	// threshold, which allocatable memory leaves out.
	evictionHardMemory = "100Mi"
	kubeletPort        = 10250
)

// Timing of the simulated kubelet, as the kubelet's defaults.
const (
	// leaseDuration is the Node Lease's duration; it is renewed every
	// quarter of it (10 s).
	leaseDuration = 40 * time.Second
	// statusReportInterval is how often the kubelet reports its Node's
	// status when nothing changed (nodeStatusReportFrequency).
	statusReportInterval = 5 * time.Minute
	// mirrorSyncInterval is how often mirror Pods are checked.
	mirrorSyncInterval = 30 * time.Second
	// shutdownTimeout bounds the last status report at power-off.
	shutdownTimeout = 3 * time.Second
)

// uninitializedTaint is the taint a kubelet with --cloud-provider=external
// registers with, until the cloud provider has initialised the Node.
var uninitializedTaint = corev1.Taint{
	Key: "node.cloudprovider.kubernetes.io/uninitialized", Value: "true", Effect: corev1.TaintEffectNoSchedule,
}

// kubelet is a simulated kubelet: it registers its Node, renews its Lease,
// reports its status and runs the status of the Pods bound to it.
type kubelet struct {
	cfg    kubeletConfig
	vm     VM
	client kubernetes.Interface
	log    *slog.Logger
	bootID string

	cancel context.CancelFunc
	done   chan struct{}
	// resync asks for a sync of the mirror Pods now.
	resync chan struct{}

	ips   *podIPs
	queue workqueue.TypedRateLimitingInterface[string]
	pods  corelisters.PodLister

	mu             sync.Mutex
	static         *staticPodWatcher // nil until watchStaticPods
	nodeUID        types.UID
	podCIDR        string
	seenReady      bool
	lastStatusAt   time.Time
	lastConditions []corev1.NodeCondition
}

// startKubelet starts a kubelet with the credentials in kubeconfig. It
// runs until ctx ends or stop is called.
func startKubelet(ctx context.Context, cfg kubeletConfig, vm VM, kubeconfig string, log *slog.Logger) (*kubelet, error) {
	client, err := clientFromKubeconfig(kubeconfig, "")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	k := &kubelet{
		cfg:    cfg,
		vm:     vm,
		client: client,
		log:    log.With("component", "kubelet"),
		bootID: rand.Text(),
		cancel: cancel,
		done:   make(chan struct{}),
		resync: make(chan struct{}, 1),
		ips:    newPodIPs(),
		queue:  workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
	go k.run(ctx)
	return k, nil
}

// stop stops the kubelet as a graceful node shutdown does: the loops stop,
// then the Node is reported NotReady.
func (k *kubelet) stop() {
	k.stopStaticPods()
	k.cancel()
	<-k.done
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := k.reportStatus(ctx, false); err != nil {
		k.log.Debug("report NotReady at shutdown", "err", err)
	}
}

// halt stops the kubelet as a power cut does: the loops stop and nothing
// more is reported.
func (k *kubelet) halt() {
	k.stopStaticPods()
	k.cancel()
	<-k.done
}

// run registers the Node and keeps it alive until ctx ends.
func (k *kubelet) run(ctx context.Context) {
	defer close(k.done)
	defer k.queue.ShutDown() // on every return path
	err := poll(ctx, time.Second, func(ctx context.Context) (bool, error) {
		if err := k.register(ctx); err != nil {
			k.log.Debug("register node", "err", err)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return
	}
	k.log.Info("node registered", "name", k.cfg.NodeName)
	k.renewLease(ctx)
	if err := k.startInformers(ctx); err != nil {
		if ctx.Err() == nil {
			k.log.Error("start informers", "err", err)
		}
		return
	}
	k.log.Debug("informers synced")
	var wg sync.WaitGroup
	wg.Go(func() { k.podWorker(ctx) })
	defer wg.Wait()
	defer k.queue.ShutDown() // runs before wg.Wait: it ends the worker

	leaseTick := time.NewTicker(leaseDuration / 4)
	defer leaseTick.Stop()
	mirrorTick := time.NewTicker(mirrorSyncInterval)
	defer mirrorTick.Stop()
	k.syncMirrorPods(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-leaseTick.C:
			k.renewLease(ctx)
			// Like the kubelet, report again when the Node's status differs
			// from what it would report (the node lifecycle controller
			// marked it Unknown while the API was out of reach), or when
			// the report interval has passed.
			if !k.nodeSeenReady() || time.Since(k.lastStatus()) >= statusReportInterval {
				if err := k.reportStatus(ctx, true); err != nil {
					k.log.Warn("report node status", "err", err)
				}
			}
		case <-mirrorTick.C:
			k.syncMirrorPods(ctx)
		case <-k.resync:
			k.syncMirrorPods(ctx)
		}
	}
}

// nodeSeenReady reports whether the Node, as last seen by the watch, is Ready.
func (k *kubelet) nodeSeenReady() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.seenReady
}

// lastStatus is when the Node's status was last reported.
func (k *kubelet) lastStatus() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lastStatusAt
}

// register creates the Node, or takes over the existing one, and reports
// its status.
func (k *kubelet) register(ctx context.Context) error {
	nodes := k.client.CoreV1().Nodes()
	node, err := nodes.Create(ctx, k.initialNode(), metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		node, err = nodes.Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
	}
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.nodeUID = node.UID
	k.podCIDR = node.Spec.PodCIDR
	k.mu.Unlock()
	return k.reportStatus(ctx, true)
}

// initialNode is the Node the kubelet registers.
func (k *kubelet) initialNode() *corev1.Node {
	taints := append([]corev1.Taint(nil), k.cfg.RegisterWithTaints...)
	annotations := map[string]string{
		"volumes.kubernetes.io/controller-managed-attach-detach": "true",
		"node.alpha.kubernetes.io/ttl":                           "0",
	}
	if k.cfg.ExternalCloudProvider {
		taints = append(taints, uninitializedTaint)
		annotations["alpha.kubernetes.io/provided-node-ip"] = k.cfg.NodeIP
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: k.cfg.NodeName,
			Labels: map[string]string{
				corev1.LabelHostname:      k.cfg.Hostname,
				corev1.LabelOSStable:      "linux",
				corev1.LabelArchStable:    "amd64",
				"beta.kubernetes.io/os":   "linux",
				"beta.kubernetes.io/arch": "amd64",
			},
			Annotations: annotations,
		},
		Spec: corev1.NodeSpec{Taints: taints},
		Status: corev1.NodeStatus{
			Addresses:  k.addresses(),
			Conditions: k.conditions(true, time.Now()),
		},
	}
}
