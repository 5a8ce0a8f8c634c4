package vsphere

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
)

// liveFacts are the facts of domain.CheckPreflight read from vCenter, and the report
// of a passed preflight.
type liveFacts struct {
	facts  domain.PreflightFacts
	report PreflightReport
	// placement are the placement objects found, for the cluster account's check.
	placement *livePlacement
}

// livePlacement holds the placement objects that could be found; nil for the others.
type livePlacement struct {
	datacenter *object.Datacenter
	cluster    *object.ClusterComputeResource
	pool       *object.ResourcePool
	folder     *object.Folder
	datastore  *object.Datastore
	network    object.NetworkReference
	template   *object.VirtualMachine
}

// gatherLiveFacts resolves the placement of spec, reads the template, the datastore,
// the hosts' hardware versions and the user's privileges, and returns them as facts.
// Objects that cannot be found are problems of the facts; errors are vCenter's.
func gatherLiveFacts(ctx context.Context, c *vim25.Client, spec domain.ClusterSpec) (*liveFacts, error) {
	out := &liveFacts{}
	pl, err := resolveEach(ctx, c, spec.Placement, &out.facts)
	if err != nil {
		return nil, err
	}
	out.placement = pl
	pc := property.DefaultCollector(c)
	if pl.template != nil {
		devices, err := readTemplate(ctx, pc, pl.template, spec.Placement.Template, out)
		if err != nil {
			return nil, err
		}
		if out.facts.Template != nil {
			problems, err := checkTemplateDisks(ctx, c, pl.datacenter, spec.Placement.Template, devices)
			if err != nil {
				return nil, err
			}
			out.facts.Problems = append(out.facts.Problems, problems...)
		}
	}
	if pl.datastore != nil {
		var ds mo.Datastore
		if err := pc.RetrieveOne(ctx, pl.datastore.Reference(), []string{"summary"}, &ds); err != nil {
			return nil, fmt.Errorf("read datastore %q: %w", spec.Placement.Datastore, err)
		}
		out.facts.Datastore = datastoreInfo(ds.Summary)
		out.report.DatastoreFreeBytes = ds.Summary.FreeSpace
		templateDisk := 0
		if out.facts.Template != nil {
			templateDisk = out.facts.Template.DiskGiB
		}
		out.report.RequiredDiskGiB = domain.RequiredDiskGiB(spec, templateDisk)
	}
	if pl.cluster != nil {
		highest, err := maxUpgradeVersion(ctx, pl.cluster)
		if err != nil {
			return nil, err
		}
		out.facts.MaxHardwareVersion = highest
		out.report.MaxHardwareVersion = highest
	}
	progress(ctx, "privileges")
	user, checked, problems, err := checkPrivileges(ctx, c, pl, spec.Placement)
	if err != nil {
		return nil, err
	}
	out.facts.Problems = append(out.facts.Problems, problems...)
	out.report.User, out.report.Privileges = user, checked
	return out, nil
}

