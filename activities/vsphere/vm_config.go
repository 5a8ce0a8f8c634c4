package vsphere

import (
	"fmt"
	"maps"
	"slices"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// configDelta returns the changes that bring the VM (or template) cur to
// req, and the names of what changes (never values: guestinfo is secret).
// cur must hold config.hardware and config.extraConfig. backing is the
// placement network's NIC backing.
//
// What it converges:
//   - CPUs and memory;
//   - extraConfig: req.GuestInfo, disk.EnableUUID=TRUE and the cluster
//     marker (other entries are left alone);
//   - the first NIC is connected to the placement network (a vmxnet3 NIC is
//     added if there is none);
//   - the first disk is grown to req.DiskGiB if smaller (never shrunk); a
//     linked clone's delta disk cannot grow, which is ErrUnsupported unless
//     forClone (a full clone of a snapshotted template copies the disk);
//   - a ParaVirtual SCSI controller is added if there is none, empty, for the
//     vSphere CSI driver to attach volumes to. Existing disks stay on their
//     controller: moving the boot disk needs a guest with PVSCSI drivers in
//     its initramfs and is out of scope.
func configDelta(cur mo.VirtualMachine, req VMRequest, backing types.BaseVirtualDeviceBackingInfo, forClone bool) (types.VirtualMachineConfigSpec, []string, error) {
	var spec types.VirtualMachineConfigSpec
	var changes []string
	if cur.Config == nil {
		return spec, nil, fmt.Errorf("%s has no configuration (is it accessible?)", cur.Name)
	}
	hw := cur.Config.Hardware
	if int(hw.NumCPU) != req.CPUs {
		spec.NumCPUs = int32(req.CPUs)
		if cps := hw.NumCoresPerSocket; cps != nil && *cps > 1 && req.CPUs%int(*cps) != 0 {
			spec.NumCoresPerSocket = types.NewInt32(1) // the sockets must hold the CPUs evenly
		}
		changes = append(changes, "cpus")
	}
	if int(hw.MemoryMB) != req.MemoryMiB {
		spec.MemoryMB = int64(req.MemoryMiB)
		changes = append(changes, "memory")
	}

	want := desiredExtraConfig(req)
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if v, ok := extraConfigValue(cur.Config.ExtraConfig, k); !ok || v != want[k] {
			spec.ExtraConfig = append(spec.ExtraConfig, &types.OptionValue{Key: k, Value: want[k]})
			changes = append(changes, "extraConfig "+k)
		}
	}

	devices := object.VirtualDeviceList(hw.Device)
	nic, err := nicChange(devices, backing)
	if err != nil {
		return spec, nil, err
	}
	disk, err := diskChange(devices, req.DiskGiB, forClone)
	if err != nil {
		return spec, nil, err
	}
	scsi, err := pvscsiChange(devices)
	if err != nil {
		return spec, nil, err
	}
	for _, dc := range []struct {
		name   string
		change types.BaseVirtualDeviceConfigSpec
	}{{"network", nic}, {"disk", disk}, {"pvscsi", scsi}} {
		if dc.change != nil {
			spec.DeviceChange = append(spec.DeviceChange, dc.change)
			changes = append(changes, dc.name)
		}
	}
	return spec, changes, nil
}

// desiredExtraConfig returns the extraConfig entries req asks for.
func desiredExtraConfig(req VMRequest) map[string]string {
	want := make(map[string]string, len(req.GuestInfo)+2)
	maps.Copy(want, req.GuestInfo)
	want[diskUUIDKey] = "TRUE"
	want[MarkerKey] = req.ClusterID
	return want
}

// extraConfigValue returns the value of key among opts.
func extraConfigValue(opts []types.BaseOptionValue, key string) (string, bool) {
	for _, o := range opts {
		if ov := o.GetOptionValue(); ov != nil && ov.Key == key {
			return fmt.Sprint(ov.Value), true
		}
	}
	return "", false
}

