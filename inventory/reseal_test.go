package inventory_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/secrets"
)

func randomKey(t *testing.T) []byte {
	t.Helper()
	key := make([]byte, secrets.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return key
}

func keyring(t *testing.T, primary []byte, old ...[]byte) *secrets.Keyring {
	t.Helper()
	k, err := secrets.NewKeyring(primary, old...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openStore(t *testing.T, url string, sealer inventory.Sealer) *inventory.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := inventory.Open(ctx, url, sealer)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// sealedFixture fills a store with vCenters and clusters with secrets, and returns
// every plaintext by the sealed column's row key.
func sealedFixture(t *testing.T, s *inventory.Store, vcenters, clustersPerVC, secretsPerCluster int) map[string]map[string][]byte {
	t.Helper()
	ctx := context.Background()
	want := map[string]map[string][]byte{"vcenters.password_sealed": {}, "vcenters.cluster_password_sealed": {}, "cluster_secrets.sealed": {}}
	for v := range vcenters {
		in := domain.VCenterInput{Name: fmt.Sprintf("vc%d", v), Server: "vc.example", Username: "svc", Password: fmt.Sprintf("pw-%d-CANARY", v),
			ClusterCredentials: &domain.ClusterAccountInput{Username: "k8s", Password: fmt.Sprintf("cluster-pw-%d-CANARY", v)}}
		vc, err := s.CreateVCenter(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		want["vcenters.password_sealed"][vc.ID] = []byte(in.Password)
		want["vcenters.cluster_password_sealed"][vc.ID] = []byte(in.ClusterCredentials.Password)
		for c := range clustersPerVC {
			cl, err := s.CreateCluster(ctx, domain.ClusterSpec{Name: fmt.Sprintf("c%d-%d", v, c), VCenter: in.Name}, "alice")
			if err != nil {
				t.Fatal(err)
			}
			for n := range secretsPerCluster {
				name, plain := fmt.Sprintf("pki/key-%d", n), fmt.Appendf(nil, "secret %s %d CANARY", cl.Name, n)
				if err := s.PutClusterSecret(ctx, cl.ID, name, plain); err != nil {
					t.Fatal(err)
				}
				want["cluster_secrets.sealed"][cl.ID+"/"+name] = plain
			}
		}
	}
	return want
}

// checkSealedUnder opens every stored value with a keyring of only key, and with a
// keyring of only other, which must fail, and compares with want.
func checkSealedUnder(t *testing.T, s *inventory.Store, want map[string]map[string][]byte, key, other []byte) {
	t.Helper()
	only, otherOnly := keyring(t, key), keyring(t, other)
	for column, rows := range want {
		raw, err := s.SealedRaw(context.Background(), column)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != len(rows) {
			t.Errorf("%s: %d rows, want %d", column, len(raw), len(rows))
		}
		for k, plain := range rows {
			v, ok := raw[k]
			if !ok {
				t.Errorf("%s row %s is gone", column, k)
				continue
			}
			got, err := only.Open(v.Sealed, v.AAD)
			if err != nil || !bytes.Equal(got, plain) {
				t.Errorf("%s row %s does not open with the expected key alone: %v", column, k, err)
			}
			if _, err := otherOnly.Open(v.Sealed, v.AAD); !errors.Is(err, secrets.ErrUnknownKey) {
				t.Errorf("%s row %s: opening with the other key alone = %v, want ErrUnknownKey", column, k, err)
			}
		}
	}
}

func TestResealRotatesEverySealedValue(t *testing.T) {
	ctx := context.Background()
	url := inventorytest.NewDatabase(t)
	oldKey, newKey := randomKey(t), randomKey(t)
	before := openStore(t, url, keyring(t, oldKey))
	want := sealedFixture(t, before, 2, 2, 3)
	checkSealedUnder(t, before, want, oldKey, newKey)

	after := openStore(t, url, keyring(t, newKey, oldKey))
	var calls int
	counts, err := after.Reseal(ctx, inventory.ResealOptions{OnRow: func(inventory.ResealCount) { calls++ }})
	if err != nil {
		t.Fatalf("reseal: %v", err)
	}
	wantCounts := []inventory.ResealCount{{Column: "vcenters.password_sealed", Resealed: 2},
		{Column: "vcenters.cluster_password_sealed", Resealed: 2}, {Column: "cluster_secrets.sealed", Resealed: 12}}
	if !slices.Equal(counts, wantCounts) || calls != 16 {
		t.Fatalf("counts = %+v (%d progress calls), want %+v", counts, calls, wantCounts)
	}
	checkSealedUnder(t, after, want, newKey, oldKey)

	// The store keeps working for every reader and writer, on the new key alone.
	newOnly := openStore(t, url, keyring(t, newKey))
	vc, err := newOnly.GetVCenter(ctx, "vc1")
	if err != nil {
		t.Fatal(err)
	}
	if creds, err := newOnly.VCenterCredentials(ctx, vc.ID); err != nil || creds.Password != "pw-1-CANARY" {
		t.Fatalf("credentials with the new key alone: %v", err)
	}
	for k, plain := range want["cluster_secrets.sealed"] {
		clusterID, name, _ := cutKey(k)
		got, err := newOnly.ClusterSecret(ctx, clusterID, name)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("secret %s with the new key alone: %v", k, err)
		}
	}

	// A rerun after completion seals nothing again.
	counts, err = after.Reseal(ctx, inventory.ResealOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantCounts = []inventory.ResealCount{{Column: "vcenters.password_sealed", Skipped: 2},
		{Column: "vcenters.cluster_password_sealed", Skipped: 2}, {Column: "cluster_secrets.sealed", Skipped: 12}}
	if !slices.Equal(counts, wantCounts) {
		t.Fatalf("rerun counts = %+v, want %+v", counts, wantCounts)
	}
	keyCounts, err := after.SealedKeyCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []inventory.SealedKeyCount{{Column: "vcenters.password_sealed", KeyID: secrets.KeyID(newKey), Rows: 2},
		{Column: "vcenters.cluster_password_sealed", KeyID: secrets.KeyID(newKey), Rows: 2},
		{Column: "cluster_secrets.sealed", KeyID: secrets.KeyID(newKey), Rows: 12}}
	if !slices.Equal(keyCounts, wantKeys) {
		t.Fatalf("key counts = %+v, want %+v", keyCounts, wantKeys)
	}
}

func cutKey(k string) (string, string, bool) {
	for i := range len(k) {
		if k[i] == '/' {
			return k[:i], k[i+1:], true
		}
	}
	return k, "", false
}

func TestResealInterruptedThenRerun(t *testing.T) {
	url := inventorytest.NewDatabase(t)
	oldKey, newKey := randomKey(t), randomKey(t)
	before := openStore(t, url, keyring(t, oldKey))
	want := sealedFixture(t, before, 1, 2, 4) // 2 passwords (service, cluster), 8 cluster secrets
	after := openStore(t, url, keyring(t, newKey, oldKey))

	// Interrupt after the 4th re-sealed row, as a Ctrl-C would.
	ctx, cancel := context.WithCancel(context.Background())
	resealed := 0
	_, err := after.Reseal(ctx, inventory.ResealOptions{OnRow: func(c inventory.ResealCount) {
		if resealed++; resealed == 4 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted reseal = %v, want context.Canceled", err)
	}
	keyCounts, err := after.SealedKeyCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	under := map[string]int{}
	for _, c := range keyCounts {
		under[c.KeyID] += c.Rows
	}
	if under[secrets.KeyID(newKey)] != 4 || under[secrets.KeyID(oldKey)] != 6 {
		t.Fatalf("after the interruption: %+v; want 4 rows under the new key and 6 under the old", keyCounts)
	}
	// Meanwhile every value still opens with the keyring of both keys.
	both := keyring(t, newKey, oldKey)
	for column, rows := range want {
		raw, err := after.SealedRaw(context.Background(), column)
		if err != nil {
			t.Fatal(err)
		}
		for k := range rows {
			if _, err := both.Open(raw[k].Sealed, raw[k].AAD); err != nil {
				t.Fatalf("%s row %s does not open mid-rotation: %v", column, k, err)
			}
		}
	}

	counts, err := after.Reseal(context.Background(), inventory.ResealOptions{})
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	wantCounts := []inventory.ResealCount{{Column: "vcenters.password_sealed", Skipped: 1},
		{Column: "vcenters.cluster_password_sealed", Skipped: 1}, {Column: "cluster_secrets.sealed", Resealed: 6, Skipped: 2}}
	if !slices.Equal(counts, wantCounts) {
		t.Fatalf("rerun counts = %+v, want %+v", counts, wantCounts)
	}
	checkSealedUnder(t, after, want, newKey, oldKey)
}

func TestResealRefusesAnUnknownKey(t *testing.T) {
	url := inventorytest.NewDatabase(t)
	oldKey, newKey, stranger := randomKey(t), randomKey(t), randomKey(t)
	sealedFixture(t, openStore(t, url, keyring(t, oldKey)), 1, 0, 0)
	// The rotation is given the new key but not the key the rows are under.
	_, err := openStore(t, url, keyring(t, newKey, stranger)).Reseal(context.Background(), inventory.ResealOptions{})
	if !errors.Is(err, secrets.ErrUnknownKey) || !bytes.Contains([]byte(err.Error()), []byte(secrets.KeyID(oldKey))) {
		t.Fatalf("reseal without the current key = %v, want ErrUnknownKey naming key %s", err, secrets.KeyID(oldKey))
	}
}

// TestSealedColumnsAreAllKnown guards the rotation: every column of the schema that
// holds sealed values (bytea named *sealed*) must be one Reseal knows, or a rotation
// would leave it under the old key.
func TestSealedColumnsAreAllKnown(t *testing.T) {
	s := inventorytest.NewStore(t)
	rows, err := s.Pool().Query(context.Background(), `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'bytea' AND column_name LIKE '%sealed%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	known := inventory.SealedColumns()
	n := 0
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		n++
		if !slices.Contains(known, name) {
			t.Errorf("sealed column %s is not in inventory's sealedColumns: a key rotation would miss it", name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < len(known) {
		t.Errorf("the schema has %d sealed columns, the store knows %d: %v", n, len(known), known)
	}
}
