package vsphere

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// vmProps are read from a VM that EnsureVM reuses or has made.
var vmProps = []string{
	"name", "config.template", "config.uuid", "config.version", "config.hardware", "config.extraConfig",
	"customValue", "runtime.powerState", "guest.ipAddress",
}

// findChild returns the VM named name directly in folder, or nil. Names are
// unique within a folder, so this is one SearchIndex call. Another kind of
// object of that name (e.g. a folder) is ErrVMNameTaken.
func findChild(ctx context.Context, c *vim25.Client, folder *object.Folder, name string) (*object.VirtualMachine, error) {
	ref, err := object.NewSearchIndex(c).FindChild(ctx, folder, name)
	if err != nil {
		return nil, fmt.Errorf("look up %s in %s: %w", name, folder.InventoryPath, err)
	}
	if ref == nil {
		return nil, nil
	}
	vm, ok := ref.(*object.VirtualMachine)
	if !ok {
		return nil, fmt.Errorf("%w: %s in %s is a %s", ErrVMNameTaken, name, folder.InventoryPath, ref.Reference().Type)
	}
	return vm, nil
}

// readVM reads vmProps of ref. A VM that is gone is ErrVMNotFound.
func readVM(ctx context.Context, c *vim25.Client, ref types.ManagedObjectReference) (mo.VirtualMachine, error) {
	var vm mo.VirtualMachine
	err := property.DefaultCollector(c).RetrieveOne(ctx, ref, vmProps, &vm)
	if isFault(err, &types.ManagedObjectNotFound{}) {
		return vm, fmt.Errorf("%w: %s", ErrVMNotFound, ref.Value)
	}
	if err != nil {
		return vm, fmt.Errorf("read VM %s: %w", ref.Value, err)
	}
	return vm, nil
}

// vmRecord is what the listing functions read of each VM: no devices and,
// of extraConfig, only the marker.
type vmRecord struct {
	ref        types.ManagedObjectReference
	name       string
	template   bool
	uuid       string
	version    string
	powerState types.VirtualMachinePowerState
	ip         string
	custom     []types.BaseCustomFieldValue
	marker     string // the extraConfig marker
	// host and datastores (runtime.host, datastore) are read only by
	// retrieveRecordsWith callers that ask for placementProps.
	host       types.ManagedObjectReference
	datastores []types.ManagedObjectReference
}

func (r vmRecord) owner(f markerField) string {
	if v := customValue(r.custom, f); v != "" {
		return v
	}
	return r.marker
}

func (r vmRecord) info() VMInfo {
	return VMInfo{
		Name: r.name, Moref: r.ref.Value, UUID: r.uuid, IP: r.ip,
		HardwareVersion: hardwareVersion(r.version), PowerState: string(r.powerState),
	}
}

// markerPath selects the marker entry of extraConfig only: the property
// collector accepts a key in brackets for arrays of keyed elements.
var markerPath = "config.extraConfig[" + strconv.Quote(MarkerKey) + "]"

var recordProps = []string{"name", "config.template", "config.uuid", "config.version", "runtime.powerState", "guest.ipAddress", "customValue"}

// retrieveRecords reads the records of the VMs that obj selects, in one
// request (vCenter may page a large result; the pages are fetched). Should
// the server refuse the keyed marker path, the whole extraConfig is read.
func retrieveRecords(ctx context.Context, c *vim25.Client, obj types.ObjectSpec) ([]vmRecord, error) {
	return retrieveRecordsWith(ctx, c, []types.ObjectSpec{obj}, nil)
}

// placementProps are the properties that say where a VM runs: its host and
// the datastores of its files.
var placementProps = []string{"runtime.host", "datastore"}

// retrieveRecordsWith is retrieveRecords for several object specs, reading
// the extra properties too (see placementProps).
func retrieveRecordsWith(ctx context.Context, c *vim25.Client, objs []types.ObjectSpec, extra []string) ([]vmRecord, error) {
	pc := property.DefaultCollector(c)
	retrieve := func(marker string) (*types.RetrievePropertiesResponse, error) {
		paths := append(slices.Concat(recordProps, extra), marker)
		return pc.RetrieveProperties(ctx, types.RetrieveProperties{
			SpecSet: []types.PropertyFilterSpec{{
				ObjectSet: objs,
				PropSet:   []types.PropertySpec{{Type: "VirtualMachine", PathSet: paths}},
			}},
		})
	}
	res, err := retrieve(markerPath)
	if isFault(err, &types.InvalidProperty{}) {
		res, err = retrieve("config.extraConfig")
	}
	if err != nil {
		return nil, err
	}
	records := make([]vmRecord, 0, len(res.Returnval))
	for _, oc := range res.Returnval {
		records = append(records, toRecord(oc))
	}
	return records, nil
}

