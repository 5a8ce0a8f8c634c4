package sim

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/sim/node"
)

// callWait bounds each vSphere call of these tests: a call hung on one of vcsim's
// object locks fails the test instead of hanging it.
const callWait = 10 * time.Second

// slowCreation holds vcsim's creation of the first VM named nothing yet — vcsim puts
// a VM into its folder before it names it — for a while once it is in the folder
// (the creation has the folder locked meanwhile), so that a lookup meets it.
type slowCreation struct {
	once sync.Once
	seen chan struct{}
}

func (s *slowCreation) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "slowCreation", Value: "slowCreation"}
}

func (s *slowCreation) PutObject(_ *simulator.Context, o mo.Reference) {
	if vm, ok := o.(*simulator.VirtualMachine); ok && vm.Name == "" {
		s.once.Do(func() {
			close(s.seen)
			time.Sleep(300 * time.Millisecond)
		})
	}
}

func (*slowCreation) UpdateObject(*simulator.Context, mo.Reference, []types.PropertyChange) {}
func (*slowCreation) RemoveObject(*simulator.Context, types.ManagedObjectReference)         {}

// slowCreations holds every VM's creation a little while the VM is in its folder
// without a name, as a loaded machine may.
type slowCreations struct{}

func (slowCreations) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "slowCreations", Value: "slowCreations"}
}

func (slowCreations) PutObject(_ *simulator.Context, o mo.Reference) {
	if vm, ok := o.(*simulator.VirtualMachine); ok && vm.Name == "" {
		time.Sleep(20 * time.Millisecond)
	}
}

func (slowCreations) UpdateObject(*simulator.Context, mo.Reference, []types.PropertyChange) {}
func (slowCreations) RemoveObject(*simulator.Context, types.ManagedObjectReference)         {}

// A VM is looked up by name (FindChild, as EnsureVM does, and by inventory path)
// while another VM is being created in the same folder. vcsim alone panics in the
// lookup (the new VM has no name yet), its client gets EOF, and the SearchIndex stays
// locked so that every later lookup hangs. Here the lookups wait for the creation and
// answer, and the vCenter goes on answering.
func TestFindChildWhileVMIsCreated(t *testing.T) {
	vc := start(t, VCenterOptions{VMs: -1})
	creation := &slowCreation{seen: make(chan struct{})}
	vc.model.Map().AddHandler(creation)
	site := newVMSite(t, vc)
	index := object.NewSearchIndex(site.template.Client())

	cloned := make(chan error, 1)
	go func() {
		_, err := site.clone("created")
		cloned <- err
	}()
	select {
	case <-creation.seen:
	case err := <-cloned:
		t.Fatalf("the clone ended (%v) before its VM entered the folder", err)
	case <-time.After(callWait):
		t.Fatal("no VM entered the folder")
	}

	ctx, cancel := context.WithTimeout(context.Background(), callWait)
	defer cancel()
	if ref, err := index.FindChild(ctx, site.folder, "absent"); err != nil || ref != nil {
		t.Errorf("FindChild of an absent name during a creation = %v, %v; want nothing, no error", ref, err)
	}
	if ref, err := index.FindChild(ctx, site.folder, "created"); err != nil || ref == nil {
		t.Errorf("FindChild of the created VM = %v, %v; want it", ref, err)
	}
	if ref, err := index.FindByInventoryPath(ctx, "/"+DefaultDatacenter+"/vm/created"); err != nil || ref == nil {
		t.Errorf("FindByInventoryPath of the created VM = %v, %v; want it", ref, err)
	}
	if ref, err := index.FindByInventoryPath(ctx, "/"); err != nil || ref == nil || ref.Reference() != vc.model.ServiceContent.RootFolder {
		t.Errorf("FindByInventoryPath(/) = %v, %v; want the root folder", ref, err)
	}
	if err := <-cloned; err != nil {
		t.Fatalf("clone: %v", err)
	}
}

