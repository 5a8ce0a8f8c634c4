package app_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/interceptor"

	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/secrets"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/temporalrt"
)

// TestProvisionSurvivesMasterKeyRotation starts a provision under the old master key,
// rotates the key while the provision is in flight (after it has sealed its cluster's
// secrets), restarts the process with the new key as primary and the old one in
// old-secret-key-files, and the provision completes. Afterwards every secret of the
// inventory opens with the new key alone and none with the old key alone, and the
// workflow's history holds payloads under both keys: the old key is what still reads
// the payloads written before the rotation.
func TestProvisionSurvivesMasterKeyRotation(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	dir := t.TempDir()
	oldFile, newFile := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
	oldKey, err := secrets.GenerateKeyFile(oldFile)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := secrets.GenerateKeyFile(newFile)
	if err != nil {
		t.Fatal(err)
	}
	env := apptest.StartWith(t, apptest.Options{Datacenter: true,
		Interceptors: []interceptor.WorkerInterceptor{&slowActivities{delay: 300 * time.Millisecond}},
		Config:       func(c *app.Config) { c.SecretKey, c.SecretKeyFile = "", oldFile }})
	apptest.RegisterLab(t, env, "157")
	op := apptest.StartProvision(t, env, apptest.ClusterSpec("rotor", 1, 1))
	ctx := context.Background()

	// Wait until the provision has sealed secrets of its cluster and is still running.
	deadline := time.Now().Add(apptest.ProvisionTimeout)
	var clusterID string
	for {
		var cur domain.Operation
		env.Do("GET", "/api/v1/operations/"+op.ID, env.AdminToken, nil).JSON(t, &cur)
		if cur.State != domain.OpPending && cur.State != domain.OpRunning {
			t.Fatalf("the provision ended (%s) before the rotation: %s", cur.State, cur.Error)
		}
		if clusterID == "" {
			clusterID = apptest.GetCluster(t, env, "rotor").ID
		}
		names, err := env.App.Store.ClusterSecretNames(ctx, clusterID)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) > 0 && cur.State == domain.OpRunning {
			t.Logf("rotating while step(s) %v run, with %d sealed secrets of the cluster", runningSteps(cur), len(names))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the provision sealed no secret within %s", apptest.ProvisionTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The operator's sequence: stop the processes, rotate, restart with the new settings.
	env.StopWorker()
	counts, err := app.RotateMasterKey(ctx, env.App.Config, newKey, env.App.Logger, nil)
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if len(counts) != len(inventory.SealedColumns()) || counts[0].Resealed != 1 || counts[1].Resealed == 0 {
		t.Fatalf("rotation counts = %+v; want the vCenter password and the cluster's secrets re-sealed", counts)
	}
	env.Reopen(func(c *app.Config) { c.SecretKeyFile, c.OldSecretKeyFiles = newFile, oldFile })

	op = env.WaitOperationFor(op.ID, apptest.ProvisionTimeout)
	if op.State != domain.OpSucceeded {
		t.Fatalf("provision after the rotation = %s: %s; steps %+v", op.State, op.Error, op.Steps)
	}
	if c := apptest.GetCluster(t, env, "rotor"); c.Phase != domain.PhaseReady {
		t.Fatalf("phase %s (%s)", c.Phase, c.PhaseReason)
	}
	checkNodes(t, apptest.KubeClient(t, env, "rotor"), 2) // the admin kubeconfig, unsealed with the new key

	checkRotated(t, env, op, oldKey, newKey, 1+counts[1].Resealed)
}

// checkRotated checks the state after a rotation from oldKey to newKey and a restart
// on the new settings: every secret of the inventory (at least atLeast of them) opens
// with the new key alone and none with the old key alone, key status shows every row
// under the primary key, and the operation's history holds payloads under both keys:
// written before the rotation under the old payload key, which a codec of the new key
// alone cannot read, and after it under the new.
func checkRotated(t *testing.T, env *apptest.Env, op domain.Operation, oldKey, newKey []byte, atLeast int) {
	t.Helper()
	ctx := context.Background()
	// Every secret opens with the new key alone and with the old key alone none does.
	newOnly, _ := secrets.NewKeyring(newKey)
	oldOnly, _ := secrets.NewKeyring(oldKey)
	total := 0
	for _, column := range inventory.SealedColumns() {
		raw, err := env.App.Store.SealedRaw(ctx, column)
		if err != nil {
			t.Fatal(err)
		}
		for row, v := range raw {
			total++
			if _, err := newOnly.Open(v.Sealed, v.AAD); err != nil {
				t.Errorf("%s row %s does not open with the new key: %v", column, row, err)
			}
			if _, err := oldOnly.Open(v.Sealed, v.AAD); !errors.Is(err, secrets.ErrUnknownKey) {
				t.Errorf("%s row %s: the old key alone = %v, want ErrUnknownKey", column, row, err)
			}
		}
	}
	if total < atLeast {
		t.Errorf("only %d sealed values after the rotation, want at least %d", total, atLeast)
	}
	_, uses, err := app.KeyStatus(ctx, env.App.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range uses {
		if u.Role != "primary" {
			t.Errorf("after the rotation %d rows of %s are under key %s (%s)", u.Rows, u.Column, u.KeyID, u.Role)
		}
	}

	// The history: payloads from before the rotation under the old payload key, later
	// ones under the new; a codec of the new key alone cannot read it.
	ids := historyPayloadKeyIDs(t, env, op)
	oldID, newID := secrets.KeyID(app.PayloadKey(oldKey)), secrets.KeyID(app.PayloadKey(newKey))
	if ids[oldID] == 0 || ids[newID] == 0 || len(ids) != 2 {
		t.Fatalf("payload key ids in the history = %v; want some under the old key %s and some under the new %s", ids, oldID, newID)
	}
	newCodec, err := temporalrt.NewCodec(app.PayloadKey(newKey))
	if err != nil {
		t.Fatal(err)
	}
	if err := visitHistory(t, env, op, func(p []*commonpb.Payload) error { _, err := newCodec.Decode(p); return err }); !errors.Is(err, temporalrt.ErrUnknownPayloadKey) {
		t.Fatalf("decoding the history with the new key alone = %v, want ErrUnknownPayloadKey", err)
	}
	env.History(op) // and the configured codec (new + old) reads every payload
}

// TestSyncSurvivesMasterKeyRotation is the same with a vCenter sync, which needs no
// simulated nodes: the sync is started under the old key, the key is rotated while its
// step waits on vCenter, the process restarts on the new key (with the old one kept)
// and the sync completes with the vCenter password re-sealed. A rerun of the rotation
// then re-seals nothing.
func TestSyncSurvivesMasterKeyRotation(t *testing.T) {
	dir := t.TempDir()
	oldFile, newFile := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
	oldKey, err := secrets.GenerateKeyFile(oldFile)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := secrets.GenerateKeyFile(newFile)
	if err != nil {
		t.Fatal(err)
	}
	env := apptest.StartWith(t, apptest.Options{
		VCenter: sim.VCenterOptions{Customize: func(m *simulator.Model) {
			m.DelayConfig.MethodDelay = map[string]int{"CreateContainerView": 3000}
		}},
		Config: func(c *app.Config) { c.SecretKey, c.SecretKeyFile = "", oldFile }})
	r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, env.VCenterInput("vc1"))
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var created struct{ Operation domain.Operation }
	r.JSON(t, &created)
	deadline := time.Now().Add(time.Minute)
	for {
		var op domain.Operation
		env.Do("GET", "/api/v1/operations/"+created.Operation.ID, env.AdminToken, nil).JSON(t, &op)
		if len(op.Steps) == 1 && op.Steps[0].Attempts == 1 && op.State == domain.OpRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sync never started: %+v", op)
		}
		time.Sleep(50 * time.Millisecond)
	}

	ctx := context.Background()
	env.StopWorker()
	counts, err := app.RotateMasterKey(ctx, env.App.Config, newKey, env.App.Logger, nil)
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if want := []inventory.ResealCount{{Column: "vcenters.password_sealed", Resealed: 1},
		{Column: "vcenters.cluster_password_sealed", Resealed: 1}, {Column: "cluster_secrets.sealed"}}; !slices.Equal(counts, want) {
		t.Fatalf("rotation counts = %+v, want %+v", counts, want)
	}
	env.Reopen(func(c *app.Config) { c.SecretKeyFile, c.OldSecretKeyFiles = newFile, oldFile })

	op := env.WaitOperation(created.Operation.ID)
	if op.State != domain.OpSucceeded || op.Steps[0].Attempts < 2 {
		t.Fatalf("sync after the rotation = %s (%s), steps %+v; want it succeeded on a later attempt", op.State, op.Error, op.Steps)
	}
	var inv domain.Inventory
	env.Do("GET", "/api/v1/vcenters/vc1/inventory", env.AdminToken, nil).JSON(t, &inv)
	if len(inv.Templates) == 0 {
		t.Fatal("no inventory recorded by the sync that finished after the rotation")
	}
	checkRotated(t, env, op, oldKey, newKey, 1)

	counts, err = app.RotateMasterKey(ctx, env.App.Config, newKey, env.App.Logger, nil)
	if want := []inventory.ResealCount{{Column: "vcenters.password_sealed", Skipped: 1},
		{Column: "vcenters.cluster_password_sealed", Skipped: 1}, {Column: "cluster_secrets.sealed"}}; err != nil || !slices.Equal(counts, want) {
		t.Fatalf("rerun = %+v, %v; want %+v", counts, err, want)
	}
}

