package vsphere

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

// VMsApartResult says where the VMs of a group run after EnsureVMsApart.
type VMsApartResult struct {
	// Hosts has one entry per VM, in VM name order.
	Hosts []VMHost `json:"hosts"`
	// Moved names the VMs this call migrated, in the order it did.
	Moved []string `json:"moved,omitempty"`
}

// VMHost is the ESXi host a VM runs on.
type VMHost struct {
	VM        string `json:"vm"`
	Moref     string `json:"moref"`
	Host      string `json:"host"`
	HostMoref string `json:"host_moref"`
}

// maxApartPasses bounds the read-plan-migrate passes of EnsureApart: a pass
// after the migrations checks them, and one more corrects a VM that DRS
// (or someone) moved meanwhile.
const maxApartPasses = 3

// EnsureApart makes sure that the VMs of g run on different ESXi hosts of
// the compute cluster of g.Placement, and says where they run. When two or
// more share a host, the first by name stays and the others are migrated
// (RelocateVM_Task with only the host: vMotion when powered on, a cold
// migration when off; resource pool and datastores are kept) to hosts that
// run none of the group, the host with the fewest VMs first. Only hosts
// that are connected, not in maintenance mode and mount the VM's datastores
// are targets. It is idempotent: VMs already apart are left where they are.
//
// It does not rely on DRS: vSphere enforces an anti-affinity rule only
// with DRS enabled, and only when it next balances the cluster (in manual
// mode DRS just recommends). Create the rule (EnsureAntiAffinityRule) after
// this call, so that DRS keeps the VMs apart from then on.
//
// Fewer usable hosts than VMs is ErrNotEnoughHosts, before anything moves.
// A VM of g that runs outside the compute cluster is ErrInvalidVMRequest;
// one that is missing is ErrVMNotFound, one not marked for g.ClusterID
// ErrVMNotOwned.
func (o *VMOps) EnsureApart(ctx context.Context, c *vim25.Client, g VMGroup) (VMsApartResult, error) {
	if err := g.validate(1); err != nil {
		return VMsApartResult{}, err
	}
	progress(ctx, "placement")
	cluster, err := findComputeCluster(ctx, c, g.Placement)
	if err != nil {
		return VMsApartResult{}, err
	}
	var moved []string
	for pass := 1; ; pass++ {
		progress(ctx, "read")
		vms, err := o.groupMembers(ctx, c, g)
		if err != nil {
			return VMsApartResult{}, err
		}
		st, err := readCluster(ctx, c, cluster)
		if err != nil {
			return VMsApartResult{}, err
		}
		moves, err := planApart(vms, st, cluster.InventoryPath)
		if err != nil {
			return VMsApartResult{}, err
		}
		if len(moves) == 0 {
			return VMsApartResult{Hosts: vmHosts(vms, st), Moved: moved}, nil
		}
		if pass == maxApartPasses {
			return VMsApartResult{}, fmt.Errorf("VMs of cluster %s still share hosts of %s after %d passes (is DRS moving them back?)",
				g.ClusterID, cluster.InventoryPath, pass)
		}
		for _, m := range moves {
			if err := o.migrate(ctx, c, m); err != nil {
				return VMsApartResult{}, err
			}
			moved = append(moved, m.vm.name)
		}
	}
}

// move is a planned migration of a VM to a host.
type move struct {
	vm vmRecord
	to esxHost
}

// planApart returns the migrations that put each of vms (sorted by name)
// on a host of its own among st's hosts; none when they are apart already.
func planApart(vms []vmRecord, st clusterState, clusterPath string) ([]move, error) {
	usable := 0
	for _, h := range st.hosts {
		if h.unusable == "" {
			usable++
		}
	}
	if usable < len(vms) {
		return nil, fmt.Errorf("%w: compute cluster %s has %d connected hosts not in maintenance mode (of %d) for %d VMs",
			ErrNotEnoughHosts, clusterPath, usable, len(st.hosts), len(vms))
	}
	taken := map[types.ManagedObjectReference]string{} // host -> VM that stays there
	var homeless []vmRecord
	for _, vm := range vms {
		h, ok := st.host(vm.host)
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: VM %s runs on host %s, which is not in compute cluster %s", ErrInvalidVMRequest, vm.name, vm.host.Value, clusterPath)
		case h.unusable == "" && taken[h.ref] == "":
			taken[h.ref] = vm.name
		default:
			homeless = append(homeless, vm)
		}
	}
	var moves []move
	for _, vm := range homeless {
		var free []esxHost
		for _, h := range st.hosts {
			if h.unusable == "" && taken[h.ref] == "" && h.reaches(vm) {
				free = append(free, h)
			}
		}
		if len(free) == 0 {
			return nil, fmt.Errorf("%w: no connected host of compute cluster %s without another of the VMs mounts the datastores of VM %s",
				ErrNotEnoughHosts, clusterPath, vm.name)
		}
		to := slices.MinFunc(free, func(a, b esxHost) int { return cmp.Or(cmp.Compare(a.vms, b.vms), cmp.Compare(a.name, b.name)) })
		taken[to.ref] = vm.name
		moves = append(moves, move{vm: vm, to: to})
	}
	return moves, nil
}

// migrate moves a VM to the host of m, keeping its pool and datastores.
// An abandoned migration is cancelled.
func (o *VMOps) migrate(ctx context.Context, c *vim25.Client, m move) error {
	progress(ctx, "migrate")
	from := m.vm.host.Value
	vm := object.NewVirtualMachine(c, m.vm.ref)
	spec := types.VirtualMachineRelocateSpec{Host: &m.to.ref}
	_, err := o.runTask(ctx, c, "migrate VM "+m.vm.name+" to host "+m.to.name, true, func(ctx context.Context) (*object.Task, error) {
		return vm.Relocate(ctx, spec, types.VirtualMachineMovePriorityDefaultPriority)
	})
	if err != nil {
		return err
	}
	o.logger().InfoContext(ctx, "migrated VM to keep it apart", "vm", m.vm.name, "moref", m.vm.ref.Value, "from_host", from, "to_host", m.to.name)
	return nil
}

// vmHosts lists where vms run.
func vmHosts(vms []vmRecord, st clusterState) []VMHost {
	out := make([]VMHost, 0, len(vms))
	for _, vm := range vms {
		h, _ := st.host(vm.host)
		out = append(out, VMHost{VM: vm.name, Moref: vm.ref.Value, Host: h.name, HostMoref: vm.host.Value})
	}
	return out
}
