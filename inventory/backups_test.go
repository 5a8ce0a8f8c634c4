package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// TestBackups records, lists, pages and deletes backups of two clusters: a
// backup recorded twice under its id (a retried activity) is one row.
func TestBackups(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	clusters := recordClusters(t, s, "bka", "bkb")
	a, b := clusters[0], clusters[1]
	backup := func(cluster string, i int) domain.Backup {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		return domain.Backup{ID: id, ClusterID: cluster, TargetKind: domain.TargetDirectory, TargetLocation: "/var/backups",
			ObjectKey: cluster + "/" + id + ".etcd.db.age", SizeBytes: int64(1000 + i), SHA256: fmt.Sprintf("%064x", i),
			SnapshotSizeBytes: int64(900 + i), SnapshotSHA256: fmt.Sprintf("%064x", 100+i), EtcdRevision: int64(10 * i), EtcdHash: 42,
			KubernetesVersion: "v1.34.2", Node: "bka-cp-0", Encryption: "age-scrypt-v1", KeyID: "0123456789abcdef",
			PKIObjectKey: cluster + "/" + id + ".pki.tar.gz.age", PKISizeBytes: 5000, PKISHA256: fmt.Sprintf("%064x", 200+i)}
	}
	if _, err := s.GetBackup(ctx, backup(a.ID, 1).ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("get of a backup never recorded: %v", err)
	}
	for i := 1; i <= 5; i++ {
		rec, err := s.RecordBackup(ctx, backup(a.ID, i))
		if err != nil {
			t.Fatal(err)
		}
		want := backup(a.ID, i)
		want.CreatedAt, want.State = rec.CreatedAt, domain.BackupCompleted
		if rec != want || rec.CreatedAt.IsZero() {
			t.Fatalf("recorded %+v\nwant %+v", rec, want)
		}
	}
	if _, err := s.RecordBackup(ctx, backup(b.ID, 9)); err != nil {
		t.Fatal(err)
	}

	// A retry of backup 3 updates its row.
	first, err := s.GetBackup(ctx, backup(a.ID, 3).ID)
	if err != nil {
		t.Fatal(err)
	}
	retry := backup(a.ID, 3)
	retry.SizeBytes, retry.EtcdRevision = 7777, 31
	rec, err := s.RecordBackup(ctx, retry)
	if err != nil || rec.SizeBytes != 7777 || rec.EtcdRevision != 31 || !rec.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("retry recorded %+v, %v; first %+v", rec, err, first)
	}
	// The id of a backup of cluster a cannot be taken for cluster b.
	if _, err := s.RecordBackup(ctx, backup(b.ID, 3)); !errors.Is(err, inventory.ErrBackupOfOtherCluster) {
		t.Fatalf("recording another cluster's backup id: %v", err)
	}

	// Newest first, two at a time.
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		list, next, err := s.ListBackups(ctx, a.ID, inventory.BackupFilter{}, inventory.Page{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, bk := range list {
			ids = append(ids, bk.ID)
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		cursor = next
	}
	want := []string{backup(a.ID, 5).ID, backup(a.ID, 4).ID, backup(a.ID, 3).ID, backup(a.ID, 2).ID, backup(a.ID, 1).ID}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("listed %v, want %v", ids, want)
	}
	if list, _, err := s.ListBackups(ctx, b.ID, inventory.BackupFilter{}, inventory.Page{}); err != nil || len(list) != 1 {
		t.Fatalf("backups of b: %+v, %v", list, err)
	}
	if _, _, err := s.ListBackups(ctx, a.ID, inventory.BackupFilter{}, inventory.Page{Cursor: "nonsense"}); err == nil {
		t.Fatal("a bad cursor was accepted")
	}

	// Marked deleted: gone from the list, kept as history.
	if err := s.MarkBackupDeleted(ctx, backup(a.ID, 1).ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkBackupDeleted(ctx, "00000000-0000-4000-8000-999999999999"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("marking a missing backup: %v", err)
	}
	list, _, err := s.ListBackups(ctx, a.ID, inventory.BackupFilter{}, inventory.Page{})
	if err != nil || len(list) != 4 {
		t.Fatalf("after marking: %d backups, %v", len(list), err)
	}
	all, _, err := s.ListBackups(ctx, a.ID, inventory.BackupFilter{IncludeDeleted: true}, inventory.Page{})
	if err != nil || len(all) != 5 || all[4].State != domain.BackupDeleted || all[4].DeletedAt == nil {
		t.Fatalf("with deleted: %+v, %v", all, err)
	}
	if deleted, err := s.DeleteBackup(ctx, backup(a.ID, 2).ID); err != nil || !deleted {
		t.Fatalf("delete = %v, %v", deleted, err)
	}
	if deleted, err := s.DeleteBackup(ctx, backup(a.ID, 2).ID); err != nil || deleted {
		t.Fatalf("second delete = %v, %v", deleted, err)
	}
}
