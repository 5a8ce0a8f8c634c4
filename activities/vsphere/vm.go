package vsphere

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
)

const (
	// MarkerKey names the custom attribute, and the extraConfig entry, that
	// carry the id of the cluster a VM was made for. Clusterwright reuses,
	// powers and destroys only VMs that carry its cluster's id.
	MarkerKey = "clusterwright.cluster-id"
	// MinHardwareVersion is the lowest virtual hardware version the vSphere
	// CSI driver supports; older VMs are upgraded to it.
	MinHardwareVersion = 15
	// GuestInfoPrefix starts every key of VMRequest.GuestInfo.
	GuestInfoPrefix = "guestinfo."

	diskUUIDKey = "disk.EnableUUID" // CSI needs the disks' SCSI UUIDs
)

// VMSpec describes a cluster node's VM without its guestinfo: the input of
// the EnsureVM activity, safe to record in workflow history.
type VMSpec struct {
	// VCenterID is the registered vCenter that the VM lives on.
	VCenterID string           `json:"vcenter_id"`
	Placement domain.Placement `json:"placement"`
	// Name is the VM name, from domain.VMName; it identifies the VM in the
	// placement folder across retries.
	Name string `json:"name"`
	// ClusterID is the id of the cluster the VM belongs to; it is written on
	// the VM as its marker (MarkerKey).
	ClusterID string `json:"cluster_id"`
	CPUs      int    `json:"cpus"`
	MemoryMiB int    `json:"memory_mib"`
	// DiskGiB is the size of the first disk; a template's larger disk is
	// kept (disks are never shrunk). 0 keeps the template's size.
	DiskGiB int `json:"disk_gib"`
}

// VMRequest is a VMSpec with the guestinfo to set on the VM. It is built in
// the worker (see GuestInfoSource) and never travels through Temporal.
type VMRequest struct {
	VMSpec
	// GuestInfo are extraConfig entries, each key starting with
	// GuestInfoPrefix (cloud-init's metadata and userdata). The values are
	// secret: they are never logged nor put in errors.
	GuestInfo GuestInfoValues
}

// GuestInfoValues are guestinfo extraConfig entries. The values are secret,
// so the type prints, logs and marshals its keys only (JSON marshalling fails).
type GuestInfoValues map[string]string

// String lists the keys only.
func (g GuestInfoValues) String() string {
	return fmt.Sprintf("guestinfo%v(values redacted)", slices.Sorted(maps.Keys(g)))
}

// GoString lists the keys only.
func (g GuestInfoValues) GoString() string { return g.String() }

// LogValue implements slog.LogValuer: the keys only.
func (g GuestInfoValues) LogValue() slog.Value { return slog.StringValue(g.String()) }

// MarshalJSON refuses: guestinfo must not be serialized (e.g. into workflow history).
func (g GuestInfoValues) MarshalJSON() ([]byte, error) {
	return nil, errors.New("guestinfo values are secret and are not serialized")
}

// VMInfo describes a VM. It carries no secrets.
type VMInfo struct {
	Name  string `json:"name"`
	Moref string `json:"moref"`
	// UUID is the BIOS UUID (config.uuid), which the vSphere cloud provider
	// uses as the node's provider ID.
	UUID            string `json:"uuid"`
	IP              string `json:"ip,omitempty"`
	HardwareVersion int    `json:"hardware_version"`
	PowerState      string `json:"power_state"`
}

// VMOps runs Clusterwright's VM operations. Every vCenter task it starts
// takes a slot of Budget for the vCenter of the client (keyed by its host),
// and is retried while vCenter is busy. The zero value is ready to use: the
// budget is then the one shared by the whole process, and the logger
// slog.Default(). A VMOps is safe for concurrent use.
type VMOps struct {
	Budget *TaskBudget
	Logger *slog.Logger
	// Lookups, if set, remembers placements and the marker field between
	// calls (see LookupCache); nil looks them up on every call.
	Lookups *LookupCache
}

