package vsphere

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/sim"
)

// What vcsim (govmomi v0.56) cannot do, and how these tests make it:
//
//   - Privileges: every simulated vCenter evaluates the roles and permissions stored in
//     vcsim in HasPrivilegeOnEntities (see sim/authz.go): the service user holds Admin
//     and the cluster user sim.ClusterRole on the root folder; tests change them with
//     the AuthorizationManager's calls.
//   - Hosts that cannot run hardware version 15: vcsim derives each compute
//     resource's hardware versions from its hosts' ESXi version (8.0.2, so vmx-21);
//     limitHardwareVersions trims the environment browser's descriptors to what
//     ESXi 6.5 hosts offer (up to vmx-13).
//   - Datastore space: vcsim reports the free space of the directory behind the
//     datastore; setDatastoreSpace sets the summary a test needs.

// simModel is a started vCenter's govmomi model, captured by VCenterOptions.Customize.
type simModel struct {
	t     *testing.T
	model *simulator.Model
}

// captureModel sets opts.Customize to record the model in the returned simModel.
func captureModel(t *testing.T, opts *sim.VCenterOptions) *simModel {
	m := &simModel{t: t}
	opts.Customize = func(model *simulator.Model) { m.model = model }
	return m
}

func (m *simModel) get(ref types.ManagedObjectReference) mo.Reference {
	m.t.Helper()
	obj := m.model.Map().Get(ref)
	if obj == nil {
		m.t.Fatalf("no object %v in the simulator", ref)
	}
	return obj
}

// setDatastoreSpace sets the capacity and free space that the datastore reports.
func (m *simModel) setDatastoreSpace(ds *object.Datastore, capacity, free int64) {
	m.t.Helper()
	obj := m.get(ds.Reference()).(*simulator.Datastore)
	m.model.Map().AtomicUpdate(m.model.Service.Context, obj, []types.PropertyChange{
		{Name: "summary.capacity", Val: capacity},
		{Name: "summary.freeSpace", Val: free},
	})
}

// limitHardwareVersions makes the compute cluster offer hardware versions up to
// maxVersion only, as hosts of an older ESXi do.
func (m *simModel) limitHardwareVersions(c *object.ClusterComputeResource, maxVersion int) {
	m.t.Helper()
	var cr mo.ComputeResource
	if err := property.DefaultCollector(c.Client()).RetrieveOne(context.Background(), c.Reference(), []string{"environmentBrowser"}, &cr); err != nil {
		m.t.Fatal(err)
	}
	browser := m.get(*cr.EnvironmentBrowser).(*simulator.EnvironmentBrowser)
	var kept []types.VirtualMachineConfigOptionDescriptor
	for _, d := range browser.QueryConfigOptionDescriptorResponse.Returnval {
		if hardwareVersion(d.Key) <= maxVersion {
			kept = append(kept, d)
		}
	}
	if len(kept) == 0 {
		m.t.Fatalf("no hardware version up to %d in the simulator", maxVersion)
	}
	browser.QueryConfigOptionDescriptorResponse.Returnval = kept
}
