package node

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// The vSphere cloud provider as it shows in a cluster.
const (
	// cpiDaemonSet is the DaemonSet the vSphere CPI chart installs in
	// kube-system; the simulated provider acts only while it exists.
	cpiDaemonSet = "vsphere-cloud-controller-manager"
	// providerIDPrefix prefixes the VM's BIOS UUID in a Node's providerID.
	providerIDPrefix = "vsphere://"
	// cloudResync is how often the provider reconciles without being nudged
	// (the CPI's node monitor period).
	cloudResync = 5 * time.Second
)

// cloudProvider simulates the vSphere cloud controller manager's node
// controllers: it initialises Nodes registered with the uninitialized taint
// (providerID vsphere://<BIOS UUID>, addresses, instance type, taint
// removed) and deletes NotReady Nodes whose VM no longer exists.
type cloudProvider struct {
	client  kubernetes.Interface
	cloud   Cloud
	log     *slog.Logger
	trigger chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}

	nodes corelisters.NodeLister
	ds    appslisters.DaemonSetLister
}

// startCloudProvider starts the provider with admin credentials.
func startCloudProvider(client kubernetes.Interface, cloud Cloud, log *slog.Logger) *cloudProvider {
	ctx, cancel := context.WithCancel(context.Background())
	c := &cloudProvider{
		client: client, cloud: cloud, log: log.With("component", "vsphere-cpi"),
		trigger: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{}),
	}
	go c.run(ctx)
	return c
}

// nudge asks for a reconciliation now.
func (c *cloudProvider) nudge() {
	select {
	case c.trigger <- struct{}{}:
	default:
	}
}

// stop stops the provider and waits for it.
func (c *cloudProvider) stop() {
	c.cancel()
	<-c.done
}

func (c *cloudProvider) run(ctx context.Context) {
	defer close(c.done)
	all := informers.NewSharedInformerFactory(c.client, 0)
	system := informers.NewSharedInformerFactoryWithOptions(c.client, 0, informers.WithNamespace(metav1.NamespaceSystem))
	nodeInformer := all.Core().V1().Nodes()
	dsInformer := system.Apps().V1().DaemonSets()
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.nudge() },
		UpdateFunc: func(any, any) { c.nudge() },
		DeleteFunc: func(any) { c.nudge() },
	}
	for _, inf := range []cache.SharedIndexInformer{nodeInformer.Informer(), dsInformer.Informer()} {
		if _, err := inf.AddEventHandler(handler); err != nil {
			c.log.Error("watch", "err", err)
			return
		}
	}
	c.nodes, c.ds = nodeInformer.Lister(), dsInformer.Lister()
	all.Start(ctx.Done())
	system.Start(ctx.Done())
	defer all.Shutdown()
	defer system.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), nodeInformer.Informer().HasSynced, dsInformer.Informer().HasSynced) {
		return
	}
	tick := time.NewTicker(cloudResync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.trigger:
		case <-tick.C:
		}
		c.reconcile(ctx)
	}
}

// reconcile initialises and deletes Nodes, once the CPI is installed.
func (c *cloudProvider) reconcile(ctx context.Context) {
	if _, err := c.ds.DaemonSets(metav1.NamespaceSystem).Get(cpiDaemonSet); err != nil {
		return // not installed (yet)
	}
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return
	}
	for _, node := range nodes {
		inst, found := c.cloud.Instance(nodeUUID(node), node.Name)
		switch {
		case !found && !nodeReady(node):
			c.deleteNode(ctx, node)
		case found && slices.ContainsFunc(node.Spec.Taints, isUninitialized):
			if err := c.initialize(ctx, node, inst); err != nil && !apierrors.IsConflict(err) && ctx.Err() == nil {
				c.log.Warn("initialize node", "node", node.Name, "err", err)
			}
		}
	}
}

// initialize does what the cloud node controller does for a new Node.
func (c *cloudProvider) initialize(ctx context.Context, node *corev1.Node, inst Instance) error {
	taints := slices.DeleteFunc(slices.Clone(node.Spec.Taints), isUninitialized)
	providerID := node.Spec.ProviderID
	if providerID == "" {
		providerID = providerIDPrefix + strings.ToLower(inst.UUID)
	}
	lbls := map[string]string{
		corev1.LabelInstanceTypeStable: instanceType(inst),
		corev1.LabelInstanceType:       instanceType(inst),
	}
	spec, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": node.ResourceVersion, "labels": lbls},
		"spec":     map[string]any{"providerID": providerID, "taints": taints},
	})
	if err != nil {
		return err
	}
	nodes := c.client.CoreV1().Nodes()
	if _, err := nodes.Patch(ctx, node.Name, types.MergePatchType, spec, metav1.PatchOptions{}); err != nil {
		return err
	}
	if addrs := instanceAddresses(node, inst); addrs != nil {
		status, err := json.Marshal(map[string]any{"status": map[string]any{"addresses": addrs}})
		if err != nil {
			return err
		}
		if _, err := nodes.Patch(ctx, node.Name, types.MergePatchType, status, metav1.PatchOptions{}, "status"); err != nil {
			return fmt.Errorf("addresses: %w", err)
		}
	}
	c.log.Info("node initialized", "node", node.Name, "providerID", providerID)
	return nil
}

// deleteNode deletes a Node whose VM is gone.
func (c *cloudProvider) deleteNode(ctx context.Context, node *corev1.Node) {
	err := c.client.CoreV1().Nodes().Delete(ctx, node.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &node.UID},
	})
	switch {
	case err == nil:
		c.log.Info("deleted node: its VM no longer exists", "node", node.Name)
	case !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) && ctx.Err() == nil:
		c.log.Warn("delete node", "node", node.Name, "err", err)
	}
}

// instanceAddresses are the Node addresses the CPI reports for a VM: its
// guest address as internal and external IP, and its host name; nil if the
// VM reports no address.
func instanceAddresses(node *corev1.Node, inst Instance) []corev1.NodeAddress {
	ip := inst.IP
	if ip == "" {
		for _, a := range node.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				ip = a.Address
			}
		}
	}
	if ip == "" {
		return nil
	}
	return []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: ip},
		{Type: corev1.NodeExternalIP, Address: ip},
		{Type: corev1.NodeHostName, Address: node.Name},
	}
}

// instanceType is the CPI's instance type label for a VM.
func instanceType(inst Instance) string {
	return fmt.Sprintf("vsphere-vm.cpu-%d.mem-%dgb.os-ubuntu", inst.NumCPU, max(inst.MemoryMB/1024, 1))
}

// nodeUUID is the BIOS UUID a Node is known by: from its providerID, else
// the system UUID its kubelet reports.
func nodeUUID(node *corev1.Node) string {
	if id, ok := strings.CutPrefix(node.Spec.ProviderID, providerIDPrefix); ok {
		return id
	}
	return node.Status.NodeInfo.SystemUUID
}

// nodeReady reports whether the Node's Ready condition is True.
func nodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func isUninitialized(t corev1.Taint) bool { return t.Key == uninitializedTaint.Key }