// nicChange connects the first NIC to backing, or adds a vmxnet3 NIC on it.
func nicChange(devices object.VirtualDeviceList, backing types.BaseVirtualDeviceBackingInfo) (types.BaseVirtualDeviceConfigSpec, error) {
	nics := devices.SelectByType((*types.VirtualEthernetCard)(nil))
	if len(nics) == 0 {
		nic, err := devices.CreateEthernetCard("vmxnet3", backing)
		if err != nil {
			return nil, fmt.Errorf("network card: %w", err)
		}
		return &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: nic}, nil
	}
	// The device was read for this call only, so it is edited in place.
	nic := nics[0]
	if sameNetwork(nic.GetVirtualDevice().Backing, backing) {
		return nil, nil
	}
	nic.GetVirtualDevice().Backing = backing
	return &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: nic}, nil
}

// sameNetwork reports whether NIC backing cur is attached where want is.
func sameNetwork(cur, want types.BaseVirtualDeviceBackingInfo) bool {
	switch w := want.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		c, ok := cur.(*types.VirtualEthernetCardNetworkBackingInfo)
		if !ok {
			return false
		}
		if c.Network != nil && w.Network != nil {
			return *c.Network == *w.Network
		}
		return c.DeviceName == w.DeviceName
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		c, ok := cur.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
		return ok && c.Port.PortgroupKey == w.Port.PortgroupKey && c.Port.SwitchUuid == w.Port.SwitchUuid
	case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
		c, ok := cur.(*types.VirtualEthernetCardOpaqueNetworkBackingInfo)
		return ok && c.OpaqueNetworkId == w.OpaqueNetworkId && c.OpaqueNetworkType == w.OpaqueNetworkType
	}
	return false
}

// diskChange grows the first disk to sizeGiB if it is smaller.
func diskChange(devices object.VirtualDeviceList, sizeGiB int, forClone bool) (types.BaseVirtualDeviceConfigSpec, error) {
	if sizeGiB <= 0 {
		return nil, nil
	}
	disks := devices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) == 0 {
		return nil, fmt.Errorf("%w: no virtual disk to size", ErrUnsupported)
	}
	disk := disks[0].(*types.VirtualDisk)
	want := int64(sizeGiB) * gib
	if diskBytes(disk) >= want {
		return nil, nil
	}
	if !forClone && hasParentDisk(disk.Backing) {
		return nil, fmt.Errorf("%w: the first disk is a linked clone's delta disk, which cannot grow from %d to %d GiB",
			ErrUnsupported, diskBytes(disk)/gib, sizeGiB)
	}
	grown := *disk
	grown.CapacityInBytes = want
	grown.CapacityInKB = want / 1024
	return &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: &grown}, nil
}

func diskBytes(d *types.VirtualDisk) int64 {
	if d.CapacityInBytes > 0 {
		return d.CapacityInBytes
	}
	return d.CapacityInKB * 1024
}

// hasParentDisk reports whether a disk backing is a delta on a parent disk.
func hasParentDisk(b types.BaseVirtualDeviceBackingInfo) bool {
	return parentDisk(b) != nil
}

// pvscsiChange adds a ParaVirtual SCSI controller when there is none.
func pvscsiChange(devices object.VirtualDeviceList) (types.BaseVirtualDeviceConfigSpec, error) {
	if len(devices.SelectByType((*types.ParaVirtualSCSIController)(nil))) > 0 {
		return nil, nil
	}
	ctrl, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return nil, fmt.Errorf("ParaVirtual SCSI controller: %w", err)
	}
	if ctrl.(types.BaseVirtualSCSIController).GetVirtualSCSIController().BusNumber < 0 {
		return nil, fmt.Errorf("%w: no free SCSI bus for a ParaVirtual SCSI controller", ErrUnsupported)
	}
	return &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: ctrl}, nil
}
