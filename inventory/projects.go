package inventory

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// DefaultProjectID is the fixed id of the default project (domain.DefaultProject), which
// migration 012 creates and which clusters and ClusterSets inserted without a project
// belong to (the DEFAULT of their project_id).
const DefaultProjectID = "00000000-0000-0000-0000-000000000001"

const projectColumns = `p.id, p.name, p.description, p.quota_clusters, p.quota_vcpus, p.quota_memory_mib, p.quota_disk_gib,
	p.quota_nodes, p.vcenters, p.ip_pools, p.placements, p.created_by, p.created_at, p.updated_at`

func scanProject(r pgx.Row) (domain.Project, error) {
	var p domain.Project
	q := &p.Quotas
	err := r.Scan(&p.ID, &p.Name, &p.Description, &q.Clusters, &q.VCPUs, &q.MemoryMiB, &q.DiskGiB, &q.Nodes,
		&p.VCenters, &p.IPPools, &p.Placements, &p.CreatedBy, &p.CreatedAt, &p.UpdatedAt)
	p.Members = []domain.ProjectMember{}
	return p, err
}

// CreateProject stores a project that passed ProjectInput.Validate, with its members, in
// one transaction. A live project of the same name is domain.ErrConflict; a vCenter or
// IP pool that is not registered is a *domain.ValidationError naming the entry.
func (s *Store) CreateProject(ctx context.Context, in domain.ProjectInput, actor string) (domain.Project, error) {
	id := uuid.NewString()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkProjectReferences(ctx, tx, &in.VCenters, &in.IPPools, &in.Placements); err != nil {
			return err
		}
		q := in.Quotas
		_, err := tx.Exec(ctx, `INSERT INTO projects (id, name, description, quota_clusters, quota_vcpus, quota_memory_mib,
			quota_disk_gib, quota_nodes, vcenters, ip_pools, placements, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			id, in.Name, in.Description, q.Clusters, q.VCPUs, q.MemoryMiB, q.DiskGiB, q.Nodes,
			nonNil(in.VCenters), nonNil(in.IPPools), nonNil(in.Placements), actor)
		if isPgCode(err, pgUniqueViolation) {
			return fmt.Errorf("project %q exists: %w", in.Name, domain.ErrConflict)
		}
		if err != nil {
			return err
		}
		return setMembers(ctx, tx, id, in.Members)
	})
	if err != nil {
		return domain.Project{}, fmt.Errorf("create project %s: %w", in.Name, err)
	}
	return s.GetProject(ctx, in.Name)
}

// GetProject returns the live project named name with its members.
func (s *Store) GetProject(ctx context.Context, name string) (domain.Project, error) {
	return getProject(ctx, s.pool, name, "")
}

// getProject reads the live project named name with its members; lock, if not empty,
// is a locking clause such as "FOR UPDATE".
func getProject(ctx context.Context, q querier, name, lock string) (domain.Project, error) {
	p, err := scanProject(q.QueryRow(ctx, `SELECT `+projectColumns+` FROM projects p
		WHERE p.deleted_at IS NULL AND p.name = $1 `+lock, name))
	if err != nil {
		return p, notFound(err, "project "+name)
	}
	list := []domain.Project{p}
	if err := attachMembers(ctx, q, list); err != nil {
		return p, err
	}
	return list[0], nil
}

// ListProjects returns live projects in name order, a page at a time, with their members.
func (s *Store) ListProjects(ctx context.Context, page Page) ([]domain.Project, string, error) {
	return s.ListProjectsIn(ctx, nil, page)
}

// ListProjectsIn is ListProjects of the projects named only (nil: every project).
func (s *Store) ListProjectsIn(ctx context.Context, names []string, page Page) ([]domain.Project, string, error) {
	after, _, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var q query
	q.and("p.deleted_at IS NULL")
	if after.Name != "" {
		q.and("p.name > ?", after.Name)
	}
	if names != nil {
		q.and("p.name = ANY(?)", names)
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT `+projectColumns+` FROM projects p`, "p.name", page.limit()+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list projects: %w", err)
	}
	projects, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Project, error) { return scanProject(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list projects: %w", err)
	}
	projects, next := pageByName(projects, page.limit(), func(p domain.Project) string { return p.Name })
	if err := attachMembers(ctx, s.pool, projects); err != nil {
		return nil, "", err
	}
	return projects, next, nil
}

