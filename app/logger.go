package app

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"
)

// Log formats (the log-format setting).
const (
	LogFormatAuto = "auto" // text on a terminal, JSON otherwise
	LogFormatText = "text"
	LogFormatJSON = "json"
)

// Logger returns the process's logger, writing to stderr at the configured level in the
// configured format.
func (c *Config) Logger() (*slog.Logger, error) {
	return c.NewLogger(os.Stderr)
}

// NewLogger returns a logger writing to w at the configured level, in the configured
// format: with "auto", readable text lines when w is a terminal and JSON when it is not
// (piped to a file or a log collector).
func (c *Config) NewLogger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(orDefault(c.LogLevel, "info")))); err != nil {
		return nil, fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	format, err := ChooseLogFormat(c.LogFormat, isTerminal(w))
	if err != nil {
		return nil, err
	}
	if format == LogFormatText {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: shortTime})), nil
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})), nil
}

// ChooseLogFormat resolves the log-format setting to LogFormatText or LogFormatJSON;
// terminal says whether the log goes to a terminal.
func ChooseLogFormat(setting string, terminal bool) (string, error) {
	switch strings.ToLower(strings.TrimSpace(setting)) {
	case LogFormatText:
		return LogFormatText, nil
	case LogFormatJSON:
		return LogFormatJSON, nil
	case "", LogFormatAuto:
		if terminal {
			return LogFormatText, nil
		}
		return LogFormatJSON, nil
	}
	return "", fmt.Errorf("log-format %q: want json, text or auto", setting)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// shortTime writes a text line's time as the time of day: a person at a terminal knows
// the date.
func shortTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 && a.Value.Kind() == slog.KindTime {
		return slog.String(slog.TimeKey, a.Value.Time().Format("15:04:05.000"))
	}
	return a
}
