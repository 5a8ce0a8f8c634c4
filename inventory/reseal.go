package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/secrets"
)

// sealedColumn is one column of the inventory that holds secrets.Keyring envelopes.
// A new sealed column must be added to sealedColumns, or a master key rotation would
// leave it under the old key (TestSealedColumnsAreAllKnown fails when one is missing).
type sealedColumn struct {
	table, column string
	keys          []string // the primary key's columns
	keyTypes      []string // their SQL types
	aad           func(key []string) []byte
}

var sealedColumns = []sealedColumn{
	{table: "vcenters", column: "password_sealed", keys: []string{"id"}, keyTypes: []string{"uuid"},
		aad: func(k []string) []byte { return passwordAAD(k[0]) }},
	{table: "vcenters", column: "cluster_password_sealed", keys: []string{"id"}, keyTypes: []string{"uuid"},
		aad: func(k []string) []byte { return clusterPasswordAAD(k[0]) }},
	{table: "cluster_secrets", column: "sealed", keys: []string{"cluster_id", "name"}, keyTypes: []string{"uuid", "text"},
		aad: func(k []string) []byte { return secretAAD(k[0], k[1]) }},
}

// SealedColumns names every sealed column ("table.column") the store knows of, in the
// order Reseal works through them.
func SealedColumns() []string {
	out := make([]string, len(sealedColumns))
	for i, c := range sealedColumns {
		out[i] = c.name()
	}
	return out
}

func (c sealedColumn) name() string { return c.table + "." + c.column }

// keyWhere is the WHERE condition selecting one row by its key, parameters from $1.
func (c sealedColumn) keyWhere() string {
	conds := make([]string, len(c.keys))
	for i, k := range c.keys {
		conds[i] = fmt.Sprintf("%s = $%d::text::%s", k, i+1, c.keyTypes[i])
	}
	return strings.Join(conds, " AND ")
}

// ResealCount is how far Reseal got in one sealed column: rows sealed again under the
// primary key, and rows skipped because they already were.
type ResealCount struct {
	Column   string // "table.column"
	Resealed int
	Skipped  int
}

// ResealOptions tune Reseal.
type ResealOptions struct {
	// OnRow, if set, is called after each row with the column's running count.
	OnRow func(ResealCount)
}

// primaryKeyed is what Reseal needs of the store's sealer besides Seal and Open.
type primaryKeyed interface {
	PrimaryKeyID() string
}

// Reseal seals every sealed value of the inventory that is not under the sealer's
// primary key again under it: each row in its own short transaction (locked with
// SELECT ... FOR UPDATE, opened with any key of the sealer, sealed with the primary),
// so that it can be interrupted at any row and run again; rows already under the
// primary key are skipped. The store's sealer must be a keyring whose primary is the
// new key and that holds the keys the rows are under now. It returns the counts per
// column, also when it stops early with an error.
func (s *Store) Reseal(ctx context.Context, opts ResealOptions) ([]ResealCount, error) {
	pk, ok := s.sealer.(primaryKeyed)
	if !ok {
		return nil, errors.New("reseal: the store's sealer has no primary key id")
	}
	primary := pk.PrimaryKeyID()
	counts := make([]ResealCount, 0, len(sealedColumns))
	for _, col := range sealedColumns {
		count, err := s.resealColumn(ctx, col, primary, opts)
		counts = append(counts, count)
		if err != nil {
			return counts, err
		}
	}
	return counts, nil
}

