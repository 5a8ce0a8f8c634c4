package kubeproc

import "syscall"

// sysProcAttr makes the kernel kill a child when the process that started it
// dies, so that a crashed test or dev server leaves no control plane behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
