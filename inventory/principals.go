package inventory

import (
	"context"
	"fmt"

	"github.com/clusterwright/clusterwright/domain"
)

// TokenPrincipal returns who token t is: a person's own token acts as that person (see
// PersonPrincipal, with the roles their groups gave them when they signed in for it, as
// `cwctl login` records); a project token
// acts only inside its project, with its role; a platform-wide token holds its role in
// every project, and whatever project memberships name it.
func (s *Store) TokenPrincipal(ctx context.Context, t domain.APIToken) (domain.Principal, error) {
	if t.Owner != "" {
		granted, err := s.tokenGrants(ctx, t.ID)
		if err != nil {
			return domain.Principal{}, err
		}
		p, err := s.PersonPrincipal(ctx, t.Owner, t.OwnerEmail, granted)
		p.ExpiresAt = t.ExpiresAt
		return p, err
	}
	p := domain.Principal{Kind: domain.MemberToken, Name: t.Name, Subject: t.Name, Projects: map[string]domain.Role{}, ExpiresAt: t.ExpiresAt}
	if t.Project != "" {
		p.TokenProject = t.Project
		p.Projects[t.Project] = t.Role
		return p, nil
	}
	p.Platform = t.Role
	err := s.addMemberships(ctx, &p, domain.MemberToken, t.Name)
	return p, err
}

// PersonPrincipal returns who the person signed in as subject (with email) is: their
// project memberships, and granted, the roles their sign-in's groups map to (a project
// name to a role; the key "*" is a role over every project, e.g. platform admin).
func (s *Store) PersonPrincipal(ctx context.Context, subject, email string, granted map[string]domain.Role) (domain.Principal, error) {
	name := email
	if name == "" {
		name = subject
	}
	p := domain.Principal{Kind: domain.MemberPerson, Name: name, Subject: subject, Email: email, Projects: map[string]domain.Role{}}
	for project, role := range granted {
		if project == domain.AllowAll {
			p.Platform = higher(p.Platform, role)
			continue
		}
		p.Projects[project] = higher(p.Projects[project], role)
	}
	err := s.addMemberships(ctx, &p, domain.MemberPerson, subject)
	return p, err
}

func (s *Store) addMemberships(ctx context.Context, p *domain.Principal, kind, subject string) error {
	ms, err := s.ProjectMemberships(ctx, kind, subject)
	if err != nil {
		return err
	}
	for _, m := range ms {
		p.Projects[m.Project] = higher(p.Projects[m.Project], m.Role)
	}
	return nil
}

// higher returns the more powerful of two roles.
func higher(a, b domain.Role) domain.Role {
	if b.Allows(a) {
		return b
	}
	return a
}

// ClusterProjects returns the project name of each cluster of ids that exists (deleted
// ones included: their records keep their project), by cluster id.
func (s *Store) ClusterProjects(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT c.id::text, p.name FROM clusters c JOIN projects p ON p.id = c.project_id
		WHERE c.id::text = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("projects of clusters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, project string
		if err := rows.Scan(&id, &project); err != nil {
			return nil, fmt.Errorf("projects of clusters: %w", err)
		}
		out[id] = project
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("projects of clusters: %w", err)
	}
	return out, nil
}
