package temporalrt

import (
	"context"
	"log/slog"
	"os"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger adapts the embedded Temporal server's logger interface to slog.
// It forwards only warnings and errors: the server is chatty at info level and
// the dev command is not about the server.
type serverLogger struct {
	logger *slog.Logger
}

var (
	_ log.Logger     = serverLogger{}
	_ log.WithLogger = serverLogger{}
)

// newServerLogger returns a server logger writing to l, or one that discards
// everything when l is nil.
func newServerLogger(l *slog.Logger) log.Logger {
	if l == nil {
		return log.NewNoopLogger()
	}
	return serverLogger{logger: l.With(slog.String("component", "temporal-server"))}
}

func (s serverLogger) Debug(string, ...tag.Tag) {}
func (s serverLogger) Info(string, ...tag.Tag)  {}

func (s serverLogger) Warn(msg string, tags ...tag.Tag) {
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
	s.log(slog.LevelError, msg, tags)
	panic(msg)
}

// Fatal logs and exits the process, as the server's logger contract requires:
// the server calls it where it cannot continue (for example when a port it
// must listen on is taken) and does not expect it to return.
func (s serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	os.Exit(1)
}

// With returns a logger that adds tags to every record.
func (s serverLogger) With(tags ...tag.Tag) log.Logger {
	return serverLogger{logger: s.logger.With(attrs(tags)...)}
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if !s.logger.Enabled(ctx, level) {
		return
	}
	s.logger.Log(ctx, level, msg, attrs(tags)...)
}

func attrs(tags []tag.Tag) []any {
	out := make([]any, 0, len(tags))
	for _, t := range tags {
		out = append(out, slog.Any(t.Key(), t.Value()))
	}
	return out
}
