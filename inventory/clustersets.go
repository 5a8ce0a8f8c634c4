package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

const clusterSetColumns = `s.id, s.name, l.name, s.spec, s.phase, s.phase_reason, s.created_by, s.created_at, s.updated_at,
	(SELECT pr.name FROM projects pr WHERE pr.id = s.project_id)`

const clusterSetFrom = ` FROM clustersets s JOIN clusters l ON l.id = s.leader_cluster_id`

func scanClusterSet(r pgx.Row) (domain.ClusterSet, error) {
	var s domain.ClusterSet
	err := r.Scan(&s.ID, &s.Name, &s.Leader, &s.Spec, &s.Phase, &s.PhaseReason, &s.CreatedBy, &s.CreatedAt, &s.UpdatedAt, &s.Project)
	s.Members = []domain.ClusterSetMember{}
	return s, err
}

// CreateClusterSet records a spec that passed validation and preflight as a Pending set
// whose clusters (the leader and the members) are Joining members, in one transaction. A
// live set of the same name is domain.ErrConflict; a cluster in a set already is a
// *domain.ClusterInSetError naming it and that set; a cluster that does not exist is
// domain.ErrNotFound. On any error nothing is written.
func (s *Store) CreateClusterSet(ctx context.Context, spec domain.ClusterSetSpec, actor string) (domain.ClusterSet, error) {
	id := uuid.NewString()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		ids, err := liveClusterIDs(ctx, tx, spec.Clusters())
		if err != nil {
			return err
		}
		// The set belongs to its leader's project (the API checks that its members do too).
		_, err = tx.Exec(ctx, `INSERT INTO clustersets (id, name, leader_cluster_id, spec, created_by, project_id)
			VALUES ($1, $2, $3, $4, $5, (SELECT project_id FROM clusters WHERE id = $3))`,
			id, spec.Name, ids[spec.Leader], spec, actor)
		if isPgCode(err, pgUniqueViolation) {
			return fmt.Errorf("clusterset %q exists: %w", spec.Name, domain.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("create clusterset %s: %w", spec.Name, err)
		}
		for _, name := range spec.Clusters() {
			if err := addMember(ctx, tx, id, ids[name], name, name == spec.Leader); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return domain.ClusterSet{}, err
	}
	return s.GetClusterSetByID(ctx, id)
}

// liveClusterIDs returns the ids of the live clusters named, by name; a missing one is
// domain.ErrNotFound.
func liveClusterIDs(ctx context.Context, q querier, names []string) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT name, id FROM clusters WHERE deleted_at IS NULL AND name = ANY($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("find clusters: %w", err)
	}
	ids := map[string]string{}
	for rows.Next() {
		var name, id string
		if err := rows.Scan(&name, &id); err != nil {
			return nil, fmt.Errorf("find clusters: %w", err)
		}
		ids[name] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find clusters: %w", err)
	}
	for _, n := range names {
		if ids[n] == "" {
			return nil, fmt.Errorf("cluster %s: %w", n, domain.ErrNotFound)
		}
	}
	return ids, nil
}

