package workflows_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// wantChanges are, by history, the version guards (change ids of versions.go) whose new
// path that history took. A history proves a change only if its recorded Version
// markers say so; the change ids are inside encoded payloads, so a grep of the files
// does not find them.
var wantChanges = map[string][]string{
	"provision-succeeded":                       {"control-plane-vip", "bootstrap-per-node", "delete-day0-token"},
	"provision-succeeded-pre-delete-day0-token": {"control-plane-vip", "bootstrap-per-node"},
	"provision-retried":                         {"decision-on-failure", "control-plane-vip", "bootstrap-per-node"},
	"provision-vip":                             {"control-plane-vip", "bootstrap-per-node"},
	"provision-kubesphere-member":               {"control-plane-vip", "bootstrap-per-node", "kubesphere-member"},
	"scale-up":                                  {"bootstrap-per-node"},
	"replace-control-plane":                     {"bootstrap-per-node"},
}

// TestRecordedHistoriesTakeNewPaths checks that the histories recorded for a change
// went through its new path, so that the replay test covers it.
func TestRecordedHistoriesTakeNewPaths(t *testing.T) {
	for name, want := range wantChanges {
		t.Run(name, func(t *testing.T) {
			got := versionMarkers(t, filepath.Join(historyDir, name+".json"))
			for _, id := range want {
				if !slices.Contains(got, id) {
					t.Errorf("history %s has no Version marker of change %q (it has %v)", name, id, got)
				}
			}
		})
	}
}

// versionMarkers lists the change ids of the Version markers of a recorded history.
func versionMarkers(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var ids []string
	for _, e := range h.GetEvents() {
		if e.GetEventType() != enumspb.EVENT_TYPE_MARKER_RECORDED {
			continue
		}
		m := e.GetMarkerRecordedEventAttributes()
		if m.GetMarkerName() != "Version" {
			continue
		}
		var id string
		if err := converter.GetDefaultDataConverter().FromPayloads(m.GetDetails()["change-id"], &id); err != nil {
			t.Fatalf("%s: change id of event %d: %v", path, e.GetEventId(), err)
		}
		ids = append(ids, id)
	}
	return ids
}
