package sim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
)

// A vcsim method handler that panics is recovered by net/http, which logs the panic
// to the process's standard error (not to the simulator's logger) and closes the
// connection: the client only sees EOF. Worse, vcsim (govmomi v0.56) takes its
// per-object locks without defer (Registry.WithLock), so the objects the call had
// locked stay locked and later calls on them hang. Two things help here:
//
//   - sim's own handlers lock with withLock, which releases the lock when the
//     function panics, and raise the panic again outside the lock;
//   - guardSDK recovers what reaches the /sdk endpoint, logs the method, the panic
//     and its stack with the VCenter's logger, and answers the call with a
//     SystemError fault that says so, instead of EOF.

// handlerPanic is a panic recovered inside a lock and raised again outside it,
// with the stack of where it happened.
type handlerPanic struct {
	value any
	stack []byte
}

func (p *handlerPanic) Error() string { return fmt.Sprint(p.value) }

// withLock runs f with obj's vcsim lock held on behalf of ctx, as ctx.WithLock
// does, but releases the lock if f panics; the panic then continues, outside the
// lock, as a *handlerPanic.
func withLock(ctx *simulator.Context, obj mo.Reference, f func()) {
	var p *handlerPanic
	ctx.WithLock(obj, func() { p = catchPanic(f) })
	if p != nil {
		panic(p)
	}
}

// catchPanic runs f and returns its panic, if any, with the stack where it happened.
func catchPanic(f func()) (p *handlerPanic) {
	defer func() {
		if v := recover(); v != nil {
			if hp, ok := v.(*handlerPanic); ok {
				p = hp
				return
			}
			p = &handlerPanic{value: v, stack: debug.Stack()}
		}
	}()
	f()
	return nil
}

// guardSDK makes the vSphere API of svc (its /sdk endpoint) recover and report
// handler panics (see sdkGuard). It must be called before svc.NewServer, which
// adds vcsim's routes to the same ServeMux. The routes "POST /sdk" (and its alias)
// are more specific than vcsim's "/sdk", so they take the vSphere calls; vcsim's
// own routes still answer other methods.
func guardSDK(svc *simulator.Service, log *slog.Logger) {
	if svc.ServeMux == nil {
		svc.ServeMux = http.NewServeMux()
	}
	guard := &sdkGuard{next: http.HandlerFunc(svc.ServeSDK), log: log}
	for _, path := range []string{vim25.Path, vim25.Path + "/vimService"} {
		svc.ServeMux.Handle(http.MethodPost+" "+path, guard)
	}
}

// sdkGuard serves vSphere calls with next; when a call panics, it logs the SOAP
// method, the panic and its stack, and answers with a SystemError fault (or, if
// the reply had begun, aborts it).
type sdkGuard struct {
	next http.Handler
	log  *slog.Logger
}

func (g *sdkGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		http.Error(w, "read request", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rw := &replyStarted{ResponseWriter: w}
	defer func() {
		v := recover()
		if v == nil || v == http.ErrAbortHandler {
			if v != nil {
				panic(v)
			}
			return
		}
		p, ok := v.(*handlerPanic)
		if !ok {
			p = &handlerPanic{value: v, stack: debug.Stack()}
		}
		method := soapMethod(body)
		g.log.Error("simulated vCenter: a vSphere call panicked; objects it had locked may stay locked, and later calls on them hang",
			"method", method, "panic", p.Error(), "stack", string(p.stack))
		if rw.started {
			panic(http.ErrAbortHandler)
		}
		writeSystemError(w, fmt.Sprintf("simulated vCenter panicked in %s: %s", method, p.Error()))
	}()
	g.next.ServeHTTP(rw, r)
}

// replyStarted notes whether the reply's header has been written.
type replyStarted struct {
	http.ResponseWriter
	started bool
}

func (w *replyStarted) WriteHeader(status int) {
	w.started = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *replyStarted) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

// soapMethod returns the name of the method a SOAP request calls: the first element
// in its Body.
func soapMethod(body []byte) string {
	d := xml.NewDecoder(bytes.NewReader(body))
	inBody := false
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "?"
			}
			return "? (" + err.Error() + ")"
		}
		if start, ok := tok.(xml.StartElement); ok {
			if inBody {
				return start.Name.Local
			}
			inBody = start.Name.Local == "Body"
		}
	}
}

// writeSystemError answers a vSphere call with a SystemError fault of reason msg.
func writeSystemError(w http.ResponseWriter, msg string) {
	var reason bytes.Buffer
	_ = xml.EscapeText(&reason, []byte(msg))
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `%s<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`+
		`<soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring>`+
		`<detail><SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError"><reason>%s</reason></SystemErrorFault></detail>`+
		`</soapenv:Fault></soapenv:Body></soapenv:Envelope>`, xml.Header, reason.String(), reason.String())
}
