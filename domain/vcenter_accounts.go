package domain

import (
	"errors"
	"fmt"
	"strings"
)

// ClusterAccountInput is the vCenter account that workload clusters' vSphere CPI and CSI
// drivers log in with: it needs the CNS and read privileges of the vSphere CSI driver's
// documented roles and must not hold the service's VM provisioning privileges. Password
// is a secret, sealed like the service's.
type ClusterAccountInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// ClusterAccount is the cluster account as the API shows it: its user name only.
type ClusterAccount struct {
	Username string `json:"username"`
}

// validate checks the account; service is the service account's user name, which the
// cluster account must not be.
func (c *ClusterAccountInput) validate(v *ValidationError, service string) {
	switch u := strings.TrimSpace(c.Username); {
	case u == "":
		v.Add("cluster_credentials.username", "is required")
	case strings.EqualFold(u, strings.TrimSpace(service)):
		v.Add("cluster_credentials.username", "must differ from username: clusters must not get the service's account (set share_service_account_with_clusters instead to share it on purpose)")
	}
	if c.Password == "" {
		v.Add("cluster_credentials.password", "is required")
	}
}

// VCenterPatch is the body of PATCH /api/v1/vcenters/{name}: each field given replaces
// the registration's. Passwords are secrets, as in VCenterInput.
type VCenterPatch struct {
	Password   *string `json:"password,omitempty"`
	Insecure   *bool   `json:"insecure,omitempty"`
	Thumbprint *string `json:"thumbprint,omitempty"`
	// ClusterCredentials sets the clusters' account: a new one (user name and password),
	// or a new password of the registered one (the user name may be left out). Giving
	// one ends sharing the service account.
	ClusterCredentials *ClusterAccountPatch `json:"cluster_credentials,omitempty"`
	// ShareServiceAccountWithClusters may be set while there is no cluster account.
	ShareServiceAccountWithClusters *bool `json:"share_service_account_with_clusters,omitempty"`
}

// ClusterAccountPatch changes the cluster account.
type ClusterAccountPatch struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password"`
}

// Empty reports whether the patch changes nothing.
func (p VCenterPatch) Empty() bool {
	return p.Password == nil && p.Insecure == nil && p.Thumbprint == nil && p.ClusterCredentials == nil &&
		p.ShareServiceAccountWithClusters == nil
}

// ChangesService reports whether the service account's login must be checked again.
func (p VCenterPatch) ChangesService() bool {
	return p.Password != nil || p.Insecure != nil || p.Thumbprint != nil
}

// Apply validates the patch against the registration cur and returns the registration
// it makes (cur's passwords are not known here: the caller fills them in). A patch that
// names no field, or a bad one, is a *ValidationError naming each bad field.
func (p VCenterPatch) Apply(cur VCenter) (VCenterInput, error) {
	var v ValidationError
	if p.Empty() {
		v.Add("body", "names no field to change (password, insecure, thumbprint, cluster_credentials, share_service_account_with_clusters)")
		return VCenterInput{}, v.Err()
	}
	out := VCenterInput{Name: cur.Name, Server: cur.Server, Username: cur.Username, Insecure: cur.Insecure,
		Thumbprint: cur.Thumbprint, ShareServiceAccountWithClusters: cur.ShareServiceAccountWithClusters}
	if p.Password != nil {
		if *p.Password == "" {
			v.Add("password", "must not be empty")
		}
		out.Password = *p.Password
	}
	if p.Insecure != nil {
		out.Insecure = *p.Insecure
	}
	if p.Thumbprint != nil {
		out.Thumbprint = *p.Thumbprint
		if out.Thumbprint != "" && !thumbprintRE.MatchString(out.Thumbprint) {
			v.Add("thumbprint", "must be a SHA-1 or SHA-256 fingerprint as colon-separated hex pairs")
		}
	}
	if cur.ClusterCredentials != nil {
		out.ClusterCredentials = &ClusterAccountInput{Username: cur.ClusterCredentials.Username}
	}
	if c := p.ClusterCredentials; c != nil {
		name := c.Username
		if name == "" && cur.ClusterCredentials != nil {
			name = cur.ClusterCredentials.Username
		}
		out.ClusterCredentials = &ClusterAccountInput{Username: name, Password: c.Password}
		out.ClusterCredentials.validate(&v, cur.Username)
		out.ShareServiceAccountWithClusters = false
	}
	if s := p.ShareServiceAccountWithClusters; s != nil {
		switch {
		case *s && out.ClusterCredentials != nil:
			v.Add("share_service_account_with_clusters", "must be false while the vCenter has a cluster account (%s)", out.ClusterCredentials.Username)
		case !*s && out.ClusterCredentials == nil && cur.ShareServiceAccountWithClusters:
			v.Add("share_service_account_with_clusters", "can stop only with cluster_credentials: the clusters hold the service account until they get another")
		default:
			out.ShareServiceAccountWithClusters = *s
		}
	}
	return out, v.Err()
}

// VCenterWarnings are what GET /api/v1/vcenters shows about a registration's accounts:
// clusters that receive the service's own account, or a vCenter clusters cannot use.
func VCenterWarnings(v VCenter) []string {
	switch {
	case v.ClusterCredentials != nil:
		return []string{}
	case v.ShareServiceAccountWithClusters:
		return []string{fmt.Sprintf("clusters receive the service account %q: an admin of any cluster on this vCenter can read credentials that clone and delete VMs; "+
			"set cluster_credentials (PATCH /api/v1/vcenters/%s) to give clusters a least-privileged account", v.Username, v.Name)}
	default:
		return []string{fmt.Sprintf("no cluster account: clusters cannot be provisioned on this vCenter until cluster_credentials is set "+
			"(PATCH /api/v1/vcenters/%s), or share_service_account_with_clusters is true", v.Name)}
	}
}

// OpUpdateVCenterCredentials is the operation of a PATCH of a vCenter: it updates the
// vSphere CPI and CSI Secrets of every cluster on the vCenter.
const OpUpdateVCenterCredentials = "vcenter.update"

// ClusterAccountCredentials are what a cluster's vSphere drivers log in with: the
// cluster account, or the service's own when the registration shares it (Shared).
// Like VCenterCredentials it carries a password and stays inside activities.
type ClusterAccountCredentials struct {
	VCenterCredentials
	Shared bool
}

// ErrNoClusterAccount is what asking for the cluster account of a vCenter that has none
// and does not share the service's wraps.
var ErrNoClusterAccount = errors.New("the vCenter has no cluster account and does not share the service account")

// NoClusterAccountMessage says how to fix a vCenter without a cluster account.
func NoClusterAccountMessage(vcenter string) string {
	return fmt.Sprintf("vCenter %q has no cluster account, and the service does not put its own account into clusters: "+
		"set one with PATCH /api/v1/vcenters/%s {\"cluster_credentials\": {\"username\": ..., \"password\": ...}} "+
		"(or {\"share_service_account_with_clusters\": true} to share the service account on purpose)", vcenter, vcenter)
}

// ClusterRef names a cluster by its id and name.
type ClusterRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}
