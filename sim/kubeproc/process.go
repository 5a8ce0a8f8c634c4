package kubeproc

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"time"
)

// process is one running component.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	started time.Time
	done    chan struct{} // closed when the process has exited
	err     error         // the exit status, set before done is closed
	killed  atomic.Bool   // set by kill: the exit was on purpose
	stopped atomic.Bool   // set by ControlPlane.StopComponent: stopped on purpose
	// stoppedBefore is set once stop has run: a later stop reports nothing.
	stoppedBefore atomic.Bool
}

// startProcess starts binary with args, its output appended to logPath.
func startProcess(log *slog.Logger, name, binary, logPath string, args []string) (*process, error) {
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, started: time.Now(), done: make(chan struct{})}
	log.Debug("started", "component", name, "pid", cmd.Process.Pid, "log", logPath)
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	return p, nil
}

// exited returns whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitError describes an unexpected exit, with the end of the log.
func (p *process) exitError() error {
	return fmt.Errorf("%s exited: %v; end of %s:\n%s", p.name, p.err, p.logPath, tail(p.logPath, 2048))
}

// stop sends SIGTERM, waits up to grace, then kills. It reports a process
// that had already exited or had to be killed.
func (p *process) stop(log *slog.Logger, grace time.Duration) error {
	if p.exited() {
		if p.killed.Load() || (p.stopped.Load() && p.stoppedBefore.Load()) {
			return nil
		}
		return p.exitError()
	}
	defer p.stoppedBefore.Store(true)
	began := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		log.Debug("stopped", "component", p.name, "after", time.Since(began).Round(time.Millisecond))
		return nil
	case <-time.After(grace):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	<-p.done
	return fmt.Errorf("%s did not stop within %s and was killed", p.name, grace)
}

// kill sends SIGKILL and waits for the process to exit.
func (p *process) kill() {
	p.killed.Store(true)
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Kill() // fails only if it has exited already
	<-p.done
}

// tail returns up to the last n bytes of a file.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		if _, err := f.Seek(-n, io.SeekEnd); err != nil {
			return err.Error()
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
