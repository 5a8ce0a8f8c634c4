package inventory

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

const ipPoolColumns = `p.id, p.name, p.cidr::text, host(p.range_start), host(p.range_end), coalesce(host(p.gateway), ''), p.dns, p.created_at,
	(p.range_end - p.range_start) + 1,
	(p.range_end - p.range_start) + 1 - (SELECT count(*) FROM ip_leases l WHERE l.pool_id = p.id)`

func scanIPPool(r pgx.Row) (domain.IPPool, error) {
	var p domain.IPPool
	err := r.Scan(&p.ID, &p.Name, &p.CIDR, &p.RangeStart, &p.RangeEnd, &p.Gateway, &p.DNS, &p.CreatedAt, &p.Size, &p.Free)
	return p, err
}

// CreateIPPool stores a validated pool. A taken name is domain.ErrConflict.
func (s *Store) CreateIPPool(ctx context.Context, in domain.IPPoolInput) (domain.IPPool, error) {
	if in.DNS == nil {
		in.DNS = []string{}
	}
	var gw any
	if in.Gateway != "" {
		gw = in.Gateway
	}
	p, err := scanIPPool(s.pool.QueryRow(ctx, `
		WITH p AS (
			INSERT INTO ip_pools (name, cidr, range_start, range_end, gateway, dns)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING *)
		SELECT `+ipPoolColumns+` FROM p`, in.Name, in.CIDR, in.RangeStart, in.RangeEnd, gw, in.DNS))
	if isPgCode(err, pgUniqueViolation) {
		return p, fmt.Errorf("ip pool %q exists: %w", in.Name, domain.ErrConflict)
	}
	if err != nil {
		return p, fmt.Errorf("create ip pool %s: %w", in.Name, err)
	}
	p.Leases = []domain.IPLease{}
	return p, nil
}

// ListIPPools returns pools by name with their counts but not their leases, a page at
// a time.
func (s *Store) ListIPPools(ctx context.Context, page Page) ([]domain.IPPool, string, error) {
	after, _, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var q query
	if after.Name != "" {
		q.and("p.name > ?", after.Name)
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT `+ipPoolColumns+` FROM ip_pools p`, "p.name", page.limit()+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list ip pools: %w", err)
	}
	pools, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.IPPool, error) { return scanIPPool(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list ip pools: %w", err)
	}
	pools, next := pageByName(pools, page.limit(), func(p domain.IPPool) string { return p.Name })
	return pools, next, nil
}

// IPPoolSummary returns the pool named name with its size and free count, without
// reading its leases.
func (s *Store) IPPoolSummary(ctx context.Context, name string) (domain.IPPool, error) {
	p, err := scanIPPool(s.pool.QueryRow(ctx, `SELECT `+ipPoolColumns+` FROM ip_pools p WHERE p.name = $1`, name))
	if err != nil {
		return p, notFound(err, "ip pool "+name)
	}
	return p, nil
}

// GetIPPool returns the pool named name with its leases in address order.
func (s *Store) GetIPPool(ctx context.Context, name string) (domain.IPPool, error) {
	p, err := scanIPPool(s.pool.QueryRow(ctx, `SELECT `+ipPoolColumns+` FROM ip_pools p WHERE p.name = $1`, name))
	if err != nil {
		return p, notFound(err, "ip pool "+name)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT host(address), owner, coalesce(cluster_id::text, ''), leased_at FROM ip_leases
		WHERE pool_id = $1 ORDER BY address`, p.ID)
	if err != nil {
		return p, fmt.Errorf("list leases of %s: %w", name, err)
	}
	p.Leases, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.IPLease, error) {
		var l domain.IPLease
		err := r.Scan(&l.Address, &l.Owner, &l.ClusterID, &l.LeasedAt)
		return l, err
	})
	return p, err
}