// addMember records cluster clusterID (named name) as a Joining member of set setID. A
// cluster that is a member of that set already is left as it is; one in another set is a
// *domain.ClusterInSetError.
func addMember(ctx context.Context, tx pgx.Tx, setID, clusterID, name string, leader bool) error {
	tag, err := tx.Exec(ctx, `INSERT INTO clusterset_members (clusterset_id, cluster_id, leader) VALUES ($1, $2, $3)
		ON CONFLICT (cluster_id) DO NOTHING`, setID, clusterID, leader)
	if err != nil {
		return fmt.Errorf("add member %s: %w", name, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var inSet, inSetID string
	err = tx.QueryRow(ctx, `SELECT s.name, s.id FROM clusterset_members m JOIN clustersets s ON s.id = m.clusterset_id
		WHERE m.cluster_id = $1`, clusterID).Scan(&inSet, &inSetID)
	if err != nil {
		return fmt.Errorf("add member %s: find its set: %w", name, err)
	}
	if inSetID == setID {
		return nil
	}
	return &domain.ClusterInSetError{Cluster: name, ClusterSet: inSet}
}

// GetClusterSet returns the live set named name with its members and active operation.
func (s *Store) GetClusterSet(ctx context.Context, name string) (domain.ClusterSet, error) {
	return s.getClusterSet(ctx, "clusterset "+name, `s.deleted_at IS NULL AND s.name = $1`, name)
}

// GetClusterSetByID returns a live or disbanded set by id, with its members.
func (s *Store) GetClusterSetByID(ctx context.Context, id string) (domain.ClusterSet, error) {
	return s.getClusterSet(ctx, "clusterset "+id, `s.id = $1`, id)
}

func (s *Store) getClusterSet(ctx context.Context, what, where string, arg any) (domain.ClusterSet, error) {
	set, err := scanClusterSet(s.pool.QueryRow(ctx, `SELECT `+clusterSetColumns+clusterSetFrom+` WHERE `+where, arg))
	if err != nil {
		return set, notFound(err, what)
	}
	sets := []domain.ClusterSet{set}
	err = s.attachMembers(ctx, sets)
	return sets[0], err
}

// ListClusterSets returns live sets in name order, a page at a time, with their members.
func (s *Store) ListClusterSets(ctx context.Context, page Page) ([]domain.ClusterSet, string, error) {
	return s.ListClusterSetsIn(ctx, nil, page)
}

// ListClusterSetsIn is ListClusterSets of the projects named (nil: every project).
func (s *Store) ListClusterSetsIn(ctx context.Context, projects []string, page Page) ([]domain.ClusterSet, string, error) {
	after, _, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := page.limit()
	var q query
	q.and("s.deleted_at IS NULL")
	if after.Name != "" {
		q.and("s.name > ?", after.Name)
	}
	if projects != nil {
		q.and("s.project_id IN (SELECT id FROM projects WHERE name = ANY(?))", projects)
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT `+clusterSetColumns+clusterSetFrom, "s.name", limit+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list clustersets: %w", err)
	}
	sets, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.ClusterSet, error) { return scanClusterSet(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list clustersets: %w", err)
	}
	sets, next := pageByName(sets, limit, func(c domain.ClusterSet) string { return c.Name })
	if err := s.attachMembers(ctx, sets); err != nil {
		return nil, "", err
	}
	return sets, next, nil
}

// attachMembers fills the Members (the leader first, then by name) and the active
// Operation of every set.
func (s *Store) attachMembers(ctx context.Context, sets []domain.ClusterSet) error {
	if len(sets) == 0 {
		return nil
	}
	ids := make([]string, len(sets))
	byID := make(map[string]*domain.ClusterSet, len(sets))
	for i := range sets {
		ids[i] = sets[i].ID
		byID[sets[i].ID] = &sets[i]
	}
	rows, err := s.pool.Query(ctx, `
		SELECT m.clusterset_id, c.name, c.id, m.leader, m.state, m.ready, m.message, m.gateway_active,
			m.gateway_candidates, m.imports, m.updated_at
		FROM clusterset_members m JOIN clusters c ON c.id = m.cluster_id
		WHERE m.clusterset_id = ANY($1) ORDER BY m.clusterset_id, m.leader DESC, c.name`, ids)
	if err != nil {
		return fmt.Errorf("list clusterset members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var setID string
		var m domain.ClusterSetMember
		if err := rows.Scan(&setID, &m.Cluster, &m.ClusterID, &m.Leader, &m.State, &m.Ready, &m.Message, &m.Gateway.Active,
			&m.Gateway.Candidates, &m.Imports, &m.UpdatedAt); err != nil {
			return fmt.Errorf("list clusterset members: %w", err)
		}
		set := byID[setID]
		set.Members = append(set.Members, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list clusterset members: %w", err)
	}
	return s.attachSetOperations(ctx, ids, byID)
}

// attachSetOperations sets each set's active operation, if it has one.
func (s *Store) attachSetOperations(ctx context.Context, ids []string, byID map[string]*domain.ClusterSet) error {
	rows, err := s.pool.Query(ctx, `SELECT target_id::text, `+operationColumns+` FROM operations
		WHERE target_kind = 'clusterset' AND target_id = ANY($1) AND state IN `+activeStates, ids)
	if err != nil {
		return fmt.Errorf("active operations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		op, err := scanOperation(prefixedRow{rows, &id})
		if err != nil {
			return fmt.Errorf("active operations: %w", err)
		}
		byID[id].Operation = &domain.ActiveOperation{ID: op.ID, Kind: op.Kind, State: op.State, Decision: op.Decision}
	}
	return rows.Err()
}

// SetClusterSetPhase records the phase of a set and why it is in it.
func (s *Store) SetClusterSetPhase(ctx context.Context, id, phase, reason string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE clustersets SET phase = $2, phase_reason = $3, updated_at = now() WHERE id = $1`, id, phase, reason)
	if err != nil {
		return fmt.Errorf("set phase of clusterset %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("clusterset %s: %w", id, domain.ErrNotFound)
	}
	return nil
}

// AddClusterSetMember records a joining cluster as a Joining member of a set and adds it,
// with the gateway nodes the request named (none: chosen for it), to the set's spec. A
// cluster that is a member already is left as it is; one in another set is a
// *domain.ClusterInSetError.
func (s *Store) AddClusterSetMember(ctx context.Context, setID, clusterID string, gateways []string) error {
	return s.changeSpec(ctx, setID, func(tx pgx.Tx, spec *domain.ClusterSetSpec) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM clusters WHERE id = $1`, clusterID).Scan(&name); err != nil {
			return notFound(err, "cluster "+clusterID)
		}
		if err := addMember(ctx, tx, setID, clusterID, name, false); err != nil {
			return err
		}
		if name != spec.Leader && !slices.Contains(spec.Members, name) {
			spec.Members = append(spec.Members, name)
		}
		if len(gateways) > 0 {
			if spec.Gateways == nil {
				spec.Gateways = map[string]domain.NodeList{}
			}
			spec.Gateways[name] = gateways
		}
		return nil
	})
}

// RemoveClusterSetMember removes a member from a set and from the set's spec; removing
// a cluster that is not a member is not an error. The leader leaves only with its set
// (DeleteClusterSet).
func (s *Store) RemoveClusterSetMember(ctx context.Context, setID, clusterID string) error {
	return s.changeSpec(ctx, setID, func(tx pgx.Tx, spec *domain.ClusterSetSpec) error {
		var name string
		err := tx.QueryRow(ctx, `DELETE FROM clusterset_members m USING clusters c
			WHERE c.id = m.cluster_id AND m.clusterset_id = $1 AND m.cluster_id = $2 AND NOT m.leader RETURNING c.name`,
			setID, clusterID).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("remove member %s: %w", clusterID, err)
		}
		spec.Members = slices.DeleteFunc(spec.Members, func(m string) bool { return m == name })
		delete(spec.Gateways, name)
		return nil
	})
}

// changeSpec runs fn on the spec of set setID in a transaction that holds the set's row,
// and stores the spec fn leaves.
func (s *Store) changeSpec(ctx context.Context, setID string, fn func(pgx.Tx, *domain.ClusterSetSpec) error) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var spec domain.ClusterSetSpec
		err := tx.QueryRow(ctx, `SELECT spec FROM clustersets WHERE id = $1 FOR UPDATE`, setID).Scan(&spec)
		if err != nil {
			return notFound(err, "clusterset "+setID)
		}
		if err := fn(tx, &spec); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE clustersets SET spec = $2, updated_at = now() WHERE id = $1`, setID, spec); err != nil {
			return fmt.Errorf("update clusterset %s: %w", setID, err)
		}
		return nil
	})
}

// SetClusterSetMemberState records the state of a member and a message about it.
func (s *Store) SetClusterSetMemberState(ctx context.Context, setID, clusterID, state, message string) error {
	return s.changeMember(ctx, setID, clusterID, `state = $3, message = $4`, state, message)
}

// RecordClusterSetMemberStatus records what an operation observed of a member: whether it
// is ready, its gateways and its imports.
func (s *Store) RecordClusterSetMemberStatus(ctx context.Context, setID, clusterID string, st domain.ClusterSetMemberStatus) error {
	candidates, imports := st.Gateway.Candidates, st.Imports
	if candidates == nil {
		candidates = []string{}
	}
	if imports == nil {
		imports = []string{}
	}
	return s.changeMember(ctx, setID, clusterID, `ready = $3, message = $4, gateway_active = $5, gateway_candidates = $6, imports = $7`,
		st.Ready, st.Message, st.Gateway.Active, candidates, imports)
}

// changeMember sets columns (SQL using $3 on) of one member; a missing member is
// domain.ErrNotFound.
func (s *Store) changeMember(ctx context.Context, setID, clusterID, set string, args ...any) error {
	tag, err := s.pool.Exec(ctx, `UPDATE clusterset_members SET `+set+`, updated_at = now()
		WHERE clusterset_id = $1 AND cluster_id = $2`, append([]any{setID, clusterID}, args...)...)
	if err != nil {
		return fmt.Errorf("update member %s of clusterset %s: %w", clusterID, setID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("member %s of clusterset %s: %w", clusterID, setID, domain.ErrNotFound)
	}
	return nil
}

// DeleteClusterSet records a disbanded set: its members are removed, so that their
// clusters may join another set, and its name is free. Repeating it is not an error.
func (s *Store) DeleteClusterSet(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM clusterset_members WHERE clusterset_id = $1`, id); err != nil {
			return fmt.Errorf("remove members of clusterset %s: %w", id, err)
		}
		_, err := tx.Exec(ctx, `UPDATE clustersets SET deleted_at = coalesce(deleted_at, now()), updated_at = now() WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete clusterset %s: %w", id, err)
		}
		return nil
	})
}

