package vsphere

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmware/govmomi/vim25"
	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
	"github.com/clusterwright/clusterwright/domain"
)

// GuestInfoSource supplies the guestinfo extraConfig of a cluster's VM
// (cloud-init metadata and userdata, which carry secrets) inside the worker,
// so that it never travels through workflow history. The provisioning code
// implements it from the inventory. Errors must not contain the values;
// an error wrapping domain.ErrNotFound is not retried.
type GuestInfoSource interface {
	GuestInfo(ctx context.Context, clusterID, vmName string) (map[string]string, error)
}

// VMRef names a VM of a cluster, for the activities that act on one.
type VMRef struct {
	VCenterID string `json:"vcenter_id"`
	ClusterID string `json:"cluster_id"`
	// Name is the VM name (domain.VMName).
	Name string `json:"name"`
	// Moref, if set, is the VM's managed object id (VMInfo.Moref), which
	// saves looking the VM up by name.
	Moref string `json:"moref,omitempty"`
}

// ClusterRef names a cluster on a vCenter.
type ClusterRef struct {
	VCenterID string `json:"vcenter_id"`
	ClusterID string `json:"cluster_id"`
}

// EnsureVM makes sure the VM of spec exists with its hardware and guestinfo
// (see VMOps.EnsureVM); the guestinfo comes from Activities.GuestInfo. A
// missing or ambiguous placement object, a name taken by another VM and an
// invalid spec fail without retry; vCenter faults are typed after the fault
// and retried unless permanent.
func (a *Activities) EnsureVM(ctx context.Context, spec VMSpec) (VMInfo, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	req := VMRequest{VMSpec: spec}
	if err := req.validate(); err != nil {
		return VMInfo{}, vmActivityError(err, nil)
	}
	if a.GuestInfo == nil {
		return VMInfo{}, temporal.NewNonRetryableApplicationError("no guestinfo source configured", ErrTypeGuestInfo, nil)
	}
	progress(ctx, "guestinfo")
	gi, err := a.GuestInfo.GuestInfo(ctx, spec.ClusterID, spec.Name)
	if err != nil {
		err = fmt.Errorf("%w for VM %s: %w", ErrGuestInfo, spec.Name, err)
		if errors.Is(err, domain.ErrNotFound) {
			return VMInfo{}, temporal.NewNonRetryableApplicationError(ErrGuestInfo.Error(), ErrTypeGuestInfo, err)
		}
		return VMInfo{}, temporal.NewApplicationErrorWithCause(ErrGuestInfo.Error(), ErrTypeGuestInfo, err)
	}
	req.GuestInfo = gi
	c, err := a.client(ctx, spec.VCenterID)
	if err != nil {
		return VMInfo{}, err
	}
	info, _, err := a.vmOps().EnsureVM(ctx, c, req)
	return info, vmActivityError(err, req.GuestInfo)
}

// PowerOnVM powers on a VM of the cluster; one that is on already is left on.
func (a *Activities) PowerOnVM(ctx context.Context, ref VMRef) error {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	c, moref, err := a.resolve(ctx, ref)
	if err != nil {
		return err
	}
	return vmActivityError(a.vmOps().PowerOn(ctx, c, moref, ref.ClusterID), nil)
}

// WaitForVMIP waits until the VM reports an IPv4 address and returns it.
// Give the activity a heartbeat timeout: it heartbeats while it waits.
func (a *Activities) WaitForVMIP(ctx context.Context, ref VMRef) (string, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	c, moref, err := a.resolve(ctx, ref)
	if err != nil {
		return "", err
	}
	progress(ctx, "wait-ip")
	ip, err := WaitForIP(ctx, c, moref)
	return ip, vmActivityError(err, nil)
}

// DestroyVM deletes the cluster's VM named ref.Name (Moref is not used: the
// VM is found by name and marker, so that compensation works for a VM whose
// clone never reported back). A VM that is gone already is success; a VM of
// that name that is not the cluster's fails with VMNotOwned.
func (a *Activities) DestroyVM(ctx context.Context, ref VMRef) error {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	c, err := a.client(ctx, ref.VCenterID)
	if err != nil {
		return err
	}
	return vmActivityError(a.vmOps().Destroy(ctx, c, ref.Name, ref.ClusterID), nil)
}

// ListClusterVMs returns the VMs marked for the cluster, sorted by name.
func (a *Activities) ListClusterVMs(ctx context.Context, ref ClusterRef) ([]VMInfo, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	c, err := a.client(ctx, ref.VCenterID)
	if err != nil {
		return nil, err
	}
	vms, err := FindClusterVMs(ctx, c, ref.ClusterID)
	return vms, vmActivityError(err, nil)
}

// vmOps returns the VM operations with the activities' budget, logger and
// lookup cache.
func (a *Activities) vmOps() *VMOps {
	ops := &VMOps{Budget: a.Budget, Lookups: a.lookupCache()}
	if a.Sessions != nil {
		ops.Logger = a.Sessions.logger
	}
	return ops
}

// client returns the pooled client of vCenter vcenterID, its errors
// classified as in SyncInventory.
func (a *Activities) client(ctx context.Context, vcenterID string) (*vim25.Client, error) {
	creds, err := a.Store.VCenterCredentials(ctx, vcenterID)
	if err != nil {
		return nil, activityError(fmt.Errorf("read credentials of vCenter %s: %w", vcenterID, err))
	}
	c, err := a.Sessions.Client(ctx, vcenterID, creds)
	if err != nil {
		return nil, activityError(fmt.Errorf("vCenter %s: %w", vcenterID, err))
	}
	return c.Client, nil
}

// resolve returns the client of ref's vCenter and the VM's moref, looking
// the VM up by name and marker when ref has no moref.
func (a *Activities) resolve(ctx context.Context, ref VMRef) (*vim25.Client, string, error) {
	c, err := a.client(ctx, ref.VCenterID)
	if err != nil {
		return nil, "", err
	}
	if ref.Moref != "" {
		return c, ref.Moref, nil
	}
	if ref.Name == "" || ref.ClusterID == "" {
		return nil, "", vmActivityError(fmt.Errorf("%w: VM name or moref, and cluster id, are required", ErrInvalidVMRequest), nil)
	}
	info, found, err := FindVM(ctx, c, ref.ClusterID, ref.Name)
	if err != nil {
		return nil, "", vmActivityError(err, nil)
	}
	if !found {
		return nil, "", vmActivityError(fmt.Errorf("%w: no VM %s of cluster %s", ErrVMNotFound, ref.Name, ref.ClusterID), nil)
	}
	return c, info.Moref, nil
}
