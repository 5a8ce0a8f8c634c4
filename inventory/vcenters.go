package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// passwordAAD binds a sealed vCenter password to its vCenter.
func passwordAAD(id string) []byte { return []byte("vcenter:" + id + ":password") }

// clusterPasswordAAD binds a sealed cluster-account password to its vCenter.
func clusterPasswordAAD(id string) []byte { return []byte("vcenter:" + id + ":cluster-password") }

const vcenterColumns = `id, name, server, username, insecure, thumbprint, created_at, updated_at, synced_at, sync_error,
	cluster_username, share_service_account`

func scanVCenter(r pgx.Row) (domain.VCenter, error) {
	var v domain.VCenter
	var clusterUser string
	err := r.Scan(&v.ID, &v.Name, &v.Server, &v.Username, &v.Insecure, &v.Thumbprint, &v.CreatedAt, &v.UpdatedAt, &v.SyncedAt, &v.SyncError,
		&clusterUser, &v.ShareServiceAccountWithClusters)
	if clusterUser != "" {
		v.ClusterCredentials = &domain.ClusterAccount{Username: clusterUser}
	}
	v.Warnings = domain.VCenterWarnings(v)
	return v, err
}

// sealClusterAccount returns the cluster account's user name and sealed password of a
// registration (empty and nil without one).
func (s *Store) sealClusterAccount(id string, in domain.VCenterInput) (string, []byte, error) {
	if in.ClusterCredentials == nil {
		return "", nil, nil
	}
	sealed, err := s.sealer.Seal([]byte(in.ClusterCredentials.Password), clusterPasswordAAD(id))
	if err != nil {
		return "", nil, fmt.Errorf("seal cluster account password: %w", err)
	}
	return in.ClusterCredentials.Username, sealed, nil
}

// CreateVCenter stores a validated registration with its password sealed. A taken name
// is domain.ErrConflict.
func (s *Store) CreateVCenter(ctx context.Context, in domain.VCenterInput) (domain.VCenter, error) {
	id := uuid.NewString()
	sealed, err := s.sealer.Seal([]byte(in.Password), passwordAAD(id))
	if err != nil {
		return domain.VCenter{}, fmt.Errorf("seal vcenter password: %w", err)
	}
	clusterUser, clusterSealed, err := s.sealClusterAccount(id, in)
	if err != nil {
		return domain.VCenter{}, err
	}
	v, err := scanVCenter(s.pool.QueryRow(ctx, `
		INSERT INTO vcenters (id, name, server, username, password_sealed, insecure, thumbprint,
			cluster_username, cluster_password_sealed, share_service_account)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+vcenterColumns,
		id, in.Name, in.Server, in.Username, sealed, in.Insecure, in.Thumbprint,
		clusterUser, clusterSealed, in.ShareServiceAccountWithClusters))
	if isPgCode(err, pgUniqueViolation) {
		return v, fmt.Errorf("vcenter %q exists: %w", in.Name, domain.ErrConflict)
	}
	if err != nil {
		return v, fmt.Errorf("create vcenter %s: %w", in.Name, err)
	}
	return v, nil
}

// GetVCenter returns the vCenter named name.
func (s *Store) GetVCenter(ctx context.Context, name string) (domain.VCenter, error) {
	v, err := scanVCenter(s.pool.QueryRow(ctx, `SELECT `+vcenterColumns+` FROM vcenters WHERE name = $1`, name))
	if err != nil {
		return v, notFound(err, "vcenter "+name)
	}
	return v, nil
}

// ListVCenters returns vCenters by name, a page at a time.
func (s *Store) ListVCenters(ctx context.Context, page Page) ([]domain.VCenter, string, error) {
	after, _, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var q query
	if after.Name != "" {
		q.and("name > ?", after.Name)
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT `+vcenterColumns+` FROM vcenters`, "name", page.limit()+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list vcenters: %w", err)
	}
	vs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.VCenter, error) { return scanVCenter(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list vcenters: %w", err)
	}
	vs, next := pageByName(vs, page.limit(), func(v domain.VCenter) string { return v.Name })
	return vs, next, nil
}

// VCenterCredentials returns the login of the vCenter with id, password unsealed. Only
// activities call it; what it returns must not leave the activity.
func (s *Store) VCenterCredentials(ctx context.Context, id string) (domain.VCenterCredentials, error) {
	var c domain.VCenterCredentials
	var sealed []byte
	err := s.pool.QueryRow(ctx, `SELECT server, username, password_sealed, insecure, thumbprint FROM vcenters WHERE id = $1`, id).
		Scan(&c.Server, &c.Username, &sealed, &c.Insecure, &c.Thumbprint)
	if err != nil {
		return c, notFound(err, "vcenter "+id)
	}
	pw, err := s.sealer.Open(sealed, passwordAAD(id))
	if err != nil {
		return c, fmt.Errorf("unseal password of vcenter %s: %w", id, err)
	}
	c.Password = string(pw)
	return c, nil
}

// ReplaceInventory replaces the recorded inventory of a vCenter with objs in one
// transaction and marks the vCenter synced.
func (s *Store) ReplaceInventory(ctx context.Context, vcenterID string, objs []domain.InventoryObject) error {
	now := time.Now().UTC()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM inventory_objects WHERE vcenter_id = $1`, vcenterID); err != nil {
			return fmt.Errorf("clear inventory: %w", err)
		}
		rows := make([][]any, 0, len(objs))
		for _, o := range objs {
			attrs, err := json.Marshal(o)
			if err != nil {
				return fmt.Errorf("encode %s %s: %w", o.Kind, o.Moref, err)
			}
			rows = append(rows, []any{vcenterID, o.Kind, o.Moref, o.Name, o.Path, o.Datacenter, o.Parent, attrs, now})
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"inventory_objects"},
			[]string{"vcenter_id", "kind", "moref", "name", "path", "datacenter", "parent", "attrs", "synced_at"},
			pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("write inventory: %w", err)
		}
		tag, err := tx.Exec(ctx, `UPDATE vcenters SET synced_at = $2, sync_error = '', updated_at = now() WHERE id = $1`, vcenterID, now)
		if err != nil {
			return fmt.Errorf("mark vcenter synced: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("vcenter %s: %w", vcenterID, domain.ErrNotFound)
		}
		return nil
	})
}

// SetSyncError records why the last sync of a vCenter failed.
func (s *Store) SetSyncError(ctx context.Context, vcenterID, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE vcenters SET sync_error = $2, updated_at = now() WHERE id = $1`, vcenterID, reason)
	if err != nil {
		return fmt.Errorf("record sync error: %w", err)
	}
	return nil
}