// VMs of the same names are cloned (each after a lookup of its name, from two
// templates into one folder), report their guests, and are destroyed while other
// lookups and guest reports go on, round after round, as clusters are made, deleted
// and made again, on a machine slow enough that lookups meet VMs vcsim has not named
// yet. No call fails or hangs (run it with -race).
func TestVMChurnWithLookups(t *testing.T) {
	const extra = "churn-template"
	vc := start(t, VCenterOptions{VMs: -1, ExtraTemplates: []string{extra}})
	vc.model.Map().AddHandler(slowCreations{})
	site := newVMSite(t, vc)
	dc := &Datacenter{vc: vc} // reportGuest needs only the vCenter
	c := site.template.Client()
	index := object.NewSearchIndex(c)
	other, err := site.finder.VirtualMachine(context.Background(), extra)
	if err != nil {
		t.Fatal(err)
	}
	templates := []*object.VirtualMachine{site.template, other}
	names := []string{"churn-0", "churn-1", "churn-2"}

	deadline := time.Now().Add(2 * time.Second)
	rounds := 0
	for ; rounds < 20 && (rounds < 2 || time.Now().Before(deadline)); rounds++ {
		ctx, cancel := context.WithTimeout(context.Background(), callWait)
		errs := make(chan error, 64)
		lookups := func(stop <-chan struct{}) {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := index.FindChild(ctx, site.folder, names[i%len(names)]); err != nil {
					errs <- fmt.Errorf("lookup: %w", err)
					return
				}
			}
		}

		// Create: a lookup, then a clone, then the guest's report, for each name at once.
		vms := make([]*object.VirtualMachine, len(names))
		stop := make(chan struct{})
		var bg, wg sync.WaitGroup
		bg.Go(func() { lookups(stop) })
		for i, name := range names {
			wg.Go(func() {
				if ref, err := index.FindChild(ctx, site.folder, name); err != nil || ref != nil {
					errs <- fmt.Errorf("round %d: look up %s before its clone: %v, %v", rounds, name, ref, err)
					return
				}
				task, err := templates[i%len(templates)].Clone(ctx, site.folder, name, site.spec)
				if err != nil {
					errs <- fmt.Errorf("round %d: clone %s: %w", rounds, name, err)
					return
				}
				info, err := task.WaitForResult(ctx)
				if err != nil {
					errs <- fmt.Errorf("round %d: clone %s: %w", rounds, name, err)
					return
				}
				ref := info.Result.(types.ManagedObjectReference)
				vms[i] = object.NewVirtualMachine(c, ref)
				ip := netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 30, byte(rounds), byte(i + 10)}), 24)
				if err := dc.reportGuest(ref, node.GuestInfo{Hostname: name, IP: ip}); err != nil {
					errs <- fmt.Errorf("round %d: report the guest of %s: %w", rounds, name, err)
				}
			})
		}
		wg.Wait()
		close(stop)
		bg.Wait()

		// Delete: each VM's guest stops reporting while it is destroyed, and lookups go on.
		stop = make(chan struct{})
		bg.Go(func() { lookups(stop) })
		for _, vm := range vms {
			if vm == nil {
				continue
			}
			bg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if err := dc.reportGuest(vm.Reference(), node.GuestInfo{}); err != nil && !strings.Contains(err.Error(), "does not exist") {
						errs <- fmt.Errorf("report a stopped guest: %w", err)
						return
					}
				}
			})
			wg.Go(func() {
				task, err := vm.Destroy(ctx)
				if err == nil {
					err = task.Wait(ctx)
				}
				if err != nil {
					errs <- fmt.Errorf("round %d: destroy %s: %w", rounds, vm.Reference().Value, err)
				}
			})
		}
		wg.Wait()
		close(stop)
		bg.Wait()
		cancel()
		close(errs)
		var failed []error
		for err := range errs {
			failed = append(failed, err)
		}
		if err := errors.Join(failed...); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d rounds", rounds)
}
