package temporalrt

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

func TestServerLoggerLevelsAndTags(t *testing.T) {
	var buf bytes.Buffer
	stopping := new(atomic.Bool)
	l := newServerLogger(slog.New(slog.NewTextHandler(&buf, nil)), stopping)
	l = log.With(l, tag.NewStringTag("service", "history"))

	l.Debug("debug message")
	l.Info("info message")
	l.Warn("HTTP API port has not been set. Nexus will not work.")
	l.Warn("warn message", tag.Error(errors.New("boom")))
	stopping.Store(true)
	l.Warn("shutdown warning")
	l.Error("error message", tag.NewInt("shard", 1))

	out := buf.String()
	for _, absent := range []string{"debug message", "info message", "HTTP API port", "shutdown warning"} {
		if strings.Contains(out, absent) {
			t.Errorf("logged %q:\n%s", absent, out)
		}
	}
	for _, present := range []string{
		`level=WARN msg="warn message" component=temporal-server service=history error=boom`,
		`level=ERROR msg="error message" component=temporal-server service=history shard=1`,
	} {
		if !strings.Contains(out, present) {
			t.Errorf("missing %q in:\n%s", present, out)
		}
	}
}
