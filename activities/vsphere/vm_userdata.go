package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
	"github.com/clusterwright/clusterwright/cloudinit"
)

// ClearUserdata removes the cloud-init userdata from the guestinfo of the
// cluster's VM once its node has bootstrapped: a control plane's userdata
// carries the cluster's CA keys, which must not stay readable by anyone who
// may read the VM's configuration. The metadata stays, so the guest keeps
// its instance id and cloud-init does not run again. Clearing a VM that has
// no userdata is a no-op.
func (a *Activities) ClearUserdata(ctx context.Context, ref VMRef) error {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	c, moref, err := a.resolve(ctx, ref)
	if err != nil {
		return err
	}
	return vmActivityError(a.vmOps().ClearUserdata(ctx, c, moref, ref.ClusterID), nil)
}

// ClearUserdata removes guestinfo.userdata and its encoding from the VM
// moref, which must be marked for clusterID.
func (o *VMOps) ClearUserdata(ctx context.Context, c *vim25.Client, moref, clusterID string) error {
	rec, err := o.ownedRecord(ctx, c, moref, clusterID, "clear the userdata of")
	if err != nil {
		return err
	}
	var vm mo.VirtualMachine
	if err := property.DefaultCollector(c).RetrieveOne(ctx, rec.ref, []string{"config.extraConfig"}, &vm); err != nil {
		return fmt.Errorf("read guestinfo of VM %s: %w", rec.name, err)
	}
	var remove []types.BaseOptionValue
	for _, key := range []string{cloudinit.GuestInfoUserdata, cloudinit.GuestInfoUserdataEncoding} {
		if vm.Config == nil {
			break
		}
		if v, ok := extraConfigValue(vm.Config.ExtraConfig, key); ok && v != "" {
			// vSphere removes an extraConfig key that is set to "".
			remove = append(remove, &types.OptionValue{Key: key, Value: ""})
		}
	}
	if len(remove) == 0 {
		return nil
	}
	progress(ctx, "clear-userdata")
	obj := object.NewVirtualMachine(c, rec.ref)
	_, err = o.runTask(ctx, c, "clear userdata of VM "+rec.name, false, func(ctx context.Context) (*object.Task, error) {
		return obj.Reconfigure(ctx, types.VirtualMachineConfigSpec{ExtraConfig: remove})
	})
	if err != nil {
		return err
	}
	o.logger().InfoContext(ctx, "cleared userdata from guestinfo", "vm", rec.name)
	return nil
}
