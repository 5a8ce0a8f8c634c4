package addons

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
	"github.com/clusterwright/clusterwright/domain"
)

// HeartbeatInterval is how often the add-on activities heartbeat while Helm
// works; workflows set their heartbeat timeout to a few times this.
const HeartbeatInterval = 5 * time.Second

// ClusterAccess is what the add-on activities read about a cluster, by its
// inventory id. The provisioning code implements it over the inventory,
// where secrets are encrypted at rest.
type ClusterAccess interface {
	// AdminKubeconfig returns the cluster's admin kubeconfig.
	AdminKubeconfig(ctx context.Context, clusterID string) ([]byte, error)
	// ClusterSpec returns the cluster's spec, defaults filled in.
	ClusterSpec(ctx context.Context, clusterID string) (domain.ClusterSpec, error)
	// VCenterConn returns how the cluster's vSphere drivers reach its vCenter
	// (the vCenter's address and credentials).
	VCenterConn(ctx context.Context, clusterID string) (VCenterConn, error)
	// KubeSphereAdminPassword returns the initial KubeSphere admin password
	// of the cluster; empty lets KubeSphere keep or generate one.
	KubeSphereAdminPassword(ctx context.Context, clusterID string) (string, error)
}

// Activities are the Temporal activities that install the platform add-ons.
// Workflows pass cluster ids and add-on names only; kubeconfigs, vCenter
// credentials and passwords are read inside the activities.
type Activities struct {
	Installer *Installer
	Clusters  ClusterAccess
	// KubeSphereImageRegistry is the registry KubeSphere's images are
	// pulled from, a mirror (KubeSphere's public images are no longer
	// downloadable); empty keeps the chart's.
	KubeSphereImageRegistry string
}

// AddonRequest asks for one add-on of one cluster. It carries no secrets.
type AddonRequest struct {
	ClusterID string `json:"cluster_id"`
	// Addon is AddonAntrea, AddonCPI, AddonCSI or AddonKubeSphere.
	Addon string `json:"addon"`
	// Wait waits until the add-on's objects are ready.
	Wait bool `json:"wait,omitempty"`
	// Timeout bounds the wait; default DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// InstallAddon installs or upgrades an add-on of a cluster from its
// configured chart source with values made from the cluster's spec (see
// Installer.Apply), and returns the release's status. The chart version of
// a source that follows the Kubernetes minor (CPI) is the one of the spec's
// Kubernetes version, so installing again after a control-plane upgrade
// upgrades the chart. It is idempotent: repeating it with an unchanged spec
// makes no new revision. Errors are
// Temporal application errors typed by class (see ActivityError).
func (a *Activities) InstallAddon(ctx context.Context, req AddonRequest) (Status, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	rel, err := a.release(ctx, req)
	if err != nil {
		return Status{}, ActivityError(fmt.Errorf("addons: %s of cluster %s: %w", req.Addon, req.ClusterID, err))
	}
	kubeconfig, err := a.Clusters.AdminKubeconfig(ctx, req.ClusterID)
	if err != nil {
		return Status{}, ActivityError(fmt.Errorf("addons: kubeconfig of cluster %s: %w", req.ClusterID, err))
	}
	st, err := a.Installer.Apply(ctx, kubeconfig, rel)
	if err != nil {
		return Status{}, ActivityError(fmt.Errorf("%w (cluster %s)", err, req.ClusterID))
	}
	return st, nil
}

// AddonStatus returns the status of an add-on's release (ReleaseNotFound
// when it is not installed).
func (a *Activities) AddonStatus(ctx context.Context, req AddonRequest) (Status, error) {
	ad, err := lookup(req.Addon)
	if err != nil {
		return Status{}, ActivityError(err)
	}
	kubeconfig, err := a.Clusters.AdminKubeconfig(ctx, req.ClusterID)
	if err != nil {
		return Status{}, ActivityError(fmt.Errorf("addons: kubeconfig of cluster %s: %w", req.ClusterID, err))
	}
	st, err := a.Installer.Status(ctx, kubeconfig, ad.release, ad.namespace)
	return st, ActivityError(err)
}

// UninstallAddon removes an add-on's release; removing a missing one succeeds.
func (a *Activities) UninstallAddon(ctx context.Context, req AddonRequest) error {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	ad, err := lookup(req.Addon)
	if err != nil {
		return ActivityError(err)
	}
	kubeconfig, err := a.Clusters.AdminKubeconfig(ctx, req.ClusterID)
	if err != nil {
		return ActivityError(fmt.Errorf("addons: kubeconfig of cluster %s: %w", req.ClusterID, err))
	}
	return ActivityError(a.Installer.Uninstall(ctx, kubeconfig, ad.release, ad.namespace))
}

// release builds the release of an add-on from the cluster's spec and
// secrets; a source that follows the Kubernetes minor gets the chart
// version of the spec's Kubernetes version (Source.ForKubernetes).
func (a *Activities) release(ctx context.Context, req AddonRequest) (Release, error) {
	ad, err := lookup(req.Addon)
	if err != nil {
		return Release{}, err
	}
	spec, err := a.Clusters.ClusterSpec(ctx, req.ClusterID)
	if err != nil {
		return Release{}, fmt.Errorf("spec of cluster %s: %w", req.ClusterID, err)
	}
	if !slices.Contains(Addons(spec), req.Addon) {
		return Release{}, fmt.Errorf("%w: %s", ErrAddonDisabled, req.Addon)
	}
	// A chart that follows the Kubernetes minor (CPI) is chosen by the
	// spec's version: after a control-plane upgrade the next install
	// upgrades it.
	src, err := ad.source(a.Installer.Sources).ForKubernetes(spec.KubernetesVersion)
	if err != nil {
		return Release{}, fmt.Errorf("cluster %s: %w", req.ClusterID, err)
	}
	rel := Release{
		Name:            ad.release,
		Namespace:       ad.namespace,
		Source:          src,
		CreateNamespace: ad.createNamespace,
		Wait:            req.Wait,
		Timeout:         req.Timeout,
	}
	switch req.Addon {
	case AddonAntrea:
		rel.Values = AntreaValues(spec)
	case AddonCPI, AddonCSI:
		vc, err := a.Clusters.VCenterConn(ctx, req.ClusterID)
		if err != nil {
			return Release{}, fmt.Errorf("vCenter of cluster %s: %w", req.ClusterID, err)
		}
		rel.Sensitive = []string{vc.Password}
		if req.Addon == AddonCPI {
			rel.Values = CPIValues(vc, spec.Placement.Datacenter)
		} else {
			rel.Values = CSIValues(req.ClusterID, vc, spec.Placement.Datacenter, spec)
		}
	case AddonKubeSphere:
		pw, err := a.Clusters.KubeSphereAdminPassword(ctx, req.ClusterID)
		if err != nil {
			return Release{}, fmt.Errorf("KubeSphere admin password of cluster %s: %w", req.ClusterID, err)
		}
		rel.Sensitive = []string{pw}
		rel.Values = KubeSphereValues(spec, pw, a.KubeSphereImageRegistry)
	}
	return rel, nil
}
