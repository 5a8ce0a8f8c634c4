package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/log"

	"github.com/clusterwright/clusterwright/workflows"
)

// historyDir holds recorded workflow histories, payloads decoded (see "Changing
// workflow code" in doc.go for how they are recorded).
const historyDir = "testdata/histories"

// wantHistories are the histories every release must replay: one per workflow type and
// path that issues its own commands.
var wantHistories = []string{
	"provision-succeeded", "provision-retried", "delete", "sync", "clusterset-form", "clusterset-disband",
	"certificate-check", "certificate-renewal",
	"scheduled-run", "scheduled-run-health", "backup",
	"restore", "vcenter-update-no-clusters", "vcenter-update", "upgrade", "delete-kubesphere-member",
	// bootstrap-per-node: the paths that clear each node's userdata once it joined
	// (changeBootstrapPerNode), and those recorded before it.
	"provision-succeeded-pre-delete-day0-token", "provision-succeeded-pre-bootstrap-per-node", "provision-retried-pre-bootstrap-per-node",
	"provision-vip", "provision-vip-pre-bootstrap-per-node",
	"scale-up", "scale-up-pre-bootstrap-per-node",
	"replace-control-plane", "replace-control-plane-pre-bootstrap-per-node",
	"provision-kubesphere-member", "provision-kubesphere-member-pre-bootstrap-per-node",
}

// TestReplayRecordedHistories replays every recorded history against this code. A change
// of a workflow's commands without a version guard fails here with a nondeterminism
// error, before a release meets running operations.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historyDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range files {
		have[strings.TrimSuffix(filepath.Base(f), ".json")] = true
	}
	for _, name := range wantHistories {
		if !have[name] {
			t.Errorf("no recorded history %s/%s.json", historyDir, name)
		}
	}
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := workflows.NewReplayer()
			if err != nil {
				t.Fatal(err)
			}
			if err := r.ReplayWorkflowHistoryFromJSONFile(logger, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
