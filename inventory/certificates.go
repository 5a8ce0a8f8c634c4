package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// Certificates of clusters, as the certificate check reads them (see workflows
// CheckCertificates).

// ReplaceCertificates replaces the whole recorded set of a cluster's certificates with
// certs, and sets the cluster's certificate_expiry to their earliest not_after, in one
// transaction: a reader sees the old set or the new one, never a mix.
func (s *Store) ReplaceCertificates(ctx context.Context, clusterID string, certs []domain.Certificate) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM cluster_certificates WHERE cluster_id = $1`, clusterID); err != nil {
			return err
		}
		rows := make([][]any, 0, len(certs))
		for _, c := range certs {
			rows = append(rows, []any{clusterID, c.Node, c.Name, c.Subject, c.CAName, c.Authority, c.NotAfter, c.Source, c.CheckedAt})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"cluster_certificates"},
			[]string{"cluster_id", "node", "name", "subject", "ca_name", "authority", "not_after", "source", "checked_at"},
			pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		var expiry *time.Time
		if first, ok := domain.EarliestExpiry(certs); ok {
			expiry = &first
		}
		_, err := tx.Exec(ctx, `UPDATE clusters SET certificate_expiry = $2, updated_at = now() WHERE id = $1`, clusterID, expiry)
		return err
	})
	if err != nil {
		return fmt.Errorf("record certificates of cluster %s: %w", clusterID, err)
	}
	return nil
}

// Certificates returns the recorded certificates of a cluster, the cluster-wide ones
// first, then by node and name; DaysLeft is computed at now.
func (s *Store) Certificates(ctx context.Context, clusterID string, now time.Time) ([]domain.Certificate, error) {
	rows, _ := s.pool.Query(ctx, `
		SELECT node, name, subject, ca_name, authority, not_after, source, checked_at
		FROM cluster_certificates WHERE cluster_id = $1
		ORDER BY node, authority, name, source`, clusterID)
	certs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Certificate, error) {
		var c domain.Certificate
		err := r.Scan(&c.Node, &c.Name, &c.Subject, &c.CAName, &c.Authority, &c.NotAfter, &c.Source, &c.CheckedAt)
		c.NotAfter, c.CheckedAt = c.NotAfter.UTC(), c.CheckedAt.UTC()
		c.DaysLeft = domain.DaysUntil(c.NotAfter, now)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("certificates of cluster %s: %w", clusterID, err)
	}
	return certs, nil
}
