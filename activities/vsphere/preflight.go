package vsphere

import (
	"context"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
	"github.com/clusterwright/clusterwright/domain"
)

// ErrTypePreflightFailed is the Temporal error type of a cluster spec that vCenter
// cannot take. The error's details hold the []domain.FieldError of every failed rule.
const ErrTypePreflightFailed = "PreflightFailed"

// PreflightInput names the vCenter and the cluster spec to check. The spec must have its
// defaults filled (domain.ClusterSpec.Defaults).
type PreflightInput struct {
	VCenterID string             `json:"vcenter_id"`
	Spec      domain.ClusterSpec `json:"spec"`
}

// PreflightReport is what a passed preflight found, for the operation's timeline.
type PreflightReport struct {
	// TemplateHardwareVersion is the template's virtual hardware version (19 for vmx-19).
	TemplateHardwareVersion int `json:"template_hardware_version"`
	// HardwareUpgrade is true when the clones will be upgraded to
	// domain.MinHardwareVersion.
	HardwareUpgrade bool `json:"hardware_upgrade"`
	// MaxHardwareVersion is the highest version the compute cluster's hosts can
	// upgrade to; 0 when vCenter did not say.
	MaxHardwareVersion int `json:"max_hardware_version"`
	// LinkedClones is true when the template has a snapshot to clone from.
	LinkedClones bool `json:"linked_clones"`
	// DatastoreFreeBytes and RequiredDiskGiB are the datastore's free space and what
	// the cluster's disks, surge nodes included, take.
	DatastoreFreeBytes int64 `json:"datastore_free_bytes"`
	RequiredDiskGiB    int64 `json:"required_disk_gib"`
	// User is the vCenter user whose privileges were checked, and Privileges how many
	// (entity, privilege) pairs were.
	User       string `json:"user"`
	Privileges int    `json:"privileges"`
	// ClusterUser is the account the cluster's vSphere drivers get, and
	// ClusterPrivileges how many (entity, privilege) pairs of it were checked (none when
	// ClusterAccountShared: the registration gives clusters the service's account).
	ClusterUser          string `json:"cluster_user,omitempty"`
	ClusterPrivileges    int    `json:"cluster_privileges,omitempty"`
	ClusterAccountShared bool   `json:"cluster_account_shared,omitempty"`
}

// Preflight checks live, before anything is created, that the vCenter in.VCenterID can
// take the cluster of in.Spec: the placement objects exist (and the template is a
// template), the template's disk files are on their datastore and readable, the
// template has a Linux guest OS and hardware version 15 or one the hosts can upgrade
// to it, the datastore is accessible with room for every disk plus one
// surge node per pool, the vCenter user holds the privileges that provisioning needs
// (ProvisioningPrivileges), and the account the cluster's vSphere drivers will get is
// one clusters may have: a cluster account that holds ClusterPrivileges and none of
// ForbiddenClusterPrivileges, or the service's own only when the registration shares it
// on purpose. The IP pool is the inventory's and is checked by
// inventory.Store.PreflightCluster.
//
// A spec that fails is a non-retryable ErrTypePreflightFailed error whose message lists
// "field: message" for each failed rule and whose details carry the []domain.FieldError.
// An unreachable vCenter is retried; wrong credentials or an unknown vCenter are not.
func (a *Activities) Preflight(ctx context.Context, in PreflightInput) (PreflightReport, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	if err := in.Spec.Validate(); err != nil {
		if v, ok := domain.AsValidation(err); ok {
			return PreflightReport{}, preflightFailed(v)
		}
		return PreflightReport{}, err
	}
	c, err := a.client(ctx, in.VCenterID)
	if err != nil {
		return PreflightReport{}, err
	}
	progress(ctx, "placement")
	live, err := gatherLiveFacts(ctx, c, in.Spec)
	if err != nil {
		return PreflightReport{}, vmActivityError(err, nil)
	}
	if err := a.checkClusterAccountLive(ctx, in.VCenterID, in.Spec, c, live); err != nil {
		return live.report, err
	}
	if v := domain.CheckPreflight(in.Spec, live.facts); v != nil {
		return live.report, preflightFailed(v)
	}
	return live.report, nil
}

// preflightFailed is the non-retryable error of a failed preflight. It carries only
// field names and messages (object names, sizes, privilege ids), never a secret.
func preflightFailed(v *domain.ValidationError) error {
	parts := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return temporal.NewNonRetryableApplicationError("preflight failed: "+strings.Join(parts, "; "),
		ErrTypePreflightFailed, nil, v.Fields)
}