// resolveEach finds each placement object with govmomi's finder, as ResolvePlacement
// does, but goes on after a missing one so that every bad field is named. Objects below
// a missing datacenter or compute cluster are not looked for.
func resolveEach(ctx context.Context, c *vim25.Client, p domain.Placement, facts *domain.PreflightFacts) (*livePlacement, error) {
	var pl livePlacement
	// keep records a placement problem and reports whether err was nil; other errors
	// end the preflight.
	var fatal error
	keep := func(err error) bool {
		var perr *PlacementError
		switch {
		case err == nil:
			return true
		case errors.As(err, &perr):
			msg := placementMessage(perr)
			if perr.NotFound && perr.Field != "placement.datacenter" {
				msg += " in datacenter " + p.Datacenter
			}
			facts.Problems = append(facts.Problems, domain.FieldError{Field: perr.Field, Message: msg})
		case fatal == nil:
			fatal = err
		}
		return false
	}
	finder := find.NewFinder(c)
	dc, err := finder.Datacenter(ctx, p.Datacenter)
	if !keep(findError("placement.datacenter", p.Datacenter, err)) {
		return &pl, fatal
	}
	pl.datacenter = dc
	finder.SetDatacenter(dc)

	if cluster, err := finder.ClusterComputeResource(ctx, p.ComputeCluster); keep(findError("placement.compute_cluster", p.ComputeCluster, err)) {
		pl.cluster = cluster
		if pool, err := resolvePool(ctx, finder, cluster, p.ResourcePool); keep(err) {
			pl.pool = pool
		}
	}
	if folder, err := resolveFolder(ctx, finder, dc, p.Folder); keep(err) {
		pl.folder = folder
	}
	if ds, err := finder.Datastore(ctx, p.Datastore); keep(findError("placement.datastore", p.Datastore, err)) {
		pl.datastore = ds
	}
	if network, err := finder.Network(ctx, p.Network); keep(findError("placement.network", p.Network, err)) {
		pl.network = network
	}
	if vm, err := finder.VirtualMachine(ctx, p.Template); keep(findError("placement.template", p.Template, err)) {
		pl.template = vm
	}
	return &pl, fatal
}

// findError is placementError for a finder result; nil stays nil.
func findError(field, name string, err error) error {
	if err == nil {
		return nil
	}
	return placementError(field, name, err)
}

// placementMessage is the message of a placement problem without the field name.
func placementMessage(e *PlacementError) string {
	if e.Name == "" {
		return e.Problem
	}
	return fmt.Sprintf("%q %s", e.Name, e.Problem)
}

// readTemplate reads the template's hardware and guest OS (the properties the
// inventory sync records) into out and returns its devices; a VM that is not a
// template is a problem.
func readTemplate(ctx context.Context, pc *property.Collector, vm *object.VirtualMachine, name string, out *liveFacts) ([]types.BaseVirtualDevice, error) {
	var contents []types.ObjectContent
	if err := pc.Retrieve(ctx, []types.ManagedObjectReference{vm.Reference()}, append([]string{"config.template"}, templateProps...), &contents); err != nil {
		return nil, fmt.Errorf("read template %q: %w", name, err)
	}
	props := map[string]types.AnyType{}
	for _, oc := range contents {
		for _, p := range oc.PropSet {
			props[p.Name] = p.Val
		}
	}
	if props["config.template"] != true {
		out.facts.Problems = append(out.facts.Problems, domain.FieldError{Field: "placement.template",
			Message: fmt.Sprintf("%q is a virtual machine, not a template", name)})
		return nil, nil
	}
	t := templateInfo(props)
	out.facts.Template = t
	out.report.TemplateHardwareVersion = t.HardwareVersion
	out.report.HardwareUpgrade = t.HardwareVersion < domain.MinHardwareVersion
	out.report.LinkedClones = t.HasSnapshot
	devices, _ := as[types.ArrayOfVirtualDevice](props["config.hardware.device"])
	return devices.VirtualDevice, nil
}

// maxUpgradeVersion returns the highest virtual hardware version that the environment
// browser of cluster offers for upgrades, which is what its hosts support; 0 when it
// offers none.
func maxUpgradeVersion(ctx context.Context, cluster *object.ClusterComputeResource) (int, error) {
	browser, err := cluster.EnvironmentBrowser(ctx)
	if err != nil {
		return 0, fmt.Errorf("environment browser of %s: %w", cluster.InventoryPath, err)
	}
	descriptors, err := browser.QueryConfigOptionDescriptor(ctx)
	if err != nil {
		return 0, fmt.Errorf("hardware versions of %s: %w", cluster.InventoryPath, err)
	}
	highest := 0
	for _, d := range descriptors {
		if d.UpgradeSupported {
			highest = max(highest, hardwareVersion(d.Key))
		}
	}
	return highest, nil
}
