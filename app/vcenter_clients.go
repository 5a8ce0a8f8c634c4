package app

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/vim25"

	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/inventory"
)

// vcenterClients log in to the vCenters registered in the inventory through the
// process's session pool, under the same keys (vCenter ids) as the vSphere activities:
// one session per vCenter, logged in again by the pool when vCenter drops it.
type vcenterClients struct {
	store    *inventory.Store
	sessions *vsphere.Sessions
}

// VCenterClient returns the logged-in client of the vCenter registered as name; an
// error wrapping domain.ErrNotFound when there is none. Errors hold no credential.
func (v vcenterClients) VCenterClient(ctx context.Context, name string) (*vim25.Client, error) {
	vc, err := v.store.GetVCenter(ctx, name)
	if err != nil {
		return nil, err
	}
	creds, err := v.store.VCenterCredentials(ctx, vc.ID)
	if err != nil {
		return nil, err
	}
	c, err := v.sessions.Client(ctx, vc.ID, creds)
	if err != nil {
		return nil, fmt.Errorf("vCenter %s: %w", name, err)
	}
	return c.Client, nil
}
