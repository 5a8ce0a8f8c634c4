package node

import "time"

// Phase is where a node is in its life.
type Phase string

// Phases of a node.
const (
	// PhaseOff: the VM is powered off.
	PhaseOff Phase = "off"
	// PhaseBooting: the guest is booting; on the first boot of the
	// instance, cloud-init and kubeadm are running.
	PhaseBooting Phase = "booting"
	// PhaseRunning: the node's services run (control plane, kubelet).
	PhaseRunning Phase = "running"
	// PhaseFailed: the guest runs, but kubeadm failed (Status.Reason says
	// why) and the node never registered, as a real VM where kubeadm
	// failed stays up with its address.
	PhaseFailed Phase = "failed"
)

// Status is a node's state.
type Status struct {
	Phase Phase
	// Reason explains PhaseFailed.
	Reason string
	// Boots counts the power-ons.
	Boots int
	// BootedAt is the time of the last power-on.
	BootedAt time.Time
	// ReadyAt is when the services of the last boot were up (the kubelet
	// started), zero before.
	ReadyAt time.Time
}
