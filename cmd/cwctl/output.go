package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/yaml"
)

// structured reports whether -o asks for the API's reply (json or yaml), not a table.
func (s *session) structured() bool { return s.output == outputJSON || s.output == outputYAML }

// printReply writes a JSON reply of the API as -o asks: indented JSON, or YAML.
func (s *session) printReply(raw []byte) error {
	if s.output == outputYAML {
		return printYAML(s.stdout, raw)
	}
	return printJSON(s.stdout, raw)
}

// printYAML writes a JSON reply as YAML.
func printYAML(w io.Writer, raw []byte) error {
	b, err := yaml.JSONToYAML(raw)
	if err != nil {
		return fmt.Errorf("reply is not JSON: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// printJSON writes a JSON reply indented, as the API sent it otherwise.
func printJSON(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(raw), "", "  "); err != nil {
		return fmt.Errorf("reply is not JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// table writes aligned columns; the first row is the header.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() { t.tw.Flush() }

// fields writes "key: value" lines, aligned.
func fields(w io.Writer, kv ...string) {
	tw := tabwriter.NewWriter(w, 2, 4, 1, ' ', 0)
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "%s:\t%s\n", kv[i], v)
	}
	tw.Flush()
}

// timestamp formats t as RFC 3339 in UTC; "" for the zero time.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// timestampOf is timestamp of an optional time.
func timestampOf(t *time.Time) string {
	if t == nil {
		return ""
	}
	return timestamp(*t)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// gib formats a byte count in GiB.
func gib(bytes int64) string { return fmt.Sprintf("%.1f GiB", float64(bytes)/(1<<30)) }

// plural formats a count of things: "1 host", "3 hosts".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
