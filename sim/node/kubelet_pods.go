package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// errNoPodCIDR delays a Pod until the Node has been given a pod CIDR.
var errNoPodCIDR = errors.New("node has no pod CIDR yet")

// startInformers watches the Pods bound to this node and the Node itself,
// with the field selectors the Node authorizer requires of a kubelet.
func (k *kubelet) startInformers(ctx context.Context) error {
	selected := func(field, value string) informers.SharedInformerOption {
		return informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector(field, value).String()
		})
	}
	pods := informers.NewSharedInformerFactoryWithOptions(k.client, 0, selected("spec.nodeName", k.cfg.NodeName))
	nodes := informers.NewSharedInformerFactoryWithOptions(k.client, 0, selected("metadata.name", k.cfg.NodeName))

	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			k.queue.Add(key)
		}
	}
	podInformer := pods.Core().V1().Pods()
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}); err != nil {
		return err
	}
	k.pods = podInformer.Lister()
	nodeChanged := func(obj any) {
		if node, ok := obj.(*corev1.Node); ok {
			k.nodeChanged(node)
		}
	}
	nodeInformer := nodes.Core().V1().Nodes().Informer()
	if _, err := nodeInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    nodeChanged,
		UpdateFunc: func(_, obj any) { nodeChanged(obj) },
	}); err != nil {
		return err
	}
	pods.Start(ctx.Done())
	nodes.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), podInformer.Informer().HasSynced, nodeInformer.HasSynced) {
		return fmt.Errorf("informers did not sync: %w", ctx.Err())
	}
	return nil
}

// nodeChanged records the Node's pod CIDR; when it is first assigned, the
// Pods waiting for an address are synced again.
func (k *kubelet) nodeChanged(node *corev1.Node) {
	k.mu.Lock()
	changed := node.Spec.PodCIDR != k.podCIDR
	k.podCIDR = node.Spec.PodCIDR
	k.nodeUID = node.UID
	k.seenReady = nodeReady(node)
	k.mu.Unlock()
	if !changed || k.pods == nil {
		return
	}
	pods, _ := k.pods.List(labels.Everything())
	for _, p := range pods {
		if key, err := cache.MetaNamespaceKeyFunc(p); err == nil {
			k.queue.Add(key)
		}
	}
}

// podWorker syncs queued Pods until the queue shuts down.
func (k *kubelet) podWorker(ctx context.Context) {
	for {
		key, shutdown := k.queue.Get()
		if shutdown {
			return
		}
		err := k.syncPod(ctx, key)
		switch {
		case err == nil:
			k.queue.Forget(key)
		case ctx.Err() != nil:
		default:
			if !errors.Is(err, errNoPodCIDR) && !apierrors.IsConflict(err) {
				k.log.Warn("sync pod", "pod", key, "err", err)
			}
			k.queue.AddRateLimited(key)
		}
		k.queue.Done(key)
	}
}

// syncPod brings one Pod to the state a kubelet would: Running and Ready
// once bound here, terminated and deleted once it is being deleted.
func (k *kubelet) syncPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := k.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		k.ips.release(key)
		return nil
	}
	if err != nil {
		return err
	}
	if pod.Spec.NodeName != k.cfg.NodeName {
		return nil
	}
	if pod.DeletionTimestamp != nil {
		return k.terminatePod(ctx, key, pod)
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return nil
	}
	ip := k.cfg.NodeIP
	if !pod.Spec.HostNetwork {
		k.mu.Lock()
		podCIDR := k.podCIDR
		k.mu.Unlock()
		addr, err := k.ips.assign(key, podCIDR, pod.Status.PodIP)
		if err != nil {
			return err
		}
		ip = addr.String()
	}
	if podRunning(pod, ip) {
		return nil
	}
	updated := pod.DeepCopy()
	updated.Status = runningStatus(pod, ip, k.cfg.NodeIP, time.Now())
	_, err = k.client.CoreV1().Pods(ns).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	return ignoreNotFound(err)
}

// terminatePod stops a Pod being deleted, as the kubelet does once its
// containers have exited: it reports them terminated and the Pod in a
// terminal phase, then deletes the Pod for good (grace period 0).
func (k *kubelet) terminatePod(ctx context.Context, key string, pod *corev1.Pod) error {
	pods := k.client.CoreV1().Pods(pod.Namespace)
	if pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
		updated := pod.DeepCopy()
		updated.Status = terminatedStatus(pod, time.Now())
		if _, err := pods.UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
			return ignoreNotFound(err)
		}
	}
	zero := int64(0)
	err := pods.Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero,
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return err
	}
	k.ips.release(key)
	return nil
}