func runningSteps(op domain.Operation) []string {
	var out []string
	for _, s := range op.Steps {
		if s.State == domain.StepRunning {
			out = append(out, s.Name)
		}
	}
	return out
}

// historyPayloadKeyIDs counts the encrypted payloads of an operation's raw history by
// the key id the codec recorded.
func historyPayloadKeyIDs(t *testing.T, env *apptest.Env, op domain.Operation) map[string]int {
	t.Helper()
	ids := map[string]int{}
	if err := visitHistory(t, env, op, func(ps []*commonpb.Payload) error {
		for _, p := range ps {
			if string(p.GetMetadata()[temporalrt.MetadataEncoding]) == temporalrt.EncodingEncrypted {
				ids[string(p.GetMetadata()[temporalrt.MetadataKeyID])]++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// visitHistory calls visit with the payloads of the operation's raw history, as the
// Temporal server stores them, until visit fails.
func visitHistory(t *testing.T, env *apptest.Env, op domain.Operation, visit func([]*commonpb.Payload) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req := &workflowservice.GetWorkflowExecutionHistoryRequest{Namespace: env.App.Config.TemporalNamespace,
		Execution: &commonpb.WorkflowExecution{WorkflowId: op.WorkflowID, RunId: op.RunID}}
	for {
		resp, err := env.App.Temporal.WorkflowService().GetWorkflowExecutionHistory(ctx, req)
		if err != nil {
			t.Fatalf("history of operation %s: %v", op.ID, err)
		}
		err = proxy.VisitPayloads(ctx, resp.History, proxy.VisitPayloadsOptions{
			Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
				return p, visit(p)
			},
		})
		if err != nil {
			return err
		}
		if len(resp.NextPageToken) == 0 {
			return nil
		}
		req.NextPageToken = resp.NextPageToken
	}
}

// TestMasterKeysFromSettings reads the primary key and the comma-separated old key
// files; a bad file is named, its content never.
func TestMasterKeysFromSettings(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.key"), filepath.Join(dir, "b.key"), filepath.Join(dir, "c.key")
	var keys [][]byte
	for _, f := range []string{a, b, c} {
		k, err := secrets.GenerateKeyFile(f)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	cfg := app.Config{SecretKeyFile: a, OldSecretKeyFiles: " " + b + ", ," + c + "," + a}
	mk, err := cfg.MasterKeys()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{secrets.KeyID(keys[0]), secrets.KeyID(keys[1]), secrets.KeyID(keys[2])}
	if !slices.Equal(mk.IDs(), want) {
		t.Fatalf("ids = %v, want %v (primary, then the old keys without the primary)", mk.IDs(), want)
	}
	ring, err := mk.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !ring.Holds(secrets.KeyID(k)) {
			t.Errorf("the keyring lacks key %s", secrets.KeyID(k))
		}
	}
	if ring.PrimaryKeyID() != want[0] {
		t.Errorf("primary = %s", ring.PrimaryKeyID())
	}
	if len(mk.OldPayloadKeys()) != 2 || slices.Equal(mk.OldPayloadKeys()[0], keys[1]) {
		t.Error("old payload keys are not derived from the old master keys")
	}
	missing := filepath.Join(dir, "missing.key")
	cfg.OldSecretKeyFiles = b + "," + missing
	if _, err := cfg.MasterKeys(); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "old-secret-key-files") {
		t.Fatalf("missing old key file: %v", err)
	}
}