func toRecord(oc types.ObjectContent) vmRecord {
	r := vmRecord{ref: oc.Obj}
	for _, p := range oc.PropSet {
		switch p.Name {
		case "name":
			r.name, _ = p.Val.(string)
		case "config.template":
			r.template, _ = p.Val.(bool)
		case "config.uuid":
			r.uuid, _ = p.Val.(string)
		case "config.version":
			r.version, _ = p.Val.(string)
		case "runtime.powerState":
			r.powerState, _ = as[types.VirtualMachinePowerState](p.Val)
		case "guest.ipAddress":
			r.ip, _ = p.Val.(string)
		case "customValue":
			values, _ := as[types.ArrayOfCustomFieldValue](p.Val)
			r.custom = values.CustomFieldValue
		case markerPath:
			if ov, ok := as[types.OptionValue](p.Val); ok {
				r.marker = fmt.Sprint(ov.Value)
			}
		case "config.extraConfig":
			opts, _ := as[types.ArrayOfOptionValue](p.Val)
			r.marker, _ = extraConfigValue(opts.OptionValue, MarkerKey)
		case "runtime.host":
			r.host, _ = as[types.ManagedObjectReference](p.Val)
		case "datastore":
			refs, _ := as[types.ArrayOfManagedObjectReference](p.Val)
			r.datastores = refs.ManagedObjectReference
		}
	}
	return r
}

// allRecords reads the records of every VM (and template) of the vCenter
// through a container view.
func allRecords(ctx context.Context, c *vim25.Client) ([]vmRecord, error) {
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("create VM view: %w", err)
	}
	defer destroyView(ctx, v)
	records, err := retrieveRecords(ctx, c, types.ObjectSpec{
		Obj:       v.Reference(),
		Skip:      types.NewBool(true),
		SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}},
	})
	if err != nil {
		return nil, fmt.Errorf("retrieve VMs: %w", err)
	}
	return records, nil
}

// readRecord reads the record of the VM ref. A VM that is gone is ErrVMNotFound.
func readRecord(ctx context.Context, c *vim25.Client, ref types.ManagedObjectReference) (vmRecord, error) {
	records, err := retrieveRecords(ctx, c, types.ObjectSpec{Obj: ref})
	switch {
	case isFault(err, &types.ManagedObjectNotFound{}):
		return vmRecord{}, fmt.Errorf("%w: %s", ErrVMNotFound, ref.Value)
	case err != nil:
		return vmRecord{}, fmt.Errorf("read VM %s: %w", ref.Value, err)
	case len(records) == 0:
		return vmRecord{}, fmt.Errorf("%w: %s", ErrVMNotFound, ref.Value)
	}
	return records[0], nil
}

// FindClusterVMs returns the VMs (not templates) marked for clusterID
// anywhere in the vCenter, sorted by name. It reads every VM's name, state
// and marker with a container view and the property collector in one
// request, whatever the number of VMs.
func FindClusterVMs(ctx context.Context, c *vim25.Client, clusterID string) ([]VMInfo, error) {
	if clusterID == "" {
		return nil, fmt.Errorf("%w: cluster id is empty", ErrInvalidVMRequest)
	}
	f, err := findMarkerField(ctx, c, false, nil)
	if err != nil {
		return nil, err
	}
	records, err := allRecords(ctx, c)
	if err != nil {
		return nil, err
	}
	var out []VMInfo
	for _, r := range records {
		if !r.template && r.owner(f) == clusterID {
			out = append(out, r.info())
		}
	}
	slices.SortFunc(out, func(a, b VMInfo) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Moref, b.Moref)) })
	return out, nil
}

// FindVM returns the VM named name that is marked for clusterID, wherever it
// is in the vCenter; found is false when there is none. (VMs of other
// owners with that name are ignored.)
func FindVM(ctx context.Context, c *vim25.Client, clusterID, name string) (info VMInfo, found bool, err error) {
	ours, _, err := vmsNamed(ctx, c, clusterID, name)
	if err != nil || len(ours) == 0 {
		return VMInfo{}, false, err
	}
	return ours[0].info(), true, nil
}

// vmsNamed returns the VMs named name, split into those marked for
// clusterID and the others, each sorted by moref.
func vmsNamed(ctx context.Context, c *vim25.Client, clusterID, name string) (ours, others []vmRecord, err error) {
	f, err := findMarkerField(ctx, c, false, nil)
	if err != nil {
		return nil, nil, err
	}
	records, err := allRecords(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range records {
		switch {
		case r.name != name:
		case !r.template && r.owner(f) == clusterID:
			ours = append(ours, r)
		default:
			others = append(others, r)
		}
	}
	byRef := func(a, b vmRecord) int { return cmp.Compare(a.ref.Value, b.ref.Value) }
	slices.SortFunc(ours, byRef)
	slices.SortFunc(others, byRef)
	return ours, others, nil
}
