package vsphere

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// memStore is an in-memory Store.
type memStore struct {
	mu        sync.Mutex
	creds     map[string]domain.VCenterCredentials
	cluster   map[string]domain.ClusterAccountCredentials
	inventory map[string][]domain.InventoryObject
}

func newMemStore() *memStore {
	return &memStore{creds: map[string]domain.VCenterCredentials{}, cluster: map[string]domain.ClusterAccountCredentials{},
		inventory: map[string][]domain.InventoryObject{}}
}

func (m *memStore) ClusterAccountCredentials(_ context.Context, id string) (domain.ClusterAccountCredentials, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cluster[id]
	if !ok {
		return c, fmt.Errorf("vCenter %s: %w", id, domain.ErrNoClusterAccount)
	}
	return c, nil
}

func (m *memStore) VCenterCredentials(_ context.Context, id string) (domain.VCenterCredentials, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.creds[id]
	if !ok {
		return domain.VCenterCredentials{}, fmt.Errorf("vCenter %s: %w", id, domain.ErrNotFound)
	}
	return c, nil
}

func (m *memStore) ReplaceInventory(_ context.Context, id string, objs []domain.InventoryObject) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inventory[id] = objs
	return nil
}

func TestSyncInventory(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{})
	store := newMemStore()
	store.creds["vc1"] = vc.Credentials()
	a := &Activities{Sessions: newTestSessions(t), Store: store}

	res, err := a.SyncInventory(context.Background(), "vc1")
	if err != nil {
		t.Fatalf("SyncInventory: %v", err)
	}
	objs := store.inventory["vc1"]
	total := 0
	for _, k := range domain.InventoryKinds {
		if res.Counts[k] == 0 {
			t.Errorf("count of %s is 0", k)
		}
		total += res.Counts[k]
	}
	if total != len(objs) || res.Counts[domain.KindTemplate] != len(sim.NodeTemplates()) {
		t.Errorf("counts %v do not match the %d stored objects", res.Counts, len(objs))
	}
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), testPassword) {
		t.Fatal("result contains the password")
	}

	// A second sync reuses the session.
	if _, err := a.SyncInventory(context.Background(), "vc1"); err != nil {
		t.Fatal(err)
	}
	if got := a.Sessions.Logins(); got != 1 {
		t.Errorf("%d logins for two syncs, want 1", got)
	}
}

func TestSyncInventoryInActivityEnvironment(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{})
	store := newMemStore()
	store.creds["vc1"] = vc.Credentials()
	a := &Activities{Sessions: newTestSessions(t), Store: store}

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	val, err := env.ExecuteActivity(a.SyncInventory, "vc1")
	if err != nil {
		t.Fatalf("SyncInventory: %v", err)
	}
	var res SyncResult
	if err := val.Get(&res); err != nil {
		t.Fatal(err)
	}
	if res.Counts[domain.KindTemplate] != len(sim.NodeTemplates()) {
		t.Fatalf("counts %v", res.Counts)
	}
}

func TestSyncInventoryErrors(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{})
	store := newMemStore()
	bad := vc.Credentials()
	bad.Password = "wrong-" + testPassword
	store.creds["bad"] = bad
	down := vc.Credentials()
	down.Server = "https://" + closedAddr(t) + "/sdk"
	store.creds["down"] = down
	a := &Activities{Sessions: newTestSessions(t), Store: store}

	tests := []struct {
		id        string
		errType   string
		retryable bool
	}{
		{"bad", ErrTypeBadCredentials, false},
		{"down", ErrTypeUnreachable, true},
		{"unknown", ErrTypeNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			_, err := a.SyncInventory(context.Background(), tt.id)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) {
				t.Fatalf("error %v (%T) is not an application error", err, err)
			}
			if appErr.Type() != tt.errType || appErr.NonRetryable() == tt.retryable {
				t.Errorf("type %q non-retryable %v, want %q non-retryable %v", appErr.Type(), appErr.NonRetryable(), tt.errType, !tt.retryable)
			}
			t.Logf("error: %v", err)
			assertNoSecret(t, err, testPassword, bad.Password)
			if _, ok := store.inventory[tt.id]; ok {
				t.Error("inventory replaced despite the error")
			}
		})
	}
}
