package addons

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
)

// VSphereCredentialsResult says which vSphere add-ons of a cluster got the vCenter
// account of the inventory, and which were skipped as not installed.
type VSphereCredentialsResult struct {
	Updated []string `json:"updated"`
	Skipped []string `json:"skipped,omitempty"`
}

// UpdateVSphereCredentials writes the account the inventory now gives the cluster's
// vSphere drivers (see ClusterAccess.VCenterConn) into the cluster's CPI Secret
// (vsphere-cloud-secret) and CSI Secret (vsphere-config-secret): it upgrades each of the
// two releases that is installed with values made from the inventory, and waits for its
// objects. An add-on the spec disables or that is not installed yet (a provision that
// has not reached it installs it with the new account) is skipped. It is idempotent.
// The account goes from the inventory to the cluster; it never leaves the activity.
func (a *Activities) UpdateVSphereCredentials(ctx context.Context, clusterID string) (VSphereCredentialsResult, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	var out VSphereCredentialsResult
	spec, err := a.Clusters.ClusterSpec(ctx, clusterID)
	if err != nil {
		return out, ActivityError(fmt.Errorf("addons: spec of cluster %s: %w", clusterID, err))
	}
	kubeconfig, err := a.Clusters.AdminKubeconfig(ctx, clusterID)
	if err != nil {
		return out, ActivityError(fmt.Errorf("addons: kubeconfig of cluster %s: %w", clusterID, err))
	}
	enabled := Addons(spec)
	for _, addon := range []string{AddonCPI, AddonCSI} {
		ad, err := lookup(addon)
		if err != nil {
			return out, ActivityError(err)
		}
		if !slices.Contains(enabled, addon) {
			out.Skipped = append(out.Skipped, addon)
			continue
		}
		if _, err := a.Installer.Status(ctx, kubeconfig, ad.release, ad.namespace); errors.Is(err, ErrReleaseNotFound) {
			out.Skipped = append(out.Skipped, addon)
			continue
		} else if err != nil {
			return out, ActivityError(fmt.Errorf("%w (cluster %s)", err, clusterID))
		}
		rel, err := a.release(ctx, AddonRequest{ClusterID: clusterID, Addon: addon, Wait: true})
		if err != nil {
			return out, ActivityError(fmt.Errorf("addons: %s of cluster %s: %w", addon, clusterID, err))
		}
		if _, err := a.Installer.Apply(ctx, kubeconfig, rel); err != nil {
			return out, ActivityError(fmt.Errorf("%w (cluster %s)", err, clusterID))
		}
		out.Updated = append(out.Updated, addon)
	}
	return out, nil
}
