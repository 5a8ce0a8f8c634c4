package node

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/util/workqueue"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
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

// kubeletConfig is how the kubelet of a node runs; kubeadm writes it once
// (kubeadm-flags.env and /var/lib/kubelet/config.yaml on a real node).
type kubeletConfig struct {
	NodeName string `json:"nodeName"`
	Hostname string `json:"hostname"`
	NodeIP   string `json:"nodeIP"`
	// Version is what the kubelet reports (the cluster's version).
	Version string `json:"version"`
	// Kubeconfig is the path of kubelet.conf on the node.
	Kubeconfig string `json:"kubeconfig"`
	// ExternalCloudProvider is --cloud-provider=external.
	ExternalCloudProvider bool           `json:"externalCloudProvider,omitempty"`
	RegisterWithTaints    []corev1.Taint `json:"registerWithTaints,omitempty"`
	ClusterDNS            string         `json:"clusterDNS,omitempty"`
	ClusterDomain         string         `json:"clusterDomain,omitempty"`
	// StaticPods describes the control plane whose mirror Pods the kubelet
	// creates, on control-plane nodes.
	StaticPods *staticPods `json:"staticPods,omitempty"`
}

// staticPods describes a node's control-plane static Pods.
type staticPods struct {
	ImageRepository string `json:"imageRepository"`
	Version         string `json:"version"`
	// APIServerEndpoint is the local API server's host:port.
	APIServerEndpoint string `json:"apiServerEndpoint"`
	// EtcdClientURL is the local etcd member's client URL.
	EtcdClientURL string `json:"etcdClientURL"`
}

// newKubeletConfig is the kubelet configuration kubeadm writes for a node
// registering as name; cp is the node's control plane, if it has one.
func (n *Node) newKubeletConfig(name string, cc cloudinit.ClusterConfiguration, reg cloudinit.NodeRegistrationOptions, cp *kubeproc.ControlPlaneConfig) (kubeletConfig, error) {
	cc = withKubeadmDefaults(cc)
	provider, _ := cloudinit.LookupArg(reg.KubeletExtraArgs, "cloud-provider")
	nodeIP, ok := cloudinit.LookupArg(reg.KubeletExtraArgs, "node-ip")
	if !ok {
		nodeIP = n.IP().String()
	}
	taints := reg.Taints
	if taints == nil && cp != nil {
		taints = []corev1.Taint{controlPlaneTaint}
	}
	dns, err := dnsIP(cc.Networking.ServiceSubnet)
	if err != nil {
		return kubeletConfig{}, err
	}
	kc := kubeletConfig{
		NodeName:              name,
		Hostname:              n.spec.Hostname,
		NodeIP:                nodeIP,
		Version:               cc.KubernetesVersion,
		Kubeconfig:            kubeletConfPath,
		ExternalCloudProvider: provider == "external",
		RegisterWithTaints:    taints,
		ClusterDNS:            dns.String(),
		ClusterDomain:         cc.Networking.DNSDomain,
	}
	if cp != nil {
		port := cp.Ports.APIServer
		if port == 0 {
			port = defaultAPIServerPort
		}
		kc.StaticPods = &staticPods{
			ImageRepository:   cc.ImageRepository,
			Version:           cc.KubernetesVersion,
			APIServerEndpoint: net.JoinHostPort(cp.IP, strconv.Itoa(port)),
			EtcdClientURL:     "https://" + net.JoinHostPort(cp.IP, "2379"),
		}
	}
	return kc, nil
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

	ips   *podIPs
	queue workqueue.TypedRateLimitingInterface[string]
	pods  corelisters.PodLister

	mu             sync.Mutex
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
		ips:    newPodIPs(),
		queue:  workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
	go k.run(ctx)
	return k, nil
}

// stop stops the kubelet as a graceful node shutdown does: the loops stop,
// then the Node is reported NotReady.
func (k *kubelet) stop() {
	k.cancel()
	<-k.done
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := k.reportStatus(ctx, false); err != nil {
		k.log.Debug("report NotReady at shutdown", "err", err)
	}
}

// run registers the Node and keeps it alive until ctx ends.
func (k *kubelet) run(ctx context.Context) {
	defer close(k.done)
	defer k.queue.ShutDown()
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
	defer k.queue.ShutDown()

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
		}
	}
}

// nodeSeenReady reports whether the Node, as last seen by the watch, is Ready.
func (k *kubelet) nodeSeenReady() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.seenReady
}

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