// PatchProject applies patch to the live project named name under a row lock and returns
// the project as it now is. A bad patch is a *domain.ValidationError (see
// domain.ProjectPatch.Apply), and so is a vCenter or IP pool the patch names that is not
// registered (entries the patch does not give are not checked again).
func (s *Store) PatchProject(ctx context.Context, name string, patch domain.ProjectPatch) (domain.Project, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := getProject(ctx, tx, name, "FOR UPDATE OF p")
		if err != nil {
			return err
		}
		in, err := patch.Apply(cur)
		if err != nil {
			return err
		}
		if err := checkProjectReferences(ctx, tx, patchList(patch.VCenters, &in.VCenters), patchList(patch.IPPools, &in.IPPools),
			patchList(patch.Placements, &in.Placements)); err != nil {
			return err
		}
		q := in.Quotas
		_, err = tx.Exec(ctx, `UPDATE projects SET description = $2, quota_clusters = $3, quota_vcpus = $4,
			quota_memory_mib = $5, quota_disk_gib = $6, quota_nodes = $7, vcenters = $8, ip_pools = $9, placements = $10,
			updated_at = now() WHERE id = $1`,
			cur.ID, in.Description, q.Clusters, q.VCPUs, q.MemoryMiB, q.DiskGiB, q.Nodes,
			nonNil(in.VCenters), nonNil(in.IPPools), nonNil(in.Placements))
		if err != nil {
			return err
		}
		if patch.Members != nil {
			return setMembers(ctx, tx, cur.ID, in.Members)
		}
		return nil
	})
	if err != nil {
		return domain.Project{}, fmt.Errorf("change project %s: %w", name, err)
	}
	return s.GetProject(ctx, name)
}

// patchList returns the list of the patched input to check when the patch gives it, else nil.
func patchList[T any](given *[]T, list *[]T) *[]T {
	if given == nil {
		return nil
	}
	return list
}

// DeleteProject deletes the live project named name and its members. The default project
// is domain.ErrDefaultProject; a project that still holds live clusters or ClusterSets is
// a *domain.ProjectInUseError (both wrap domain.ErrConflict). The project's row stays, as
// deleted, for the records of its deleted clusters; its name can be used again.
func (s *Store) DeleteProject(ctx context.Context, name string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `SELECT id FROM projects WHERE deleted_at IS NULL AND name = $1 FOR UPDATE`, name).Scan(&id)
		if err != nil {
			return notFound(err, "project "+name)
		}
		if id == DefaultProjectID {
			return domain.ErrDefaultProject
		}
		// The row lock makes a concurrent insert into the project wait (see migration
		// 012's project_must_be_live); what committed before is counted here.
		inUse := domain.ProjectInUseError{Project: name}
		err = tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM clusters WHERE project_id = $1 AND deleted_at IS NULL),
			(SELECT count(*) FROM clustersets WHERE project_id = $1 AND deleted_at IS NULL)`, id).
			Scan(&inUse.Clusters, &inUse.ClusterSets)
		if err != nil {
			return fmt.Errorf("count what the project holds: %w", err)
		}
		if inUse.Clusters > 0 || inUse.ClusterSets > 0 {
			return &inUse
		}
		if _, err := tx.Exec(ctx, `DELETE FROM project_members WHERE project_id = $1`, id); err != nil {
			return fmt.Errorf("remove members: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE projects SET deleted_at = now(), updated_at = now() WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete project %s: %w", name, err)
	}
	return nil
}

// checkProjectReferences checks that every vCenter and IP pool a project names (apart
// from "*") is registered; a nil list is not checked. Unknown ones are a
// *domain.ValidationError naming each entry.
func checkProjectReferences(ctx context.Context, q querier, vcenters, ipPools *[]string, places *[]domain.PlacementScope) error {
	var v domain.ValidationError
	var vcNames, poolNames []string
	if vcenters != nil {
		vcNames = append(vcNames, *vcenters...)
	}
	if places != nil {
		for _, p := range *places {
			vcNames = append(vcNames, p.VCenter)
		}
	}
	if ipPools != nil {
		poolNames = *ipPools
	}
	knownVC, err := existingNames(ctx, q, `SELECT name FROM vcenters WHERE name = ANY($1)`, vcNames)
	if err != nil {
		return fmt.Errorf("look up vcenters: %w", err)
	}
	knownPool, err := existingNames(ctx, q, `SELECT name FROM ip_pools WHERE name = ANY($1)`, poolNames)
	if err != nil {
		return fmt.Errorf("look up ip pools: %w", err)
	}
	if vcenters != nil {
		for i, n := range *vcenters {
			if n != domain.AllowAll && !knownVC[n] {
				v.Add(fmt.Sprintf("vcenters[%d]", i), "no vCenter named %q is registered", n)
			}
		}
	}
	if places != nil {
		for i, p := range *places {
			if p.VCenter != domain.AllowAll && !knownVC[p.VCenter] {
				v.Add(fmt.Sprintf("placements[%d].vcenter", i), "no vCenter named %q is registered", p.VCenter)
			}
		}
	}
	for i, n := range poolNames {
		if n != domain.AllowAll && !knownPool[n] {
			v.Add(fmt.Sprintf("ip_pools[%d]", i), "no IP pool named %q exists", n)
		}
	}
	return v.Err()
}

// existingNames runs sql, which selects the names among $1 that exist, and returns them
// as a set.
func existingNames(ctx context.Context, q querier, sql string, names []string) (map[string]bool, error) {
	known := map[string]bool{}
	if len(names) == 0 {
		return known, nil
	}
	rows, err := q.Query(ctx, sql, names)
	if err != nil {
		return nil, err
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, n := range found {
		known[n] = true
	}
	return known, err
}

// nonNil returns list, or an empty list for nil, so that the column gets '{}' or '[]'
// rather than NULL.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