// DeleteClusterSetRecord removes a set's row and its members for good: only for a set
// whose forming never started.
func (s *Store) DeleteClusterSetRecord(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM clustersets WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete clusterset %s: %w", id, err)
	}
	return nil
}

// ClusterSetOf returns the set the cluster is in, or nil when it is in none.
func (s *Store) ClusterSetOf(ctx context.Context, clusterID string) (*domain.ClusterSetRef, error) {
	var ref domain.ClusterSetRef
	err := s.pool.QueryRow(ctx, `SELECT s.name, m.leader FROM clusterset_members m JOIN clustersets s ON s.id = m.clusterset_id
		WHERE m.cluster_id = $1`, clusterID).Scan(&ref.Name, &ref.Leader)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("clusterset of cluster %s: %w", clusterID, err)
	}
	return &ref, nil
}

// attachClusterSets sets the ClusterSet of every cluster that is in one.
func (s *Store) attachClusterSets(ctx context.Context, ids []string, byID map[string]*domain.Cluster) error {
	rows, err := s.pool.Query(ctx, `SELECT m.cluster_id::text, s.name, m.leader
		FROM clusterset_members m JOIN clustersets s ON s.id = m.clusterset_id WHERE m.cluster_id = ANY($1)`, ids)
	if err != nil {
		return fmt.Errorf("clustersets of clusters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var ref domain.ClusterSetRef
		if err := rows.Scan(&id, &ref.Name, &ref.Leader); err != nil {
			return fmt.Errorf("clustersets of clusters: %w", err)
		}
		byID[id].ClusterSet = &ref
	}
	return rows.Err()
}

// SetClusterSetMemberGateway records a member's active Gateway and candidates, as a
// Day-2 operation moved them off nodes that drain or go.
func (s *Store) SetClusterSetMemberGateway(ctx context.Context, setID, clusterID string, gw domain.MemberGateway) error {
	candidates := gw.Candidates
	if candidates == nil {
		candidates = []string{}
	}
	return s.changeMember(ctx, setID, clusterID, `gateway_active = $3, gateway_candidates = $4`, gw.Active, candidates)
}
