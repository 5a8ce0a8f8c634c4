package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// SSH host keys of nodes, pinned at first contact (see activities/nodes).

const hostKeyColumns = `cluster_id::text, node, address, key_type, fingerprint, authorized_key, first_seen`

func scanHostKey(r pgx.Row) (domain.NodeHostKey, error) {
	var k domain.NodeHostKey
	err := r.Scan(&k.ClusterID, &k.Node, &k.Address, &k.KeyType, &k.Fingerprint, &k.AuthorizedKey, &k.FirstSeen)
	return k, err
}

// PinnedHostKey returns the host key pinned for a node; an error wrapping
// domain.ErrNotFound when none is.
func (s *Store) PinnedHostKey(ctx context.Context, clusterID, node string) (domain.NodeHostKey, error) {
	k, err := scanHostKey(s.pool.QueryRow(ctx,
		`SELECT `+hostKeyColumns+` FROM node_host_keys WHERE cluster_id = $1 AND node = $2`, clusterID, node))
	if err != nil {
		return k, notFound(err, "host key of node "+node+" of cluster "+clusterID)
	}
	return k, nil
}

// PinHostKey pins k unless a key is pinned for the node already: the first
// writer wins. It returns the key pinned after the call and whether this
// call pinned it; a caller that did not must compare the returned key with
// the one it was presented.
func (s *Store) PinHostKey(ctx context.Context, k domain.NodeHostKey) (domain.NodeHostKey, bool, error) {
	pinned, err := scanHostKey(s.pool.QueryRow(ctx, `
		INSERT INTO node_host_keys (cluster_id, node, address, key_type, fingerprint, authorized_key)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (cluster_id, node) DO NOTHING
		RETURNING `+hostKeyColumns,
		k.ClusterID, k.Node, k.Address, k.KeyType, k.Fingerprint, k.AuthorizedKey))
	if err == nil {
		return pinned, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return domain.NodeHostKey{}, false, fmt.Errorf("pin host key of node %s: %w", k.Node, err)
	}
	pinned, err = s.PinnedHostKey(ctx, k.ClusterID, k.Node)
	if err != nil {
		return domain.NodeHostKey{}, false, fmt.Errorf("pin host key of node %s: %w", k.Node, err)
	}
	return pinned, false, nil
}

// ForgetHostKey removes the host key pinned for a node, so that the next
// contact pins the key the node then presents. Day-2 operations call it
// when they replace a node. It reports whether a key was pinned.
func (s *Store) ForgetHostKey(ctx context.Context, clusterID, node string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM node_host_keys WHERE cluster_id = $1 AND node = $2`, clusterID, node)
	if err != nil {
		return false, fmt.Errorf("forget host key of node %s: %w", node, err)
	}
	return tag.RowsAffected() > 0, nil
}