// addresses are the Node's addresses as the kubelet reports them.
func (k *kubelet) addresses() []corev1.NodeAddress {
	return []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: k.cfg.NodeIP},
		{Type: corev1.NodeHostName, Address: k.cfg.Hostname},
	}
}

// conditions are the Node's conditions, keeping the transition times of
// those that did not change.
func (k *kubelet) conditions(ready bool, now time.Time) []corev1.NodeCondition {
	k.mu.Lock()
	defer k.mu.Unlock()
	readyStatus, reason, msg := corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"
	if !ready {
		readyStatus, reason, msg = corev1.ConditionFalse, "KubeletNotReady", "node is shutting down"
	}
	want := []corev1.NodeCondition{
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available"},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure"},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available"},
		{Type: corev1.NodeReady, Status: readyStatus, Reason: reason, Message: msg},
	}
	for i := range want {
		want[i].LastHeartbeatTime = metav1.NewTime(now)
		want[i].LastTransitionTime = metav1.NewTime(now)
		for _, old := range k.lastConditions {
			if old.Type == want[i].Type && old.Status == want[i].Status {
				want[i].LastTransitionTime = old.LastTransitionTime
			}
		}
	}
	k.lastConditions = want
	return want
}

// reportStatus patches the Node's status: conditions, capacity, node info
// and, without an external cloud provider, addresses.
func (k *kubelet) reportStatus(ctx context.Context, ready bool) error {
	now := time.Now()
	memory := resource.MustParse(strconv.Itoa(int(k.vm.MemoryMB)) + "Mi")
	allocMemory := memory.DeepCopy()
	allocMemory.Sub(resource.MustParse(evictionHardMemory))
	storage := resource.MustParse(ephemeralStorage)
	allocStorage := resource.NewQuantity(storage.Value()*9/10, resource.BinarySI)
	cpu := resource.MustParse(strconv.Itoa(int(max(k.vm.NumCPU, 1))))
	pods := resource.MustParse(strconv.Itoa(maxPods))
	status := corev1.NodeStatus{
		Capacity: corev1.ResourceList{
			corev1.ResourceCPU: cpu, corev1.ResourceMemory: memory, corev1.ResourcePods: pods,
			corev1.ResourceEphemeralStorage: storage,
		},
		Allocatable: corev1.ResourceList{
			corev1.ResourceCPU: cpu, corev1.ResourceMemory: allocMemory, corev1.ResourcePods: pods,
			corev1.ResourceEphemeralStorage: *allocStorage,
		},
		Conditions:      k.conditions(ready, now),
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: kubeletPort}},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID:               machineID(k.vm.UUID, k.cfg.NodeName),
			SystemUUID:              k.vm.UUID,
			BootID:                  k.bootID,
			KernelVersion:           kernelVersion,
			OSImage:                 osImage,
			ContainerRuntimeVersion: containerRuntimeVersion,
			KubeletVersion:          k.cfg.Version,
			KubeProxyVersion:        k.cfg.Version,
			OperatingSystem:         "linux",
			Architecture:            "amd64",
		},
	}
	if !k.cfg.ExternalCloudProvider {
		status.Addresses = k.addresses()
	}
	patch, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return err
	}
	_, err = k.client.CoreV1().Nodes().Patch(ctx, k.cfg.NodeName, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		return fmt.Errorf("patch status of Node %s: %w", k.cfg.NodeName, err)
	}
	k.mu.Lock()
	k.lastStatusAt = now
	k.mu.Unlock()
	return nil
}

// renewLease renews (or creates) the Node's Lease in kube-node-lease.
func (k *kubelet) renewLease(ctx context.Context) {
	leases := k.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	seconds := int32(leaseDuration / time.Second)
	lease, err := leases.Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		k.mu.Lock()
		uid := k.nodeUID
		k.mu.Unlock()
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name: k.cfg.NodeName, Namespace: corev1.NamespaceNodeLease,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: k.cfg.NodeName, UID: uid}},
			},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: &k.cfg.NodeName, LeaseDurationSeconds: &seconds, RenewTime: &now},
		}, metav1.CreateOptions{})
	case err == nil:
		lease.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds, lease.Spec.RenewTime = &k.cfg.NodeName, &seconds, &now
		_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	}
	if err != nil && ctx.Err() == nil {
		k.log.Warn("renew node lease", "err", err)
	}
}

// machineID is a stable /etc/machine-id for the node.
func machineID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