// Inventory returns the recorded inventory of the vCenter named name, grouped by kind.
func (s *Store) Inventory(ctx context.Context, name string) (domain.Inventory, error) {
	v, err := s.GetVCenter(ctx, name)
	if err != nil {
		return domain.Inventory{}, err
	}
	inv := domain.Inventory{VCenter: v.Name, SyncedAt: v.SyncedAt}
	groups := map[string]*[]domain.InventoryObject{
		domain.KindDatacenter: &inv.Datacenters, domain.KindComputeCluster: &inv.ComputeClusters,
		domain.KindHost: &inv.Hosts, domain.KindResourcePool: &inv.ResourcePools, domain.KindFolder: &inv.Folders,
		domain.KindDatastore: &inv.Datastores, domain.KindNetwork: &inv.Networks, domain.KindTemplate: &inv.Templates,
	}
	for _, g := range groups {
		*g = []domain.InventoryObject{}
	}
	rows, err := s.pool.Query(ctx, `SELECT attrs FROM inventory_objects WHERE vcenter_id = $1 ORDER BY kind, path, moref`, v.ID)
	if err != nil {
		return inv, fmt.Errorf("read inventory of %s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var o domain.InventoryObject
		if err := rows.Scan(&o); err != nil {
			return inv, fmt.Errorf("read inventory of %s: %w", name, err)
		}
		if g, ok := groups[o.Kind]; ok {
			*g = append(*g, o)
		}
	}
	return inv, rows.Err()
}

// DeleteVCenter removes a vCenter and its recorded inventory.
func (s *Store) DeleteVCenter(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM vcenters WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete vcenter %s: %w", id, err)
	}
	return nil
}

