package sim

import (
	"bytes"
	"runtime"
)

// SimulatorCode marks the frames of govmomi's simulator (vcsim) in a goroutine's
// stack; pass it to Goroutines for the goroutines of the simulated vCenters.
const SimulatorCode = "github.com/vmware/govmomi/simulator"

// Goroutines returns the stacks of this process's goroutines whose stack contains
// one of marks (every goroutine when there is none), as a Go goroutine dump shows
// them. Tests log it when a wait on a simulated vCenter times out: a call hung on
// one of vcsim's object locks shows there with what holds it up.
func Goroutines(marks ...string) string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	if len(marks) == 0 {
		return string(buf)
	}
	var out bytes.Buffer
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		for _, m := range marks {
			if bytes.Contains(g, []byte(m)) {
				out.Write(g)
				out.WriteString("\n\n")
				break
			}
		}
	}
	return out.String()
}
