package apptest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Main runs a package's tests under a watchdog, for a TestMain:
//
//	func TestMain(m *testing.M) { apptest.Main(m) }
//
// When the tests still run a minute before -test.timeout, the watchdog prints the tests
// that started an Env and have not ended, then the stacks of the goroutines in
// Clusterwright's code (the hung test and what it waits on), and exits. Go's own timeout
// prints every goroutine of the process — the Temporal server's thousands last — so a CI
// log that keeps only the end of the output would not name the culprit; this does.
func Main(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.timeout"); f != nil {
		if timeout, ok := f.Value.(flag.Getter).Get().(time.Duration); ok && timeout > 2*time.Minute {
			time.AfterFunc(timeout-time.Minute, func() {
				fmt.Fprint(os.Stderr, watchdogReport(timeout))
				os.Exit(2)
			})
		}
	}
	os.Exit(m.Run())
}

// running are the tests with a started Env that has not been torn down, by name, with the
// time each started.
var running = struct {
	sync.Mutex
	tests map[string]time.Time
}{tests: map[string]time.Time{}}

// track records t as running until its cleanups run.
func track(t testing.TB) {
	running.Lock()
	running.tests[t.Name()] = time.Now()
	running.Unlock()
	t.Cleanup(func() {
		running.Lock()
		delete(running.tests, t.Name())
		running.Unlock()
	})
}

// ownCode marks the frames of this module in a goroutine's stack.
const ownCode = "github.com/clusterwright/clusterwright/"

// watchdogReport is what the watchdog prints: the goroutines in Clusterwright's code,
// then the tests still running (last, to be seen first from the end).
func watchdogReport(timeout time.Duration) string {
	buf := make([]byte, 64<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var b strings.Builder
	fmt.Fprintf(&b, "\napptest watchdog: tests still running a minute before the %s timeout\n", timeout)
	fmt.Fprintf(&b, "goroutines in Clusterwright's code:\n\n")
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte(ownCode)) {
			b.Write(g)
			b.WriteString("\n\n")
		}
	}
	running.Lock()
	names := make([]string, 0, len(running.tests))
	for name, since := range running.tests {
		names = append(names, fmt.Sprintf("%s (for %s)", name, time.Since(since).Round(time.Second)))
	}
	running.Unlock()
	slices.Sort(names)
	fmt.Fprintf(&b, "apptest watchdog: tests with an Env still running: %s\n", strings.Join(names, ", "))
	return b.String()
}
