package app

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestChooseLogFormat(t *testing.T) {
	for _, c := range []struct {
		setting  string
		terminal bool
		want     string
	}{
		{"", true, LogFormatText},
		{"", false, LogFormatJSON},
		{"auto", true, LogFormatText},
		{"auto", false, LogFormatJSON},
		{"text", false, LogFormatText},
		{"TEXT", false, LogFormatText},
		{"json", true, LogFormatJSON},
	} {
		got, err := ChooseLogFormat(c.setting, c.terminal)
		if err != nil || got != c.want {
			t.Errorf("ChooseLogFormat(%q, terminal=%v) = %q, %v; want %q", c.setting, c.terminal, got, err, c.want)
		}
	}
	if _, err := ChooseLogFormat("yaml", true); err == nil || !strings.Contains(err.Error(), "json, text or auto") {
		t.Errorf("log-format yaml: %v", err)
	}
}

// TestLoggerFormats writes a line through the logger of each setting: JSON to a pipe and
// a buffer (not terminals) unless text is asked for.
func TestLoggerFormats(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w) || isTerminal(&bytes.Buffer{}) {
		t.Fatal("a pipe or a buffer taken for a terminal")
	}

	line := func(format string) string {
		var buf bytes.Buffer
		logger, err := (&Config{LogFormat: format}).NewLogger(&buf)
		if err != nil {
			t.Fatalf("log-format %q: %v", format, err)
		}
		logger.Info("clusterwright dev is up", "api", "http://127.0.0.1:8080/api/v1")
		return buf.String()
	}
	for _, format := range []string{"", "auto", "json"} {
		var m map[string]any
		if err := json.Unmarshal([]byte(line(format)), &m); err != nil || m["msg"] != "clusterwright dev is up" {
			t.Errorf("log-format %q: not a JSON line: %v %q", format, err, line(format))
		}
	}
	text := line("text")
	if !strings.Contains(text, `level=INFO msg="clusterwright dev is up" api=http://127.0.0.1:8080/api/v1`) || strings.HasPrefix(text, "{") {
		t.Errorf("log-format text: %q", text)
	}
	if _, err := (&Config{LogFormat: "xml"}).NewLogger(w); err == nil {
		t.Error("log-format xml accepted")
	}
}

// TestFromEnvironment names the settings whose value came from their environment variable,
// and not those given as flags.
func TestFromEnvironment(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://127.0.0.1:1/x")
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:2")
	t.Setenv("CLUSTERWRIGHT_CHART_MIRROR", "/charts") // set, but not a setting of this command
	var cfg Config
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	cfg.Bind(fs, "database-url", "temporal-address", "log-level")
	if err := fs.Parse([]string{"--temporal-address", "127.0.0.1:3"}); err != nil {
		t.Fatal(err)
	}
	if got := cfg.FromEnvironment(fs); !slices.Equal(got, []string{"DATABASE_URL"}) {
		t.Errorf("FromEnvironment = %v, want [DATABASE_URL]", got)
	}
	if cfg.DatabaseURL != "postgres://127.0.0.1:1/x" || cfg.TemporalAddress != "127.0.0.1:3" {
		t.Errorf("config = %+v", cfg)
	}
}
