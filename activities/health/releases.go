package health

import (
	"context"
	"errors"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/domain"
)

// ReleaseReader reads an add-on's Helm release in the cluster itself
// (addons.Activities).
type ReleaseReader interface {
	AddonStatus(ctx context.Context, req addons.AddonRequest) (addons.Status, error)
}

// addonMissing is the status of an add-on whose release is not in the cluster.
const addonMissing = "release missing"

// liveAddons are the cluster's recorded add-ons with the status of their releases as
// the cluster has them now: a release uninstalled or failed behind the service's back
// shows, where the record would still say deployed. A release that cannot be read
// says so in its status.
func (a *Activities) liveAddons(ctx context.Context, c domain.Cluster) []domain.Addon {
	out := make([]domain.Addon, 0, len(c.Addons))
	for _, ad := range c.Addons {
		st, err := a.Releases.AddonStatus(ctx, addons.AddonRequest{ClusterID: c.ID, Addon: ad.Name})
		switch {
		case errors.Is(err, addons.ErrReleaseNotFound):
			ad.Status = addonMissing
		case err != nil:
			ad.Status = "release not readable: " + err.Error()
		default:
			ad.Status, ad.ChartVersion = st.Status, st.ChartVersion
		}
		out = append(out, ad)
	}
	return out
}