// placement resolves p on c, with the NIC backing of its network.
func (o *VMOps) placement(ctx context.Context, c *vim25.Client, p domain.Placement) (*Placement, types.BaseVirtualDeviceBackingInfo, error) {
	if o.Lookups != nil {
		return o.Lookups.Placement(ctx, c, p)
	}
	return resolveWithBacking(ctx, c, p)
}

func (o *VMOps) budget() *TaskBudget {
	if o.Budget != nil {
		return o.Budget
	}
	return processBudget()
}

func (o *VMOps) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// budgetKey identifies the vCenter of c in a TaskBudget: its host, so that
// two registrations of one vCenter share its budget.
func budgetKey(c *vim25.Client) string { return c.URL().Host }

// validate checks what the VM functions rely on.
func (r VMRequest) validate() error {
	var problems []string
	if !domain.ValidName(r.Name) {
		problems = append(problems, fmt.Sprintf("name %q is not a DNS label", r.Name))
	}
	if strings.TrimSpace(r.ClusterID) == "" {
		problems = append(problems, "cluster id is empty")
	}
	if r.CPUs < 1 || r.MemoryMiB < 1 || r.DiskGiB < 0 {
		problems = append(problems, fmt.Sprintf("cpus %d, memory %d MiB, disk %d GiB out of range", r.CPUs, r.MemoryMiB, r.DiskGiB))
	}
	for _, k := range slices.Sorted(maps.Keys(r.GuestInfo)) {
		if !strings.HasPrefix(k, GuestInfoPrefix) || len(k) == len(GuestInfoPrefix) {
			problems = append(problems, fmt.Sprintf("guestinfo key %q does not start with %q", k, GuestInfoPrefix))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidVMRequest, strings.Join(problems, "; "))
	}
	return nil
}

// EnsureVM makes sure that the VM of req exists with the requested hardware
// and guestinfo, and returns it; created says whether this call cloned it.
//
// It is idempotent and resumable: it first looks the VM up by name in the
// placement folder. A VM found there is reused if it carries the marker of
// req.ClusterID, and its configuration is brought up to req (while it is
// powered off; a running VM is left as it is and the drift is logged). A VM
// of that name without the marker fails with ErrVMNameTaken. Otherwise the
// template is cloned (see cloneSpec), then configured and upgraded the same
// way, so that a clone interrupted between those steps is completed by the
// next call.
//
// Errors never contain guestinfo values.
func (o *VMOps) EnsureVM(ctx context.Context, c *vim25.Client, req VMRequest) (info VMInfo, created bool, err error) {
	info, created, err = o.ensureVM(ctx, c, req)
	return info, created, scrub(err, req.GuestInfo)
}

func (o *VMOps) ensureVM(ctx context.Context, c *vim25.Client, req VMRequest) (VMInfo, bool, error) {
	if err := req.validate(); err != nil {
		return VMInfo{}, false, err
	}
	progress(ctx, "placement")
	pl, backing, err := o.placement(ctx, c, req.Placement)
	if err != nil {
		return VMInfo{}, false, err
	}
	field, err := o.markerField(ctx, c)
	if err != nil {
		return VMInfo{}, false, err
	}

	vm, err := findChild(ctx, c, pl.Folder, req.Name)
	if err != nil {
		return VMInfo{}, false, err
	}
	created := false
	if vm == nil {
		progress(ctx, "clone")
		vm, err = o.clone(ctx, c, pl, req, backing)
		switch {
		case err == nil:
			created = true
		case isFault(err, &types.DuplicateName{}):
			// Another attempt (e.g. one still running after its worker died)
			// created it meanwhile: take what is there, if it is ours.
			if vm, err = findChild(ctx, c, pl.Folder, req.Name); err == nil && vm == nil {
				err = fmt.Errorf("clone %s: name in use, yet no VM of that name in %s", req.Name, pl.Folder.InventoryPath)
			}
			if err != nil {
				return VMInfo{}, false, err
			}
		default:
			return VMInfo{}, false, err
		}
	}

	cur, err := readVM(ctx, c, vm.Reference())
	if err != nil {
		return VMInfo{}, false, err
	}
	if owner := ownerOf(cur, field); owner != req.ClusterID {
		return VMInfo{}, false, fmt.Errorf("%w: %s in %s (%s)", ErrVMNameTaken, req.Name, pl.Folder.InventoryPath, ownerDescription(owner))
	}
	if err := o.setMarker(ctx, c, vm, cur, field, req.ClusterID); err != nil {
		return VMInfo{}, false, err
	}
	if cur, err = o.converge(ctx, c, vm, cur, req, backing); err != nil {
		return VMInfo{}, false, err
	}
	return vmInfo(cur), created, nil
}