func (s *Store) resealColumn(ctx context.Context, col sealedColumn, primary string, opts ResealOptions) (ResealCount, error) {
	count := ResealCount{Column: col.name()}
	keyList := make([]string, len(col.keys))
	for i, k := range col.keys {
		keyList[i] = k + "::text"
	}
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT %s, encode(substring(%s from 2 for 8), 'hex') FROM %s WHERE %s IS NOT NULL ORDER BY %s`,
		strings.Join(keyList, ", "), col.column, col.table, col.column, strings.Join(keyList, ", ")))
	if err != nil {
		return count, fmt.Errorf("reseal %s: list rows: %w", col.name(), err)
	}
	type row struct {
		key   []string
		keyID string
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		vals := make([]string, len(col.keys)+1)
		dest := make([]any, len(vals))
		for i := range vals {
			dest[i] = &vals[i]
		}
		err := r.Scan(dest...)
		return row{key: vals[:len(col.keys)], keyID: vals[len(col.keys)]}, err
	})
	if err != nil {
		return count, fmt.Errorf("reseal %s: list rows: %w", col.name(), err)
	}
	for _, r := range all {
		resealed := false
		if r.keyID != primary {
			if resealed, err = s.resealRow(ctx, col, r.key, primary); err != nil {
				return count, err
			}
		}
		if resealed {
			count.Resealed++
		} else {
			count.Skipped++
		}
		if opts.OnRow != nil {
			opts.OnRow(count)
		}
	}
	return count, nil
}

// resealRow seals one row again under the primary key in its own transaction. It
// reports false when the row is gone or already under the primary key.
func (s *Store) resealRow(ctx context.Context, col sealedColumn, key []string, primary string) (bool, error) {
	where := col.keyWhere()
	args := make([]any, len(key))
	for i, k := range key {
		args[i] = k
	}
	rowName := col.name() + " row " + strings.Join(key, "/")
	resealed := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var sealed []byte
		err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE %s FOR UPDATE`, col.column, col.table, where), args...).Scan(&sealed)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && sealed == nil) {
			return nil // deleted (or cleared) since it was listed
		}
		if err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		id, err := secrets.SealedKeyID(sealed)
		if err != nil {
			return err
		}
		if id == primary {
			return nil // sealed again meanwhile, by a writer with the new key
		}
		plain, err := s.sealer.Open(sealed, col.aad(key))
		if err != nil {
			return fmt.Errorf("open (sealed with key %s): %w", id, err)
		}
		again, err := s.sealer.Seal(plain, col.aad(key))
		clear(plain)
		if err != nil {
			return fmt.Errorf("seal: %w", err)
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET %s = $%d WHERE %s`, col.table, col.column, len(key)+1, where),
			append(args, again)...); err != nil {
			return fmt.Errorf("update: %w", err)
		}
		resealed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("reseal %s: %w", rowName, err)
	}
	return resealed, nil
}

// SealedKeyCount is how many values of a sealed column are under one master key.
type SealedKeyCount struct {
	Column string // "table.column"
	KeyID  string // as secrets.KeyID computes it
	Rows   int
}

// SealedKeyCounts counts the sealed values of every sealed column by the master key
// they are under, by column then key id.
func (s *Store) SealedKeyCounts(ctx context.Context) ([]SealedKeyCount, error) {
	var out []SealedKeyCount
	for _, col := range sealedColumns {
		rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT encode(substring(%s from 2 for 8), 'hex') AS key_id, count(*)
			FROM %s WHERE %s IS NOT NULL GROUP BY key_id ORDER BY key_id`, col.column, col.table, col.column))
		if err != nil {
			return nil, fmt.Errorf("count keys of %s: %w", col.name(), err)
		}
		counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SealedKeyCount, error) {
			c := SealedKeyCount{Column: col.name()}
			err := r.Scan(&c.KeyID, &c.Rows)
			return c, err
		})
		if err != nil {
			return nil, fmt.Errorf("count keys of %s: %w", col.name(), err)
		}
		out = append(out, counts...)
	}
	return out, nil
}

// SealedRaw returns the sealed values of a column ("table.column") as stored, keyed
// by the row's key joined with "/", with the associated data each was sealed with.
// Tests use it to open every stored value with a keyring of their own.
func (s *Store) SealedRaw(ctx context.Context, column string) (map[string]SealedValue, error) {
	for _, col := range sealedColumns {
		if col.name() != column {
			continue
		}
		keyList := make([]string, len(col.keys))
		for i, k := range col.keys {
			keyList[i] = k + "::text"
		}
		rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT %s, %s FROM %s WHERE %s IS NOT NULL`,
			strings.Join(keyList, ", "), col.column, col.table, col.column))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", column, err)
		}
		out := map[string]SealedValue{}
		_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
			key := make([]string, len(col.keys))
			var sealed []byte
			dest := make([]any, 0, len(key)+1)
			for i := range key {
				dest = append(dest, &key[i])
			}
			if err := r.Scan(append(dest, &sealed)...); err != nil {
				return struct{}{}, err
			}
			out[strings.Join(key, "/")] = SealedValue{Sealed: sealed, AAD: col.aad(key)}
			return struct{}{}, nil
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", column, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s is not a sealed column", column)
}

// SealedValue is a sealed value as stored, with the associated data it opens with.
type SealedValue struct {
	Sealed []byte
	AAD    []byte
}