// readyConditions are the Pod conditions of a running, ready Pod.
var readyConditions = []corev1.PodConditionType{
	corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled,
}

// podRunning reports whether the Pod's status already says it runs, ready,
// at ip.
func podRunning(pod *corev1.Pod, ip string) bool {
	s := pod.Status
	if s.Phase != corev1.PodRunning || s.PodIP != ip || len(s.ContainerStatuses) != len(pod.Spec.Containers) {
		return false
	}
	for _, t := range readyConditions {
		if c := podCondition(s, t); c == nil || c.Status != corev1.ConditionTrue {
			return false
		}
	}
	for _, c := range s.ContainerStatuses {
		if !c.Ready || c.State.Running == nil {
			return false
		}
	}
	return true
}

// podCondition returns the Pod's condition of type t, or nil.
func podCondition(s corev1.PodStatus, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// runningStatus is the status of a Pod whose containers all run and are
// ready, with podIP as its address and hostIP as its node's.
func runningStatus(pod *corev1.Pod, podIP, hostIP string, now time.Time) corev1.PodStatus {
	old := pod.Status
	started := metav1.NewTime(now)
	if old.StartTime != nil {
		started = *old.StartTime
	}
	s := corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    hostIP,
		HostIPs:   []corev1.HostIP{{IP: hostIP}},
		PodIP:     podIP,
		PodIPs:    []corev1.PodIP{{IP: podIP}},
		StartTime: &started,
		QOSClass:  old.QOSClass,
	}
	for _, t := range readyConditions {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now)}
		if prev := podCondition(old, t); prev != nil && prev.Status == corev1.ConditionTrue {
			c.LastTransitionTime = prev.LastTransitionTime
		}
		s.Conditions = append(s.Conditions, c)
	}
	for _, c := range pod.Spec.InitContainers {
		s.InitContainerStatuses = append(s.InitContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: imageID(c.Image), ContainerID: containerID(pod, c.Name),
			Ready: true, Started: new(false),
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Reason: "Completed", StartedAt: started, FinishedAt: started,
			}},
		})
	}
	for _, c := range pod.Spec.Containers {
		at := started
		for _, prev := range old.ContainerStatuses {
			if prev.Name == c.Name && prev.State.Running != nil {
				at = prev.State.Running.StartedAt
			}
		}
		s.ContainerStatuses = append(s.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: imageID(c.Image), ContainerID: containerID(pod, c.Name),
			Ready: true, Started: new(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at}},
		})
	}
	return s
}

// terminatedStatus is the status of a Pod whose containers have exited
// after it was asked to stop.
func terminatedStatus(pod *corev1.Pod, now time.Time) corev1.PodStatus {
	s := *pod.Status.DeepCopy()
	s.Phase = corev1.PodSucceeded
	for i := range s.Conditions {
		switch s.Conditions[i].Type {
		case corev1.PodReady, corev1.ContainersReady, corev1.PodReadyToStartContainers:
			s.Conditions[i].Status = corev1.ConditionFalse
			s.Conditions[i].Reason = "PodCompleted"
			s.Conditions[i].LastTransitionTime = metav1.NewTime(now)
		}
	}
	finished := metav1.NewTime(now)
	for i := range s.ContainerStatuses {
		c := &s.ContainerStatuses[i]
		started := finished
		if c.State.Running != nil {
			started = c.State.Running.StartedAt
		}
		c.Ready, c.Started = false, new(false)
		c.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 0, Reason: "Completed", StartedAt: started, FinishedAt: finished, ContainerID: c.ContainerID,
		}}
	}
	return s
}

// imageID is the digest a container runtime would report for image.
func imageID(image string) string {
	sum := sha256.Sum256([]byte(image))
	repo := image
	for i := len(image) - 1; i >= 0; i-- {
		if image[i] == ':' {
			repo = image[:i]
			break
		}
		if image[i] == '/' {
			break
		}
	}
	return repo + "@sha256:" + hex.EncodeToString(sum[:])
}

// containerID is a stable containerd ID for a container of the Pod.
func containerID(pod *corev1.Pod, name string) string {
	sum := sha256.Sum256([]byte(string(pod.UID) + "/" + name))
	return "containerd://" + hex.EncodeToString(sum[:])
}
