package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// etcd backups of clusters (see activities/backups).

const backupColumns = `id::text, cluster_id::text, created_at, state, deleted_at, target_kind, target_location,
	object_key, size_bytes, sha256, snapshot_size_bytes, snapshot_sha256, etcd_revision, etcd_hash,
	kubernetes_version, node, encryption, key_id, pki_object_key, pki_size_bytes, pki_sha256,
	COALESCE(operation_id::text, '')`

func scanBackup(r pgx.Row) (domain.Backup, error) {
	var b domain.Backup
	err := r.Scan(&b.ID, &b.ClusterID, &b.CreatedAt, &b.State, &b.DeletedAt, &b.TargetKind, &b.TargetLocation,
		&b.ObjectKey, &b.SizeBytes, &b.SHA256, &b.SnapshotSizeBytes, &b.SnapshotSHA256, &b.EtcdRevision, &b.EtcdHash,
		&b.KubernetesVersion, &b.Node, &b.Encryption, &b.KeyID, &b.PKIObjectKey, &b.PKISizeBytes, &b.PKISHA256,
		&b.OperationID)
	return b, err
}

// ErrBackupOfOtherCluster is returned by RecordBackup when the id is taken by
// a backup of another cluster.
var ErrBackupOfOtherCluster = errors.New("the backup id belongs to another cluster")

// RecordBackup records a completed backup under b.ID. Recording the same id
// again (a retried backup activity) updates that row, keeping its created_at:
// one backup is never two rows. b.CreatedAt, State and DeletedAt are ignored;
// the row is Completed.
func (s *Store) RecordBackup(ctx context.Context, b domain.Backup) (domain.Backup, error) {
	var opID *string
	if b.OperationID != "" {
		opID = &b.OperationID
	}
	rec, err := scanBackup(s.pool.QueryRow(ctx, `
		INSERT INTO backups (id, cluster_id, state, target_kind, target_location, object_key, size_bytes, sha256,
			snapshot_size_bytes, snapshot_sha256, etcd_revision, etcd_hash, kubernetes_version, node,
			encryption, key_id, pki_object_key, pki_size_bytes, pki_sha256, operation_id)
		VALUES ($1, $2, 'Completed', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		ON CONFLICT (id) DO UPDATE SET state = 'Completed', deleted_at = NULL,
			target_kind = EXCLUDED.target_kind, target_location = EXCLUDED.target_location,
			object_key = EXCLUDED.object_key, size_bytes = EXCLUDED.size_bytes, sha256 = EXCLUDED.sha256,
			snapshot_size_bytes = EXCLUDED.snapshot_size_bytes, snapshot_sha256 = EXCLUDED.snapshot_sha256,
			etcd_revision = EXCLUDED.etcd_revision, etcd_hash = EXCLUDED.etcd_hash,
			kubernetes_version = EXCLUDED.kubernetes_version, node = EXCLUDED.node,
			encryption = EXCLUDED.encryption, key_id = EXCLUDED.key_id, pki_object_key = EXCLUDED.pki_object_key,
			pki_size_bytes = EXCLUDED.pki_size_bytes, pki_sha256 = EXCLUDED.pki_sha256,
			operation_id = EXCLUDED.operation_id
		WHERE backups.cluster_id = EXCLUDED.cluster_id
		RETURNING `+backupColumns,
		b.ID, b.ClusterID, b.TargetKind, b.TargetLocation, b.ObjectKey, b.SizeBytes, b.SHA256,
		b.SnapshotSizeBytes, b.SnapshotSHA256, b.EtcdRevision, b.EtcdHash, b.KubernetesVersion, b.Node,
		b.Encryption, b.KeyID, b.PKIObjectKey, b.PKISizeBytes, b.PKISHA256, opID))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Backup{}, fmt.Errorf("record backup %s of cluster %s: %w", b.ID, b.ClusterID, ErrBackupOfOtherCluster)
	}
	if err != nil {
		return domain.Backup{}, fmt.Errorf("record backup %s of cluster %s: %w", b.ID, b.ClusterID, err)
	}
	return rec, nil
}

// GetBackup returns a backup by id; an error wrapping domain.ErrNotFound when
// there is none.
func (s *Store) GetBackup(ctx context.Context, id string) (domain.Backup, error) {
	b, err := scanBackup(s.pool.QueryRow(ctx, `SELECT `+backupColumns+` FROM backups WHERE id = $1`, id))
	if err != nil {
		return b, notFound(err, "backup "+id)
	}
	return b, nil
}

// BackupFilter narrows ListBackups.
type BackupFilter struct {
	// IncludeDeleted lists Deleted backups too.
	IncludeDeleted bool
}

// ListBackups returns a cluster's backups newest first, a page at a time.
func (s *Store) ListBackups(ctx context.Context, clusterID string, f BackupFilter, page Page) ([]domain.Backup, string, error) {
	after, hasAfter, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := page.limit()
	var q query
	q.and("cluster_id = ?", clusterID)
	if !f.IncludeDeleted {
		q.and("state <> ?", domain.BackupDeleted)
	}
	if hasAfter {
		q.and("(created_at, id) < (?, ?::uuid)", after.Time, after.ID)
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT `+backupColumns+` FROM backups`, "created_at DESC, id DESC", limit+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list backups of cluster %s: %w", clusterID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Backup, error) { return scanBackup(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list backups of cluster %s: %w", clusterID, err)
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		next = encodeCursor(keyset{Time: last.CreatedAt, ID: last.ID})
	}
	return list, next, nil
}

// MarkBackupDeleted marks a backup Deleted once its objects are removed
// from the target; the row stays as history. Marking a Deleted backup again
// changes nothing.
func (s *Store) MarkBackupDeleted(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE backups SET state = 'Deleted', deleted_at = COALESCE(deleted_at, now()) WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("mark backup %s deleted: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mark backup %s deleted: %w", id, domain.ErrNotFound)
	}
	return nil
}

// DeleteBackup removes a backup's row. It reports whether there was one.
func (s *Store) DeleteBackup(ctx context.Context, id string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM backups WHERE id = $1`, id)
	if err != nil {
		return false, fmt.Errorf("delete backup %s: %w", id, err)
	}
	return tag.RowsAffected() > 0, nil
}
