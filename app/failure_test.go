package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestSyncWithRevokedPasswordFailsOnce: when vCenter starts refusing the stored password
// (it was changed there), the sync fails at once (no retries can fix it), the operation
// and its step say why, the vCenter records the error, and the password is nowhere.
func TestSyncWithRevokedPasswordFailsOnce(t *testing.T) {
	env := apptest.Start(t)
	ctx := context.Background()
	in := env.VCenterInput("vc1")
	in.Password = "stale-CANARY-password"
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	// Stored as if it had been right when registered.
	v, err := env.App.Store.CreateVCenter(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	r := env.Do("POST", "/api/v1/vcenters/vc1/sync", env.AdminToken, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("sync: %d %s", r.Status, r.Body)
	}
	var started struct{ Operation domain.Operation }
	r.JSON(t, &started)
	op := env.WaitOperation(started.Operation.ID)
	if op.State != domain.OpFailed || !strings.Contains(op.Error, "rejected the user name or password") {
		t.Fatalf("operation = %+v", op)
	}
	if len(op.Steps) != 1 || op.Steps[0].Name != workflows.StepCollectInventory || op.Steps[0].State != domain.StepFailed || op.Steps[0].Attempts != 1 {
		t.Fatalf("steps = %+v; want one failed attempt", op.Steps)
	}
	got, err := env.App.Store.GetVCenter(ctx, "vc1")
	if err != nil || got.ID != v.ID || !strings.Contains(got.SyncError, "rejected") || got.SyncedAt != nil {
		t.Fatalf("vcenter after the failed sync = %+v, %v", got, err)
	}
	for _, b := range [][]byte{env.Do("GET", "/api/v1/operations/"+op.ID, env.AdminToken, nil).Body, env.Do("GET", "/api/v1/vcenters/vc1", env.AdminToken, nil).Body, env.Logs.Bytes()} {
		if strings.Contains(string(b), in.Password) {
			t.Fatal("the password leaked into a reply or the log")
		}
	}
}