// LeaseIP gives owner an address from the pool named poolName: the lowest free one, or
// the one owner already holds (so a retried allocation returns the same address).
// Allocations in one pool are serialized by a row lock on the pool, so two callers never
// get the same address. An exhausted pool is domain.ErrExhausted.
func (s *Store) LeaseIP(ctx context.Context, poolName, clusterID, owner string) (netip.Addr, error) {
	var addr netip.Addr
	var cluster any
	if clusterID != "" {
		cluster = clusterID
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var poolID string
		err := tx.QueryRow(ctx, `SELECT id FROM ip_pools WHERE name = $1 FOR UPDATE`, poolName).Scan(&poolID)
		if err != nil {
			return notFound(err, "ip pool "+poolName)
		}
		err = tx.QueryRow(ctx, `SELECT address FROM ip_leases WHERE pool_id = $1 AND owner = $2`, poolID, owner).Scan(&addr)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("look up lease of %s: %w", owner, err)
		}
		// The lowest free address is either range_start or right after a leased one.
		err = tx.QueryRow(ctx, `
			WITH p AS (SELECT range_start, range_end FROM ip_pools WHERE id = $1),
			candidates AS (
				SELECT range_start AS a FROM p
				UNION ALL
				SELECT l.address + 1 FROM ip_leases l, p WHERE l.pool_id = $1 AND l.address < p.range_end)
			SELECT c.a FROM candidates c, p
			WHERE c.a BETWEEN p.range_start AND p.range_end
			  AND NOT EXISTS (SELECT 1 FROM ip_leases l WHERE l.pool_id = $1 AND l.address = c.a)
			ORDER BY c.a LIMIT 1`, poolID).Scan(&addr)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("ip pool %s has no free address: %w", poolName, domain.ErrExhausted)
		}
		if err != nil {
			return fmt.Errorf("find free address in %s: %w", poolName, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO ip_leases (pool_id, address, cluster_id, owner) VALUES ($1, $2, $3, $4)`,
			poolID, addr, cluster, owner)
		if err != nil {
			return fmt.Errorf("lease %s to %s: %w", addr, owner, err)
		}
		return nil
	})
	return addr, err
}

// ReleaseIP frees the address owner holds in the pool; releasing nothing is not an error.
func (s *Store) ReleaseIP(ctx context.Context, poolName, owner string) error {
	_, err := s.pool.Exec(ctx, `
		DELETE FROM ip_leases WHERE owner = $2 AND pool_id = (SELECT id FROM ip_pools WHERE name = $1)`, poolName, owner)
	if err != nil {
		return fmt.Errorf("release lease of %s in %s: %w", owner, poolName, err)
	}
	return nil
}

// ReleaseClusterIPs frees every address a cluster holds and returns how many.
func (s *Store) ReleaseClusterIPs(ctx context.Context, clusterID string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM ip_leases WHERE cluster_id = $1`, clusterID)
	if err != nil {
		return 0, fmt.Errorf("release leases of cluster %s: %w", clusterID, err)
	}
	return tag.RowsAffected(), nil
}

// LeaseAddress gives owner the address addr of the pool named poolName, or keeps the
// lease owner holds on it (so a retried allocation succeeds). An address outside the
// pool's range is leased by nobody and needs no lease: it returns false. An address in
// the range held by another owner is domain.ErrConflict.
func (s *Store) LeaseAddress(ctx context.Context, poolName, clusterID, owner string, addr netip.Addr) (bool, error) {
	var cluster any
	if clusterID != "" {
		cluster = clusterID
	}
	leased := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var poolID string
		var inRange bool
		err := tx.QueryRow(ctx, `SELECT id, $2::inet BETWEEN range_start AND range_end FROM ip_pools WHERE name = $1 FOR UPDATE`,
			poolName, addr).Scan(&poolID, &inRange)
		if err != nil {
			return notFound(err, "ip pool "+poolName)
		}
		if !inRange {
			return nil
		}
		var holder string
		err = tx.QueryRow(ctx, `SELECT owner FROM ip_leases WHERE pool_id = $1 AND address = $2`, poolID, addr).Scan(&holder)
		switch {
		case err == nil && holder == owner:
			leased = true
			return nil
		case err == nil:
			return fmt.Errorf("address %s of ip pool %s is leased to %s: %w", addr, poolName, holder, domain.ErrConflict)
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("look up lease of %s: %w", addr, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ip_leases WHERE pool_id = $1 AND owner = $2`, poolID, owner); err != nil {
			return fmt.Errorf("release the earlier lease of %s: %w", owner, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO ip_leases (pool_id, address, cluster_id, owner) VALUES ($1, $2, $3, $4)`,
			poolID, addr, cluster, owner)
		if err != nil {
			return fmt.Errorf("lease %s to %s: %w", addr, owner, err)
		}
		leased = true
		return nil
	})
	return leased, err
}
