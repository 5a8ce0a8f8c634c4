package domain

import (
	"fmt"
	"strings"
)

// GroupRole is one entry of the single sign-on group mapping: members of Group hold Role
// in Project, or over every project when Project is AllowAll ("*").
type GroupRole struct {
	Group   string
	Project string
	Role    Role
}

// GroupRoles maps the groups of a person's sign-in to project roles (the oidc-group-roles
// setting).
type GroupRoles []GroupRole

// ParseGroupRoles reads entries "group=project:role", separated by commas or white space,
// e.g. "platform-admins=*:admin,team-a=team-a:operator". A project of "*" is a role over
// every project.
func ParseGroupRoles(s string) (GroupRoles, error) {
	var out GroupRoles
	for _, entry := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		group, rest, ok := strings.Cut(entry, "=")
		project, role, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || group == "" || project == "" {
			return nil, fmt.Errorf("group role %q: want group=project:role, e.g. team-a=team-a:operator or admins=*:admin", entry)
		}
		r, err := ParseRole(role)
		if err != nil {
			return nil, fmt.Errorf("group role %q: %w", entry, err)
		}
		if project != AllowAll && !ValidName(project) {
			return nil, fmt.Errorf("group role %q: project %q is not a project name (or *)", entry, project)
		}
		out = append(out, GroupRole{Group: group, Project: project, Role: r})
	}
	return out, nil
}

// Grant returns the roles the groups give: by project name, with the key AllowAll for a
// role over every project; the highest role when several groups name the same project.
func (g GroupRoles) Grant(groups []string) map[string]Role {
	in := map[string]bool{}
	for _, name := range groups {
		in[name] = true
	}
	out := map[string]Role{}
	for _, e := range g {
		if in[e.Group] && e.Role.rank() > out[e.Project].rank() {
			out[e.Project] = e.Role
		}
	}
	return out
}

// String writes the mapping back in the form ParseGroupRoles reads.
func (g GroupRoles) String() string {
	parts := make([]string, len(g))
	for i, e := range g {
		parts[i] = e.Group + "=" + e.Project + ":" + string(e.Role)
	}
	return strings.Join(parts, ",")
}

// HighestRole is the most powerful role of roles ("" when none).
func HighestRole(roles map[string]Role) Role {
	var best Role
	for _, r := range roles {
		if r.rank() > best.rank() {
			best = r
		}
	}
	return best
}
