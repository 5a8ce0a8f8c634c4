package sim

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// A vSphere call whose handler panics is logged with its method, the panic and the
// stack on the VCenter's logger, and answered with a SystemError fault that says so
// (vcsim alone leaves that to net/http: a line on standard error and EOF for the
// client). The vCenter answers the next call.
func TestVCenterReportsHandlerPanics(t *testing.T) {
	var logs lockedBuffer
	vc := start(t, VCenterOptions{VMs: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	r := vc.model.Map()
	next := r.Handler
	// Set before any call; a client's request is ordered after it.
	r.Handler = func(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if m.Name == "CurrentTime" {
			panic("boom in a handler")
		}
		return next(ctx, m)
	}
	c, err := login(t, vc, vc.Username, vc.Password)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callWait)
	defer cancel()

	_, err = methods.GetCurrentTime(ctx, c.Client)
	if err == nil || !strings.Contains(err.Error(), "simulated vCenter panicked in CurrentTime: boom in a handler") {
		t.Fatalf("a call that panics: %v, want a fault that says it panicked", err)
	}
	if !soap.IsSoapFault(err) {
		t.Fatalf("a call that panics: %v (%T), want a SOAP fault", err, err)
	}
	if fault, ok := soap.ToSoapFault(err).VimFault().(types.SystemError); !ok || !strings.Contains(fault.Reason, "boom") {
		t.Errorf("fault detail %#v, want a SystemError with the panic", soap.ToSoapFault(err).VimFault())
	}
	logged := logs.String()
	for _, want := range []string{"level=ERROR", "method=CurrentTime", `panic="boom in a handler"`, "TestVCenterReportsHandlerPanics"} {
		if !strings.Contains(logged, want) {
			t.Errorf("the log lacks %q:\n%s", want, logged)
		}
	}
	if _, err := methods.GetCurrentTime(ctx, c.Client); err == nil {
		t.Error("the second call that panics succeeded")
	}
	var folder mo.Folder
	if err := c.RetrieveOne(ctx, c.ServiceContent.RootFolder, []string{"name"}, &folder); err != nil {
		t.Errorf("a call after the panics: %v", err)
	}
}

// withLock releases the object's lock when the function panics (vcsim's WithLock
// does not), and the panic goes on with where it happened.
func TestWithLockReleasesOnPanic(t *testing.T) {
	vc := start(t, VCenterOptions{VMs: -1})
	root := vc.model.ServiceContent.RootFolder
	first, second := *vc.model.Service.Context, *vc.model.Service.Context

	p := catchPanic(func() { withLock(&first, root, func() { panic(errors.New("inside the lock")) }) })
	if p == nil || p.Error() != "inside the lock" || !strings.Contains(string(p.stack), "TestWithLockReleasesOnPanic") {
		t.Fatalf("panic %v, want the one inside the lock with its stack", p)
	}
	locked := make(chan struct{})
	go second.WithLock(root, func() { close(locked) })
	select {
	case <-locked:
	case <-time.After(callWait):
		t.Fatal("the root folder stayed locked after a panic under its lock")
	}
}

// Goroutines keeps the goroutines whose stacks have a mark, and only those. The mark is a
// goroutine the test parks in a function of its own: whether a fresh vCenter has a
// goroutine in the simulator's code at a given moment is up to vcsim.
func TestGoroutines(t *testing.T) {
	release := make(chan struct{})
	parked := make(chan struct{})
	go parkForGoroutinesTest(parked, release)
	defer close(release)
	<-parked
	const mark = "sim.parkForGoroutinesTest"
	got := Goroutines(mark)
	if !strings.Contains(got, mark) || !strings.HasPrefix(got, "goroutine ") {
		t.Errorf("the parked goroutine:\n%s", got)
	}
	if strings.Contains(got, "sim.TestGoroutines(") { // a frame; "created by" names it too

		t.Errorf("the test's own goroutine is among the marked ones:\n%s", got)
	}
	if all := Goroutines(); !strings.Contains(all, "sim.TestGoroutines(") || !strings.Contains(all, mark) || len(all) < len(got) {
		t.Errorf("Goroutines() lacks the test's or the parked goroutine:\n%s", all)
	}
}

// parkForGoroutinesTest says it runs, then waits for release.
func parkForGoroutinesTest(parked chan<- struct{}, release <-chan struct{}) {
	close(parked)
	<-release
}