// ClusterAccountCredentials returns what the vSphere drivers of the vCenter's clusters
// log in with: the cluster account, password unsealed, or the service's own account
// when the registration shares it. A vCenter with neither is an error wrapping
// domain.ErrNoClusterAccount. Only activities and the credential checks of the API call
// it; what it returns must not leave them.
func (s *Store) ClusterAccountCredentials(ctx context.Context, id string) (domain.ClusterAccountCredentials, error) {
	var out domain.ClusterAccountCredentials
	var name, user string
	var sealed []byte
	err := s.pool.QueryRow(ctx, `SELECT name, server, insecure, thumbprint, cluster_username, cluster_password_sealed, share_service_account
		FROM vcenters WHERE id = $1`, id).Scan(&name, &out.Server, &out.Insecure, &out.Thumbprint, &user, &sealed, &out.Shared)
	if err != nil {
		return out, notFound(err, "vcenter "+id)
	}
	switch {
	case user != "":
		pw, err := s.sealer.Open(sealed, clusterPasswordAAD(id))
		if err != nil {
			return out, fmt.Errorf("unseal cluster account password of vcenter %s: %w", id, err)
		}
		out.Username, out.Password, out.Shared = user, string(pw), false
		return out, nil
	case out.Shared:
		svc, err := s.VCenterCredentials(ctx, id)
		if err != nil {
			return out, err
		}
		out.VCenterCredentials = svc
		return out, nil
	}
	return out, fmt.Errorf("vcenter %s: %w", name, domain.ErrNoClusterAccount)
}

// GetVCenterByID returns the vCenter with id.
func (s *Store) GetVCenterByID(ctx context.Context, id string) (domain.VCenter, error) {
	v, err := scanVCenter(s.pool.QueryRow(ctx, `SELECT `+vcenterColumns+` FROM vcenters WHERE id = $1`, id))
	if err != nil {
		return v, notFound(err, "vcenter "+id)
	}
	return v, nil
}

// UpdateVCenter replaces the settings and accounts of the registered vCenter in.Name
// with those of in, which the caller has validated and checked against vCenter. A
// password left empty (the service's, or the cluster account's when its user name is
// unchanged) keeps the sealed one.
func (s *Store) UpdateVCenter(ctx context.Context, id string, in domain.VCenterInput) (domain.VCenter, error) {
	var pwSealed []byte
	if in.Password != "" {
		sealed, err := s.sealer.Seal([]byte(in.Password), passwordAAD(id))
		if err != nil {
			return domain.VCenter{}, fmt.Errorf("seal vcenter password: %w", err)
		}
		pwSealed = sealed
	}
	clusterUser, clusterSealed := "", []byte(nil)
	keepCluster := false
	if c := in.ClusterCredentials; c != nil {
		if c.Password == "" {
			clusterUser, keepCluster = c.Username, true
		} else {
			var err error
			if clusterUser, clusterSealed, err = s.sealClusterAccount(id, in); err != nil {
				return domain.VCenter{}, err
			}
		}
	}
	v, err := scanVCenter(s.pool.QueryRow(ctx, `
		UPDATE vcenters SET
			password_sealed = COALESCE($2, password_sealed),
			insecure = $3, thumbprint = $4,
			cluster_username = $5,
			cluster_password_sealed = CASE WHEN $6 THEN cluster_password_sealed ELSE $7 END,
			share_service_account = $8,
			updated_at = now()
		WHERE id = $1 RETURNING `+vcenterColumns,
		id, pwSealed, in.Insecure, in.Thumbprint, clusterUser, keepCluster, clusterSealed, in.ShareServiceAccountWithClusters))
	if err != nil {
		return v, notFound(err, "vcenter "+in.Name)
	}
	return v, nil
}

// VCenterClusters returns the live clusters on the vCenter with id (not deleted, not
// being deleted), by name: those whose vSphere drivers hold the vCenter's cluster
// account.
func (s *Store) VCenterClusters(ctx context.Context, vcenterID string) ([]domain.ClusterRef, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name FROM clusters
		WHERE vcenter_id = $1 AND deleted_at IS NULL AND phase NOT IN ('Deleting', 'Deleted') ORDER BY name`, vcenterID)
	if err != nil {
		return nil, fmt.Errorf("clusters of vcenter %s: %w", vcenterID, err)
	}
	refs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.ClusterRef, error) {
		var c domain.ClusterRef
		err := r.Scan(&c.ID, &c.Name)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("clusters of vcenter %s: %w", vcenterID, err)
	}
	return refs, nil
}
