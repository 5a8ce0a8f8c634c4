//go:build !linux

package kubeproc

import "syscall"

// sysProcAttr has no parent-death signal outside Linux: children outlive a
// crashed parent there and must be stopped with (*ControlPlane).Stop.
func sysProcAttr() *syscall.SysProcAttr { return nil }
