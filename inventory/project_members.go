package inventory

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// SetProjectMember gives a member (validated with ProjectMember.Validate) its role in the
// live project named project: added, or its role changed. It returns the project as it
// now is.
func (s *Store) SetProjectMember(ctx context.Context, project string, m domain.ProjectMember) (domain.Project, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		id, err := lockLiveProject(ctx, tx, project)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO project_members (project_id, kind, subject, role) VALUES ($1, $2, $3, $4)
			ON CONFLICT (project_id, kind, subject) DO UPDATE SET role = excluded.role`,
			id, m.Kind, m.Subject, string(m.Role))
		if err != nil {
			return err
		}
		return touchProject(ctx, tx, id)
	})
	if err != nil {
		return domain.Project{}, fmt.Errorf("set member %s %q of project %s: %w", m.Kind, m.Subject, project, err)
	}
	return s.GetProject(ctx, project)
}

// RemoveProjectMember takes the member of kind and subject out of the live project named
// project. A member that is not in it is domain.ErrNotFound.
func (s *Store) RemoveProjectMember(ctx context.Context, project, kind, subject string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		id, err := lockLiveProject(ctx, tx, project)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM project_members WHERE project_id = $1 AND kind = $2 AND subject = $3`, id, kind, subject)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("no such member: %w", domain.ErrNotFound)
		}
		return touchProject(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("remove member %s %q of project %s: %w", kind, subject, project, err)
	}
	return nil
}

// ProjectMemberships returns the live projects that the member of kind and subject
// belongs to, by project name, with its role in each.
func (s *Store) ProjectMemberships(ctx context.Context, kind, subject string) ([]domain.ProjectMembership, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.name, m.role FROM project_members m JOIN projects p ON p.id = m.project_id
		WHERE m.kind = $1 AND m.subject = $2 AND p.deleted_at IS NULL ORDER BY p.name`, kind, subject)
	if err != nil {
		return nil, fmt.Errorf("projects of %s %q: %w", kind, subject, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.ProjectMembership, error) {
		var m domain.ProjectMembership
		var role string
		err := r.Scan(&m.Project, &role)
		m.Role = domain.Role(role)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("projects of %s %q: %w", kind, subject, err)
	}
	return out, nil
}

// lockLiveProject returns the id of the live project named name, holding its row until
// the transaction ends.
func lockLiveProject(ctx context.Context, tx pgx.Tx, name string) (string, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM projects WHERE deleted_at IS NULL AND name = $1 FOR UPDATE`, name).Scan(&id)
	if err != nil {
		return "", notFound(err, "project "+name)
	}
	return id, nil
}

func touchProject(ctx context.Context, tx pgx.Tx, id string) error {
	_, err := tx.Exec(ctx, `UPDATE projects SET updated_at = now() WHERE id = $1`, id)
	return err
}

// setMembers makes the members of project id exactly members: others are removed, new
// ones added, and the roles of the rest set.
func setMembers(ctx context.Context, tx pgx.Tx, id string, members []domain.ProjectMember) error {
	kinds := make([]string, len(members))
	subjects := make([]string, len(members))
	roles := make([]string, len(members))
	for i, m := range members {
		kinds[i], subjects[i], roles[i] = m.Kind, m.Subject, string(m.Role)
	}
	_, err := tx.Exec(ctx, `DELETE FROM project_members WHERE project_id = $1
		AND (kind, subject) NOT IN (SELECT k, s FROM unnest($2::text[], $3::text[]) AS m(k, s))`, id, kinds, subjects)
	if err != nil {
		return fmt.Errorf("remove members: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO project_members (project_id, kind, subject, role)
		SELECT $1, k, s, r FROM unnest($2::text[], $3::text[], $4::text[]) AS m(k, s, r)
		ON CONFLICT (project_id, kind, subject) DO UPDATE SET role = excluded.role`, id, kinds, subjects, roles)
	if err != nil {
		return fmt.Errorf("set members: %w", err)
	}
	return nil
}

// attachMembers fills the Members of every project, in kind and subject order, with one
// query.
func attachMembers(ctx context.Context, q querier, projects []domain.Project) error {
	if len(projects) == 0 {
		return nil
	}
	ids := make([]string, len(projects))
	byID := make(map[string]*domain.Project, len(projects))
	for i := range projects {
		ids[i] = projects[i].ID
		byID[projects[i].ID] = &projects[i]
	}
	rows, err := q.Query(ctx, `SELECT project_id, kind, subject, role FROM project_members
		WHERE project_id = ANY($1) ORDER BY project_id, kind, subject`, ids)
	if err != nil {
		return fmt.Errorf("list project members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, role string
		var m domain.ProjectMember
		if err := rows.Scan(&id, &m.Kind, &m.Subject, &role); err != nil {
			return fmt.Errorf("list project members: %w", err)
		}
		m.Role = domain.Role(role)
		p := byID[id]
		p.Members = append(p.Members, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list project members: %w", err)
	}
	return nil
}
