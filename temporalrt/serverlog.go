package temporalrt

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger adapts the embedded Temporal server's logger interface to slog.
// It forwards only warnings and errors: the server is chatty at info level and
// the dev command is not about the server. Once stopping is set it forwards
// only errors, because a server shutting down warns about every connection its
// parts lose to each other.
type serverLogger struct {
	logger   *slog.Logger
	stopping *atomic.Bool
}

// benignWarnings are warnings the dev server always triggers by design.
var benignWarnings = []string{
	// The dev server serves gRPC only.
	"HTTP API port has not been set",
}

var (
	_ log.Logger     = serverLogger{}
	_ log.WithLogger = serverLogger{}
)

// newServerLogger returns a server logger writing to l. When l is nil it
// discards everything but the message of a Fatal or Panic, which it writes to
// slog.Default() so that the process does not end without a word.
func newServerLogger(l *slog.Logger, stopping *atomic.Bool) log.Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return serverLogger{logger: l.With(slog.String("component", "temporal-server")), stopping: stopping}
}

func (s serverLogger) Debug(string, ...tag.Tag) {}
func (s serverLogger) Info(string, ...tag.Tag)  {}

func (s serverLogger) Warn(msg string, tags ...tag.Tag) {
	if s.stopping.Load() || slices.ContainsFunc(benignWarnings, func(w string) bool { return strings.HasPrefix(msg, w) }) {
		return
	}
	s.log(slog.LevelWarn, msg, tags)
}

func (s serverLogger) Error(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
}

func (s serverLogger) DPanic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
}

// Panic logs and panics, as the server's logger contract requires.
func (s serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.logLast(msg, tags)
	panic(msg)
}

// Fatal logs and exits the process, as the server's logger contract requires:
// the server calls it where it cannot continue (for example when a port it
// must listen on is taken) and does not expect it to return.
func (s serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.logLast(msg, tags)
	os.Exit(1)
}

// With returns a logger that adds tags to every record.
func (s serverLogger) With(tags ...tag.Tag) log.Logger {
	return serverLogger{logger: s.logger.With(attrs(tags)...), stopping: s.stopping}
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if !s.logger.Enabled(ctx, level) {
		return
	}
	s.logger.Log(ctx, level, msg, attrs(tags)...)
}

// logLast logs the server's last words at error level, to slog.Default() if
// the configured logger would drop them.
func (s serverLogger) logLast(msg string, tags []tag.Tag) {
	l := s.logger
	if !l.Enabled(context.Background(), slog.LevelError) {
		l = slog.Default().With(slog.String("component", "temporal-server"))
	}
	l.Error(msg, attrs(tags)...)
}

func attrs(tags []tag.Tag) []any {
	out := make([]any, 0, len(tags))
	for _, t := range tags {
		out = append(out, slog.Any(t.Key(), t.Value()))
	}
	return out
}
