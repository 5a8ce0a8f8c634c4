package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

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
