package vsphere

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

// vmRef returns the reference of the VM with managed object id moref ("vm-42").
func vmRef(moref string) types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VirtualMachine", Value: moref}
}

// ownedRecord reads the VM moref and makes sure it is a VM (not a template) marked for
// clusterID before the caller does what to it.
func (o *VMOps) ownedRecord(ctx context.Context, c *vim25.Client, moref, clusterID, what string) (vmRecord, error) {
	f, err := o.findMarkerField(ctx, c, false)
	if err != nil {
		return vmRecord{}, err
	}
	rec, err := readRecord(ctx, c, vmRef(moref))
	if err != nil {
		return vmRecord{}, err
	}
	if owner := rec.owner(f); owner != clusterID || rec.template {
		return vmRecord{}, fmt.Errorf("%w: will not %s %s (%s)", ErrVMNotOwned, what, rec.name, ownerDescription(owner))
	}
	return rec, nil
}

// PowerOn powers on the VM moref, which must be marked for clusterID. It is
// idempotent: a VM that is on already is left as it is.
func (o *VMOps) PowerOn(ctx context.Context, c *vim25.Client, moref, clusterID string) error {
	if moref == "" || clusterID == "" {
		return fmt.Errorf("%w: VM reference and cluster id are required", ErrInvalidVMRequest)
	}
	rec, err := o.ownedRecord(ctx, c, moref, clusterID, "power on")
	if err != nil {
		return err
	}
	if rec.powerState == types.VirtualMachinePowerStatePoweredOn {
		return nil
	}
	progress(ctx, "power-on")
	vm := object.NewVirtualMachine(c, rec.ref)
	_, err = o.runTask(ctx, c, "power on VM "+rec.name, false, vm.PowerOn)
	if isFault(err, &types.InvalidPowerState{}, &types.InvalidPowerStateFault{}) {
		// Powered on by someone else meanwhile?
		if now, rerr := readRecord(ctx, c, rec.ref); rerr == nil && now.powerState == types.VirtualMachinePowerStatePoweredOn {
			return nil
		}
	}
	if err != nil {
		return err
	}
	o.logger().InfoContext(ctx, "powered on VM", "vm", rec.name, "moref", moref)
	return nil
}

// WaitForIP waits until the guest of the VM moref reports an IPv4 address
// (neither link-local nor unspecified; loopback is accepted, as the
// simulator's nodes use it) and returns it. It watches guest.ipAddress and
// the power state with the property collector (WaitForUpdatesEx) rather
// than polling, and fails with ErrVMPoweredOff if the VM is or goes off.
// It waits until ctx ends otherwise.
func WaitForIP(ctx context.Context, c *vim25.Client, moref string) (string, error) {
	var ip string
	var off bool
	err := property.Wait(ctx, property.DefaultCollector(c), vmRef(moref), []string{"guest.ipAddress", "runtime.powerState"},
		func(changes []types.PropertyChange) bool {
			for _, ch := range changes {
				switch ch.Name {
				case "guest.ipAddress":
					if s, _ := ch.Val.(string); usableIP(s) {
						ip = s
					}
				case "runtime.powerState":
					state, _ := as[types.VirtualMachinePowerState](ch.Val)
					off = state == types.VirtualMachinePowerStatePoweredOff
				}
			}
			return ip != "" || off
		})
	switch {
	case isFault(err, &types.ManagedObjectNotFound{}):
		return "", fmt.Errorf("%w: %s", ErrVMNotFound, moref)
	case err != nil:
		return "", fmt.Errorf("wait for the address of VM %s: %w", moref, err)
	case ip == "":
		return "", fmt.Errorf("%w: %s has no address", ErrVMPoweredOff, moref)
	}
	return ip, nil
}

// usableIP reports whether s is an IPv4 address a node can be reached at.
func usableIP(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4() && !a.IsLinkLocalUnicast() && !a.IsUnspecified()
}

// Destroy deletes the VMs named name that are marked for clusterID: each is
// powered off if needed, then destroyed with its disks. It is idempotent: no
// such VM (any more) is success. VMs of that name without the marker are
// never touched; if there are only such VMs, Destroy fails with
// ErrVMNotOwned.
func (o *VMOps) Destroy(ctx context.Context, c *vim25.Client, name, clusterID string) error {
	if name == "" || clusterID == "" {
		return fmt.Errorf("%w: VM name and cluster id are required", ErrInvalidVMRequest)
	}
	ours, others, err := vmsNamed(ctx, c, clusterID, name)
	if err != nil {
		return err
	}
	if len(ours) == 0 && len(others) > 0 {
		return fmt.Errorf("%w: will not destroy %s: no VM of that name is marked for cluster %q", ErrVMNotOwned, name, clusterID)
	}
	var errs []error
	for _, r := range ours {
		if err := o.destroy(ctx, c, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (o *VMOps) destroy(ctx context.Context, c *vim25.Client, r vmRecord) error {
	vm := object.NewVirtualMachine(c, r.ref)
	gone := func(err error) bool { return isFault(err, &types.ManagedObjectNotFound{}) }
	progress(ctx, "destroy")
	if r.powerState != types.VirtualMachinePowerStatePoweredOff {
		_, err := o.runTask(ctx, c, "power off VM "+r.name, false, vm.PowerOff)
		switch {
		case gone(err):
			return nil
		case err != nil && !isFault(err, &types.InvalidPowerState{}, &types.InvalidPowerStateFault{}):
			return err
		}
	}
	if _, err := o.runTask(ctx, c, "destroy VM "+r.name, false, vm.Destroy); err != nil && !gone(err) {
		return err
	}
	o.logger().InfoContext(ctx, "destroyed VM", "vm", r.name, "moref", r.ref.Value)
	return nil
}
