package backupstore_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// TestPrune keeps the newest backups of a cluster in a directory target and
// the real inventory, deleting the older ones' objects and marking them
// Deleted; another cluster's backups are left alone.
func TestPrune(t *testing.T) {
	ctx := t.Context()
	store := inventorytest.NewStore(t)
	vin := domain.VCenterInput{Name: "vc1", Server: "vc", Username: "u", Password: "p"}
	_ = vin.Validate()
	if _, err := store.CreateVCenter(ctx, vin); err != nil {
		t.Fatal(err)
	}
	target, err := backupstore.NewDirectory(filepath.Join(t.TempDir(), "backups"))
	if err != nil {
		t.Fatal(err)
	}
	var clusters []domain.Cluster
	for _, name := range []string{"keep-a", "keep-b"} {
		c, err := store.CreateCluster(ctx, domain.ClusterSpec{Name: name, VCenter: "vc1"}, "alice")
		if err != nil {
			t.Fatal(err)
		}
		clusters = append(clusters, c)
	}
	ids := map[string][]string{}
	n := 0
	for range 5 {
		for _, c := range clusters {
			n++
			id := fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
			snap, pki := c.ID+"/"+id+"/etcd.db.age", c.ID+"/"+id+"/pki.tar.gz.age"
			for _, k := range []string{snap, pki} {
				if _, err := target.Put(ctx, k, strings.NewReader("sealed")); err != nil {
					t.Fatal(err)
				}
			}
			_, err := store.RecordBackup(ctx, domain.Backup{ID: id, ClusterID: c.ID, TargetKind: target.Kind(), TargetLocation: target.Location(),
				ObjectKey: snap, PKIObjectKey: pki, Node: "cp-0", Encryption: backupstore.Scheme, KeyID: "k"})
			if err != nil {
				t.Fatal(err)
			}
			ids[c.ID] = append(ids[c.ID], id)
		}
	}
	a, b := clusters[0].ID, clusters[1].ID
	if _, err := backupstore.Prune(ctx, store, []backupstore.Target{target}, a, 0); err == nil {
		t.Fatal("keep 0 was accepted")
	}
	deleted, err := backupstore.Prune(ctx, store, []backupstore.Target{target}, a, 2)
	if err != nil {
		t.Fatal(err)
	}
	var gone []string
	for _, d := range deleted {
		gone = append(gone, d.ID)
	}
	if want := []string{ids[a][2], ids[a][1], ids[a][0]}; !slices.Equal(gone, want) {
		t.Fatalf("deleted %v, want the oldest three %v", gone, want)
	}
	list, _, err := store.ListBackups(ctx, a, inventory.BackupFilter{}, inventory.Page{})
	if err != nil || len(list) != 2 || list[0].ID != ids[a][4] || list[1].ID != ids[a][3] {
		t.Fatalf("left %+v, %v", list, err)
	}
	all, _, err := store.ListBackups(ctx, a, inventory.BackupFilter{IncludeDeleted: true}, inventory.Page{})
	if err != nil || len(all) != 5 || all[4].State != domain.BackupDeleted {
		t.Fatalf("history %+v, %v", all, err)
	}
	var wantKeys []string
	for _, id := range ids[a][3:] {
		wantKeys = append(wantKeys, a+"/"+id+"/etcd.db.age", a+"/"+id+"/pki.tar.gz.age")
	}
	list2, err := target.List(ctx, a+"/")
	if err != nil || !slices.Equal(list2, wantKeys) {
		t.Fatalf("objects left %v, %v; want %v", list2, err, wantKeys)
	}
	if keys, _ := target.List(ctx, b+"/"); len(keys) != 10 {
		t.Errorf("the other cluster has %d objects, want 10", len(keys))
	}
	// Again: nothing more to do.
	if deleted, err := backupstore.Prune(ctx, store, []backupstore.Target{target}, a, 2); err != nil || len(deleted) != 0 {
		t.Fatalf("second prune deleted %v, %v", deleted, err)
	}
	// A backup whose target is not configured stays, and is reported.
	if _, err := backupstore.Prune(ctx, store, nil, b, 4); err == nil || !strings.Contains(err.Error(), "is not configured") {
		t.Fatalf("prune without the target: %v", err)
	}
	if list, _, _ := store.ListBackups(ctx, b, inventory.BackupFilter{}, inventory.Page{}); len(list) != 5 {
		t.Errorf("%d backups of b left, want 5", len(list))
	}
}
