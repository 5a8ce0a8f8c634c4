package inventory

import (
	"bytes"
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// UpdateClusterSecret replaces an existing secret of a cluster with what next returns
// for its current value, holding the secret's row locked meanwhile, so that callers
// racing to replace the same secret (e.g. to renew a certificate in it) act one after
// the other and the later one sees the earlier one's value. next returning its input
// unchanged keeps the secret as it is. It returns the value the secret holds after; a
// secret that does not exist is an error wrapping domain.ErrNotFound.
func (s *Store) UpdateClusterSecret(ctx context.Context, clusterID, name string, next func(current []byte) ([]byte, error)) ([]byte, error) {
	var out []byte
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var sealed []byte
		err := tx.QueryRow(ctx, `SELECT sealed FROM cluster_secrets WHERE cluster_id = $1 AND name = $2 FOR UPDATE`,
			clusterID, name).Scan(&sealed)
		if err != nil {
			return notFound(err, "secret "+name+" of cluster "+clusterID)
		}
		current, err := s.sealer.Open(sealed, secretAAD(clusterID, name))
		if err != nil {
			return fmt.Errorf("unseal secret %s of cluster %s: %w", name, clusterID, err)
		}
		value, err := next(current)
		if err != nil {
			return err
		}
		out = value
		if bytes.Equal(value, current) {
			return nil
		}
		resealed, err := s.sealer.Seal(value, secretAAD(clusterID, name))
		if err != nil {
			return fmt.Errorf("seal secret %s of cluster %s: %w", name, clusterID, err)
		}
		_, err = tx.Exec(ctx, `UPDATE cluster_secrets SET sealed = $3, updated_at = now() WHERE cluster_id = $1 AND name = $2`,
			clusterID, name, resealed)
		if err != nil {
			return fmt.Errorf("store secret %s of cluster %s: %w", name, clusterID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
