package domain

import (
	"slices"
	"time"
)

// Principal is who makes a request: an API token, or a person signed in through single
// sign-on (by a session or by a personal token that `cwctl login` keeps). What it may do
// depends on the project of what it acts on: its platform role holds in every project;
// otherwise it holds the role its membership gives it in that project, and nothing in a
// project it is no member of (whose objects it does not see at all).
type Principal struct {
	// Kind is MemberToken for an automation token, MemberPerson for a person.
	Kind string `json:"kind"`
	// Name is what the audit log and the access log show as the actor: the token's name,
	// or the person's e-mail (their subject when they have none).
	Name string `json:"name"`
	// Subject is the person's sign-in subject (OIDC "sub"); for a token, its name.
	Subject string `json:"subject"`
	// Email is the person's e-mail from their sign-in, if any.
	Email string `json:"email,omitempty"`
	// Platform is the role held over every project ("" for none): a platform admin's
	// admin, or the role of a platform-wide token.
	Platform Role `json:"platform_role,omitempty"`
	// Projects are the projects the principal is a member of, by name, with its role.
	Projects map[string]Role `json:"projects"`
	// TokenProject is the project of a project token: it acts only inside it, whatever
	// else it would be allowed.
	TokenProject string `json:"token_project,omitempty"`
	// ExpiresAt is when the token or session stops being accepted; nil for never.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// RoleIn returns the role the principal holds in the project named project, or "" when
// it may not see that project at all.
func (p Principal) RoleIn(project string) Role {
	if p.TokenProject != "" && project != p.TokenProject {
		return ""
	}
	best := p.Platform
	if r := p.Projects[project]; r.rank() > best.rank() {
		best = r
	}
	return best
}

// Sees reports whether the principal may see the objects of the project named project.
func (p Principal) Sees(project string) bool { return p.RoleIn(project) != "" }

// IsPlatformAdmin reports whether the principal is an administrator of the whole
// platform: vCenters, IP pools, projects, platform tokens.
func (p Principal) IsPlatformAdmin() bool { return p.TokenProject == "" && p.Platform == RoleAdmin }

// SeesAll reports whether the principal sees every project (a platform role).
func (p Principal) SeesAll() bool { return p.TokenProject == "" && p.Platform != "" }

// MaxRole is the highest role the principal holds anywhere; it decides routes that act
// on no one project (reading vCenters, say) and answers a route it can use nowhere with
// 403 before anything is looked up.
func (p Principal) MaxRole() Role {
	best := p.Platform
	if p.TokenProject != "" {
		best = ""
	}
	for name, r := range p.Projects {
		if p.TokenProject != "" && name != p.TokenProject {
			continue
		}
		if r.rank() > best.rank() {
			best = r
		}
	}
	return best
}

// VisibleProjects returns the names of the projects the principal sees, sorted, and
// all=true when it sees every project (then names is nil).
func (p Principal) VisibleProjects() (names []string, all bool) {
	if p.SeesAll() {
		return nil, true
	}
	for name := range p.Projects {
		if p.Sees(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if names == nil {
		names = []string{}
	}
	return names, false
}

// ProjectsWith returns the projects in which the principal holds at least role min,
// sorted; all=true when its platform role allows min everywhere.
func (p Principal) ProjectsWith(min Role) (names []string, all bool) {
	if p.SeesAll() && p.Platform.Allows(min) {
		return nil, true
	}
	for name := range p.Projects {
		if p.RoleIn(name).Allows(min) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, false
}
