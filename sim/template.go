package sim

import (
	"context"
	"fmt"
	"path"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

// The hardware of every simulated template: what a Kubernetes node image built
// for vSphere 7.0 U2 and later typically looks like.
const (
	TemplateGuestID         = "ubuntu64Guest"
	TemplateGuestFullName   = "Ubuntu Linux (64-bit)"
	TemplateHardwareVersion = "vmx-19"
	TemplateCPUs            = 2
	TemplateMemoryMiB       = 4096
	TemplateDiskGiB         = 20
)

// templateSite is where templates are created: DC0's VM folder, on DC0_C0.
type templateSite struct {
	client  *vim25.Client
	folder  *object.Folder
	pool    *object.ResourcePool
	ds      *object.Datastore
	backing types.BaseVirtualDeviceBackingInfo
}

// createTemplates creates one VM template per name through the in-process
// (unauthenticated, not yet served) API of model.
func createTemplates(model *simulator.Model, names []string) error {
	ctx := context.Background()
	c, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return fmt.Errorf("connect to simulated vCenter in process: %w", err)
	}
	site, err := findTemplateSite(ctx, c)
	if err != nil {
		return err
	}
	for _, name := range names {
		ref, err := site.createTemplate(ctx, name)
		if err != nil {
			return fmt.Errorf("create template %q: %w", name, err)
		}
		setGuestFullName(model, ref, TemplateGuestFullName)
	}
	return nil
}

func findTemplateSite(ctx context.Context, c *vim25.Client) (*templateSite, error) {
	finder := find.NewFinder(c)
	dc, err := finder.Datacenter(ctx, DefaultDatacenter)
	if err != nil {
		return nil, fmt.Errorf("find datacenter: %w", err)
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		return nil, fmt.Errorf("find folders of %s: %w", DefaultDatacenter, err)
	}
	cluster, err := finder.ClusterComputeResource(ctx, DefaultCluster)
	if err != nil {
		return nil, fmt.Errorf("find cluster: %w", err)
	}
	pool, err := cluster.ResourcePool(ctx)
	if err != nil {
		return nil, fmt.Errorf("find resource pool of %s: %w", DefaultCluster, err)
	}
	ds, err := finder.Datastore(ctx, DefaultDatastore)
	if err != nil {
		return nil, fmt.Errorf("find datastore: %w", err)
	}
	network, err := finder.Network(ctx, DefaultNetwork)
	if err != nil {
		return nil, fmt.Errorf("find network: %w", err)
	}
	backing, err := network.EthernetCardBackingInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("network backing of %q: %w", DefaultNetwork, err)
	}
	return &templateSite{client: c, folder: folders.VmFolder, pool: pool, ds: ds, backing: backing}, nil
}

// createTemplate creates a powered-off VM named name with the template
// hardware (ParaVirtual SCSI controller, one thin disk, a vmxnet3 NIC) and
// marks it as a template.
func (s *templateSite) createTemplate(ctx context.Context, name string) (types.ManagedObjectReference, error) {
	var none types.ManagedObjectReference
	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return none, fmt.Errorf("SCSI controller: %w", err)
	}
	devices = append(devices, scsi)
	disk := devices.CreateDisk(scsi.(types.BaseVirtualController), s.ds.Reference(), s.ds.Path(path.Join(name, name+".vmdk")))
	disk.CapacityInKB = TemplateDiskGiB * 1024 * 1024
	disk.CapacityInBytes = disk.CapacityInKB * 1024
	nic, err := devices.CreateEthernetCard("vmxnet3", s.backing)
	if err != nil {
		return none, fmt.Errorf("network card: %w", err)
	}
	devices = append(devices, disk, nic)
	changes, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return none, fmt.Errorf("device changes: %w", err)
	}

	spec := types.VirtualMachineConfigSpec{
		Name:         name,
		GuestId:      TemplateGuestID,
		Version:      TemplateHardwareVersion,
		NumCPUs:      TemplateCPUs,
		MemoryMB:     TemplateMemoryMiB,
		Files:        &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s]", s.ds.Name())},
		DeviceChange: changes,
	}
	task, err := s.folder.CreateVM(ctx, spec, s.pool, nil)
	if err != nil {
		return none, fmt.Errorf("start CreateVM: %w", err)
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return none, fmt.Errorf("CreateVM: %w", err)
	}
	ref, ok := info.Result.(types.ManagedObjectReference)
	if !ok {
		return none, fmt.Errorf("CreateVM returned %T, not a VM reference", info.Result)
	}
	if err := object.NewVirtualMachine(s.client, ref).MarkAsTemplate(ctx); err != nil {
		return none, fmt.Errorf("mark as template: %w", err)
	}
	return ref, nil
}

// setGuestFullName sets the guest OS description as vCenter reports it. The
// simulator copies the guest id there and offers no API to change it.
func setGuestFullName(model *simulator.Model, ref types.ManagedObjectReference, fullName string) {
	ctx := model.Service.Context
	obj := model.Map().Get(ref)
	model.Map().AtomicUpdate(ctx, obj, []types.PropertyChange{
		{Name: "config.guestFullName", Val: fullName},
		{Name: "summary.config.guestFullName", Val: fullName},
	})
}
