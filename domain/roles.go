package domain

import "fmt"

// Role is what an API token may do.
type Role string

// The roles, from most to least powerful.
const (
	RoleAdmin    Role = "admin"    // everything, including tokens, kubeconfigs and vCenter registration
	RoleOperator Role = "operator" // create and change clusters, run operations
	RoleViewer   Role = "viewer"   // read only
)

// ParseRole returns the Role named s or an error.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleOperator, RoleViewer:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (want admin, operator or viewer)", s)
}

func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleOperator:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Allows reports whether a token of role r may do what needs role min.
func (r Role) Allows(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }
