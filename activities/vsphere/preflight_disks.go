package vsphere

import (
	"context"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
)

// checkTemplateDisks returns a placement.template problem for each disk file of the
// template that vCenter cannot read: its disks' files and the parent disks a delta
// disk stands on. A template whose .vmdk is gone still lists the disk, and its clones
// fail or come without a disk; preflight names the file before anything is created.
//
// Each file is read with VirtualDiskManager.QueryVirtualDiskUuid, which opens the
// disk's descriptor and needs no privilege beyond System.View. A file fault (not
// found, locked, cannot be read) or an inaccessible datastore is a problem; any other
// error is vCenter's and is returned.
func checkTemplateDisks(ctx context.Context, c *vim25.Client, dc *object.Datacenter, name string, devices []types.BaseVirtualDevice) ([]domain.FieldError, error) {
	disks := object.NewVirtualDiskManager(c)
	var problems []domain.FieldError
	for _, file := range diskFiles(devices) {
		_, err := disks.QueryVirtualDiskUuid(ctx, file, dc)
		if err == nil {
			continue
		}
		switch f := vimFault(err); f.(type) {
		case *types.FileNotFound:
			problems = append(problems, domain.FieldError{Field: "placement.template",
				Message: fmt.Sprintf("template %q has disk %s, but that file is missing from the datastore", name, file)})
		case types.BaseFileFault, types.BaseInvalidDatastore:
			problems = append(problems, domain.FieldError{Field: "placement.template",
				Message: fmt.Sprintf("template %q has disk %s, which vCenter cannot read (%s)", name, file, faultType(f))})
		default:
			return nil, fmt.Errorf("read disk %s of template %q: %w", file, name, err)
		}
	}
	return problems, nil
}

// diskFiles returns the files of the virtual disks among devices, each followed by
// the files of its parent disks, once each.
func diskFiles(devices []types.BaseVirtualDevice) []string {
	var files []string
	for _, d := range devices {
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		for b, depth := disk.Backing, 0; b != nil && depth < maxDepth; b, depth = parentDisk(b), depth+1 {
			fb, ok := b.(types.BaseVirtualDeviceFileBackingInfo)
			if !ok {
				break
			}
			if name := fb.GetVirtualDeviceFileBackingInfo().FileName; name != "" && !slices.Contains(files, name) {
				files = append(files, name)
			}
		}
	}
	return files
}

// parentDisk returns the backing of the disk that delta disk backing b stands on, or
// nil.
func parentDisk(b types.BaseVirtualDeviceBackingInfo) types.BaseVirtualDeviceBackingInfo {
	switch b := b.(type) {
	case *types.VirtualDiskFlatVer2BackingInfo:
		if b.Parent != nil {
			return b.Parent
		}
	case *types.VirtualDiskSeSparseBackingInfo:
		if b.Parent != nil {
			return b.Parent
		}
	case *types.VirtualDiskSparseVer2BackingInfo:
		if b.Parent != nil {
			return b.Parent
		}
	}
	return nil
}
