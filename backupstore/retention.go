package backupstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// Records is the inventory of backups; inventory.Store implements it.
type Records interface {
	ListBackups(ctx context.Context, clusterID string, f inventory.BackupFilter, page inventory.Page) ([]domain.Backup, string, error)
	MarkBackupDeleted(ctx context.Context, id string) error
}

// FindTarget returns the target of targets a backup was stored at (same
// kind and location); nil when none is.
func FindTarget(targets []Target, kind, location string) Target {
	for _, t := range targets {
		if t.Kind() == kind && t.Location() == location {
			return t
		}
	}
	return nil
}

// Prune keeps the newest keep Completed backups of a cluster and deletes
// the older ones: their objects at the target they were stored at (one of
// targets), then marks them Deleted in the inventory. A backup whose
// target is not among targets, or whose deletion fails, is left Completed
// and reported in the error, after the others were pruned; a second run
// finishes what a failed one left. It returns the backups it deleted.
func Prune(ctx context.Context, records Records, targets []Target, clusterID string, keep int) ([]domain.Backup, error) {
	if keep < 1 {
		return nil, fmt.Errorf("retention of cluster %s: keep %d; at least the newest backup is kept", clusterID, keep)
	}
	var all []domain.Backup
	page := inventory.Page{Limit: inventory.MaxLimit}
	for {
		list, next, err := records.ListBackups(ctx, clusterID, inventory.BackupFilter{}, page)
		if err != nil {
			return nil, fmt.Errorf("retention of cluster %s: %w", clusterID, err)
		}
		all = append(all, list...)
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if len(all) <= keep {
		return nil, nil
	}
	var deleted []domain.Backup
	var errs []error
	for _, b := range all[keep:] {
		if err := deleteBackup(ctx, records, targets, b); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted = append(deleted, b)
	}
	if err := errors.Join(errs...); err != nil {
		return deleted, fmt.Errorf("retention of cluster %s: %w", clusterID, err)
	}
	return deleted, nil
}

// deleteBackup deletes a backup's objects, then marks it Deleted.
func deleteBackup(ctx context.Context, records Records, targets []Target, b domain.Backup) error {
	t := FindTarget(targets, b.TargetKind, b.TargetLocation)
	if t == nil {
		return fmt.Errorf("backup %s: its target %s %s is not configured", b.ID, b.TargetKind, b.TargetLocation)
	}
	for _, key := range []string{b.ObjectKey, b.PKIObjectKey} {
		if key == "" {
			continue
		}
		if err := t.Delete(ctx, key); err != nil {
			return fmt.Errorf("backup %s: %w", b.ID, err)
		}
	}
	if err := records.MarkBackupDeleted(ctx, b.ID); err != nil {
		return fmt.Errorf("backup %s: %w", b.ID, err)
	}
	return nil
}
