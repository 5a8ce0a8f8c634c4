package domain

import (
	"fmt"
	"time"
)

// DefaultProject is the name of the project that every cluster and ClusterSet created
// before projects existed belongs to, and that a request naming no project uses. It
// allows every vCenter, IP pool and placement, has no quota, and cannot be deleted.
const DefaultProject = "default"

// AllowAll is the list entry that allows every vCenter or IP pool, and the field value of
// a PlacementScope that matches any value. It cannot be a resource name (names are DNS
// labels), so it never collides with one.
const AllowAll = "*"

// Kinds of project members.
const (
	// MemberPerson is a person, named by the subject of their sign-in (OIDC "sub").
	MemberPerson = "person"
	// MemberToken is an API token, named by its token name.
	MemberToken = "token"
)

// MaxDescription bounds a project's description, in bytes.
const MaxDescription = 1024

// MaxSubject bounds a member's subject, in bytes.
const MaxSubject = 255

// Project is a team's share of the platform: who may do what in it (Members), how much
// it may take (Quotas), and which vCenters, IP pools and placements its clusters may use.
// Every cluster and ClusterSet belongs to exactly one project.
//
// The allow-lists are explicit: an empty list allows nothing, and the entry "*"
// (AllowAll), alone, allows everything. The default project allows everything.
type Project struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Members     []ProjectMember `json:"members"`
	Quotas      Quotas          `json:"quotas"`
	// VCenters are the names of the vCenters the project's clusters may be placed on.
	VCenters []string `json:"vcenters"`
	// IPPools are the names of the IP pools the project's nodes may take addresses from.
	IPPools []string `json:"ip_pools"`
	// Placements are the compute clusters the project's VMs may be placed on.
	Placements []PlacementScope `json:"placements"`
	CreatedBy  string           `json:"created_by,omitempty"`
	CreatedAt  time.Time        `json:"created_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
}

// ProjectMember gives a person or an API token a role inside one project.
type ProjectMember struct {
	// Subject names the member: a person's sign-in subject, or a token's name.
	Subject string `json:"subject"`
	// Kind is MemberPerson or MemberToken; empty in a request means MemberPerson.
	Kind string `json:"kind"`
	Role Role   `json:"role"`
}

// Quotas cap what a project's clusters may take, summed over the project. A nil field
// (null, or left out of a request) is unlimited; zero allows none. Replies write every
// field, null for no limit.
type Quotas struct {
	Clusters  *int64 `json:"clusters"`
	VCPUs     *int64 `json:"vcpus"`
	MemoryMiB *int64 `json:"memory_mib"`
	DiskGiB   *int64 `json:"disk_gib"`
	Nodes     *int64 `json:"nodes"`
}

// PlacementScope is one place a project's VMs may go: a compute cluster of a datacenter
// of a vCenter. Each field is a name or "*" (AllowAll), which matches any.
type PlacementScope struct {
	VCenter        string `json:"vcenter"`
	Datacenter     string `json:"datacenter"`
	ComputeCluster string `json:"compute_cluster"`
}

// String writes the scope as vcenter/datacenter/compute_cluster, for messages.
func (p PlacementScope) String() string {
	return fmt.Sprintf("%s/%s/%s", p.VCenter, p.Datacenter, p.ComputeCluster)
}

// Matches reports whether a cluster on vcenter with placement pl lies in the scope.
func (p PlacementScope) Matches(vcenter string, pl Placement) bool {
	match := func(pattern, value string) bool { return pattern == AllowAll || pattern == value }
	return match(p.VCenter, vcenter) && match(p.Datacenter, pl.Datacenter) && match(p.ComputeCluster, pl.ComputeCluster)
}

// AllowsVCenter reports whether the project's clusters may use the vCenter named name.
func (p Project) AllowsVCenter(name string) bool { return allows(p.VCenters, name) }

// AllowsIPPool reports whether the project's nodes may take addresses from the IP pool
// named name.
func (p Project) AllowsIPPool(name string) bool { return allows(p.IPPools, name) }

// AllowsPlacement reports whether the project's clusters may be placed on vcenter at pl.
func (p Project) AllowsPlacement(vcenter string, pl Placement) bool {
	for _, s := range p.Placements {
		if s.Matches(vcenter, pl) {
			return true
		}
	}
	return false
}

// MemberRole returns the role the member of kind and subject has in the project, or ""
// when it is no member.
func (p Project) MemberRole(kind, subject string) Role {
	for _, m := range p.Members {
		if m.Kind == kind && m.Subject == subject {
			return m.Role
		}
	}
	return ""
}

func allows(list []string, name string) bool {
	for _, e := range list {
		if e == AllowAll || e == name {
			return true
		}
	}
	return false
}

// DefaultProjectInput is the default project as the migration that introduced projects
// creates it: every vCenter, IP pool and placement, no quota, no members.
func DefaultProjectInput() ProjectInput {
	return ProjectInput{
		Name:        DefaultProject,
		Description: "Clusters and ClusterSets that existed before projects, and those created without a project.",
		Members:     []ProjectMember{},
		VCenters:    []string{AllowAll},
		IPPools:     []string{AllowAll},
		Placements:  []PlacementScope{{VCenter: AllowAll, Datacenter: AllowAll, ComputeCluster: AllowAll}},
	}
}

// ProjectMembership is one project a member belongs to, with the role it has there.
type ProjectMembership struct {
	Project string `json:"project"`
	Role    Role   `json:"role"`
}