// converge brings the powered-off VM vm (read as cur) up to req: hardware,
// devices and extraConfig in one reconfigure (see configDelta), then the
// hardware version (at least MinHardwareVersion). A VM that is not powered
// off is not changed (CPUs, memory and hardware version cannot change while
// it runs); its drift is logged, by field name only.
func (o *VMOps) converge(ctx context.Context, c *vim25.Client, vm *object.VirtualMachine, cur mo.VirtualMachine, req VMRequest, backing types.BaseVirtualDeviceBackingInfo) (mo.VirtualMachine, error) {
	spec, changes, err := configDelta(cur, req, backing, false)
	if err != nil {
		return cur, fmt.Errorf("VM %s: %w", req.Name, err)
	}
	old := hardwareVersion(cur.Config.Version)
	upgrade := old < MinHardwareVersion
	if len(changes) == 0 && !upgrade {
		return cur, nil
	}
	if cur.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		o.logger().WarnContext(ctx, "VM differs from its request but is not powered off; left as it is",
			"vm", req.Name, "power_state", cur.Runtime.PowerState, "changes", changes, "hardware_version", old)
		return cur, nil
	}
	if len(changes) > 0 {
		progress(ctx, "reconfigure")
		if _, err := o.runTask(ctx, c, "reconfigure VM "+req.Name, false, func(ctx context.Context) (*object.Task, error) {
			return vm.Reconfigure(ctx, spec)
		}); err != nil {
			return cur, err
		}
		o.logger().InfoContext(ctx, "reconfigured VM", "vm", req.Name, "changes", changes)
	}
	if upgrade {
		progress(ctx, "upgrade")
		if err := o.upgrade(ctx, c, vm, req.Name); err != nil {
			return cur, err
		}
		o.logger().InfoContext(ctx, "upgraded VM hardware", "vm", req.Name, "from", old, "to", MinHardwareVersion)
	}
	return readVM(ctx, c, vm.Reference())
}

// upgrade raises the virtual hardware of vm to MinHardwareVersion.
func (o *VMOps) upgrade(ctx context.Context, c *vim25.Client, vm *object.VirtualMachine, name string) error {
	version := types.HardwareVersion(MinHardwareVersion).String()
	_, err := o.runTask(ctx, c, "upgrade hardware of VM "+name+" to "+version, false, func(ctx context.Context) (*object.Task, error) {
		return vm.UpgradeVM(ctx, version)
	})
	switch {
	case err == nil, isFault(err, &types.AlreadyUpgraded{}, &types.AlreadyUpgradedFault{}):
		return nil
	case isFault(err, &types.NotSupported{}):
		return fmt.Errorf("%w: the hosts of VM %s do not support hardware version %s: %w", ErrUnsupported, name, version, err)
	}
	return err
}

// vmInfo summarizes the VM read by readVM.
func vmInfo(vm mo.VirtualMachine) VMInfo {
	info := VMInfo{Name: vm.Name, Moref: vm.Self.Value, PowerState: string(vm.Runtime.PowerState)}
	if vm.Config != nil {
		info.UUID = vm.Config.Uuid
		info.HardwareVersion = hardwareVersion(vm.Config.Version)
	}
	if vm.Guest != nil {
		info.IP = vm.Guest.IpAddress
	}
	return info
}
