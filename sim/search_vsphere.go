package sim

import (
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// vcsim (govmomi v0.56) puts a new VM into its folder, and into its registry, before
// it names it: NewVirtualMachine adds the VM to the folder with the default
// configuration, which has no name, and the create task applies the spec (the name
// among it) only afterwards. Until then the folder has a child without a name, and
// SearchIndex.FindChild (FindByInventoryPath calls it) panics when it meets one
// (Registry.FindByName: log.Panicf "... does not have a Name"). Because vcsim's
// per-object lock (Registry.WithLock) is not released on panic, the panic also
// leaves the SearchIndex locked, so every later FindChild of that vCenter hangs: a
// lookup of a VM by name while another VM is being created in the same folder broke
// the vCenter for good (the client of the panicked call gets EOF).
//
// The create task holds its folder's lock from before the VM enters the folder until
// it is named (it runs as a task of the folder), so installSearchIndex answers
// FindChild and FindByInventoryPath with the searched container locked: they never
// see a nameless child. It must be called before r serves requests, like
// injectVSphereFaults (see there for the stand-in). The module cannot be patched, so
// this is worked around here.
func installSearchIndex(r *simulator.Registry, root types.ManagedObjectReference) {
	next := r.Handler
	r.Handler = func(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if s := lockedSearchFor(ctx, m, root); s != nil {
			m.This = ctx.Session.Put(s).Reference()
			return nil, nil
		}
		if next != nil {
			return next(ctx, m)
		}
		return nil, nil
	}
}

// lockedSearchFor returns the stand-in that answers call m, or nil to let vcsim
// answer it: calls other than an authenticated FindChild or FindByInventoryPath.
func lockedSearchFor(ctx *simulator.Context, m *simulator.Method, root types.ManagedObjectReference) *lockedSearch {
	if m.This.Type != "SearchIndex" || ctx.Session == nil {
		return nil
	}
	switch m.Body.(type) {
	case *types.FindChild, *types.FindByInventoryPath:
	default:
		return nil
	}
	index, ok := ctx.Map.Get(m.This).(*simulator.SearchIndex)
	if !ok {
		return nil
	}
	return &lockedSearch{index: index, root: root}
}

// lockedSearch stands in for the SearchIndex for one FindChild or
// FindByInventoryPath call. Like failingCall it serves a single call and opts out
// of vcsim's per-object locking: it locks the containers it searches instead.
type lockedSearch struct {
	// Self is the stand-in's own reference, in the caller's session.
	Self  types.ManagedObjectReference
	index *simulator.SearchIndex
	root  types.ManagedObjectReference
}

// Reference implements mo.Reference.
func (s *lockedSearch) Reference() types.ManagedObjectReference { return s.Self }

// Lock implements sync.Locker and does nothing.
func (*lockedSearch) Lock() {}

// Unlock implements sync.Locker and does nothing.
func (*lockedSearch) Unlock() {}

// FindChild answers SearchIndex.FindChild as vcsim does, with the container locked.
func (s *lockedSearch) FindChild(ctx *simulator.Context, req *types.FindChild) soap.HasFault {
	ctx.Session.Remove(ctx, s.Self)
	return s.findChild(ctx, req)
}

func (s *lockedSearch) findChild(ctx *simulator.Context, req *types.FindChild) *methods.FindChildBody {
	parent := ctx.Map.Get(req.Entity)
	if parent == nil {
		// vcsim answers ManagedObjectNotFound.
		return s.index.FindChild(ctx, req).(*methods.FindChildBody)
	}
	var res soap.HasFault
	withLock(ctx, parent, func() { res = s.index.FindChild(ctx, req) })
	return res.(*methods.FindChildBody)
}

// FindByInventoryPath answers SearchIndex.FindByInventoryPath as vcsim does (a
// FindChild for each element of the path), each step with its container locked.
func (s *lockedSearch) FindByInventoryPath(ctx *simulator.Context, req *types.FindByInventoryPath) soap.HasFault {
	ctx.Session.Remove(ctx, s.Self)
	body := &methods.FindByInventoryPathBody{Res: new(types.FindByInventoryPathResponse)}
	found := &s.root
	path := strings.FieldsFunc(req.InventoryPath, func(c rune) bool { return c == '/' })
	if len(path) == 0 && req.InventoryPath != "/" {
		return body // vcsim finds nothing at an empty path
	}
	for _, name := range path {
		child := s.findChild(ctx, &types.FindChild{Entity: *found, Name: name})
		if child.Res == nil || child.Res.Returnval == nil {
			return body
		}
		found = child.Res.Returnval
	}
	body.Res.Returnval = found
	return body
}
