package csi

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vslm"
)

// vcenter is a logged-in session with the vCenter of a csi-vsphere.conf.
type vcenter struct {
	client *vim25.Client
	// key identifies the configuration the session was made from.
	key [32]byte
}

// configKey identifies a configuration, password included, without
// keeping it readable.
func configKey(cfg Config) [32]byte {
	return sha256.Sum256([]byte(strings.Join([]string{
		cfg.Host, strconv.Itoa(cfg.Port), cfg.User, cfg.Password,
		strconv.FormatBool(cfg.Insecure), cfg.Thumbprint, strings.Join(cfg.Datacenters, ","),
	}, "\x00")))
}

// login connects to the configured vCenter and logs in with its user and
// password, as the driver does at start.
func login(ctx context.Context, cfg Config) (*vcenter, error) {
	u := &url.URL{Scheme: "https", Host: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), Path: vim25.Path}
	sc := soap.NewClient(u, cfg.Insecure)
	if cfg.Thumbprint != "" {
		sc.SetThumbprint(u.Host, cfg.Thumbprint)
	}
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to vCenter %s: %w", u.Host, err)
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword(cfg.User, cfg.Password)); err != nil {
		return nil, fmt.Errorf("log in to vCenter %s as %s: %w", u.Host, cfg.User, err)
	}
	return &vcenter{client: c, key: configKey(cfg)}, nil
}

// logout ends the session.
func (v *vcenter) logout(ctx context.Context) {
	_ = session.NewManager(v.client).Logout(ctx)
}

// datastore is a datastore the driver may place volumes on.
type datastore struct {
	ref  types.ManagedObjectReference
	name string
	url  string
	free int64
}

// datastores lists the accessible datastores of the configured
// datacenters, with one property collector call per datacenter.
func (v *vcenter) datastores(ctx context.Context, datacenters []string) ([]datastore, error) {
	finder := find.NewFinder(v.client)
	pc := property.DefaultCollector(v.client)
	var out []datastore
	for _, name := range datacenters {
		dc, err := finder.Datacenter(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("find datacenter %s: %w", name, err)
		}
		var dcMo mo.Datacenter
		if err := pc.RetrieveOne(ctx, dc.Reference(), []string{"datastore"}, &dcMo); err != nil {
			return nil, fmt.Errorf("datastores of datacenter %s: %w", name, err)
		}
		if len(dcMo.Datastore) == 0 {
			continue
		}
		var dss []mo.Datastore
		if err := pc.Retrieve(ctx, dcMo.Datastore, []string{"summary"}, &dss); err != nil {
			return nil, fmt.Errorf("read datastores of datacenter %s: %w", name, err)
		}
		for _, ds := range dss {
			if !ds.Summary.Accessible {
				continue
			}
			out = append(out, datastore{ref: ds.Reference(), name: ds.Summary.Name, url: ds.Summary.Url, free: ds.Summary.FreeSpace})
		}
	}
	return out, nil
}

// pickDatastore chooses where a volume goes: the datastore whose URL the
// StorageClass names (parameter datastoreurl), else the one with the most
// free space that holds the volume.
func pickDatastore(all []datastore, wantURL string, sizeMB int64) (datastore, error) {
	if wantURL != "" {
		for _, ds := range all {
			if strings.TrimSuffix(ds.url, "/") == strings.TrimSuffix(wantURL, "/") {
				return ds, nil
			}
		}
		return datastore{}, fmt.Errorf("datastore with URL %q not found in the configured datacenters", wantURL)
	}
	all = slices.Clone(all)
	slices.SortFunc(all, func(a, b datastore) int { return int(b.free>>20 - a.free>>20) })
	if len(all) == 0 || all[0].free < sizeMB<<20 {
		return datastore{}, fmt.Errorf("no accessible datastore has %d MB free", sizeMB)
	}
	return all[0], nil
}

// findDisk returns the id and datastore of the First Class Disk called
// name, if one exists on the datastores.
func (v *vcenter) findDisk(ctx context.Context, dss []datastore, name string) (string, datastore, bool, error) {
	m := vslm.NewObjectManager(v.client)
	for _, ds := range dss {
		ids, err := m.List(ctx, ds.ref)
		if err != nil {
			return "", datastore{}, false, fmt.Errorf("list disks on %s: %w", ds.name, err)
		}
		for _, id := range ids {
			obj, err := m.Retrieve(ctx, ds.ref, id.Id)
			if err != nil {
				continue // deleted meanwhile
			}
			if obj.Config.Name == name {
				return id.Id, ds, true, nil
			}
		}
	}
	return "", datastore{}, false, nil
}

// createDisk creates a thin First Class Disk of sizeMB on ds, kept when a
// VM it is attached to is deleted, and returns its id.
func (v *vcenter) createDisk(ctx context.Context, ds datastore, name string, sizeMB int64) (string, error) {
	m := vslm.NewObjectManager(v.client)
	task, err := m.CreateDisk(ctx, types.VslmCreateSpec{
		Name:              name,
		CapacityInMB:      sizeMB,
		KeepAfterDeleteVm: types.NewBool(true),
		BackingSpec: &types.VslmCreateSpecDiskFileBackingSpec{
			VslmCreateSpecBackingSpec: types.VslmCreateSpecBackingSpec{Datastore: ds.ref},
			ProvisioningType:          string(types.BaseConfigInfoDiskFileBackingInfoProvisioningTypeThin),
		},
	})
	if err != nil {
		return "", fmt.Errorf("create disk %s on %s: %w", name, ds.name, err)
	}
	res, err := task.WaitForResult(ctx)
	if err != nil {
		return "", fmt.Errorf("create disk %s on %s: %w", name, ds.name, err)
	}
	obj, ok := res.Result.(types.VStorageObject)
	if !ok {
		return "", fmt.Errorf("create disk %s on %s: task result is %T", name, ds.name, res.Result)
	}
	return obj.Config.Id.Id, nil
}

// deleteDisk deletes the First Class Disk id wherever it is; a disk that
// is gone already is not an error.
func (v *vcenter) deleteDisk(ctx context.Context, dss []datastore, id string) error {
	m := vslm.NewObjectManager(v.client)
	for _, ds := range dss {
		if _, err := m.Retrieve(ctx, ds.ref, id); err != nil {
			if isNotFound(err) {
				continue
			}
			return fmt.Errorf("look up disk %s on %s: %w", id, ds.name, err)
		}
		task, err := m.Delete(ctx, ds.ref, id)
		if err != nil {
			return fmt.Errorf("delete disk %s on %s: %w", id, ds.name, err)
		}
		if err := task.Wait(ctx); err != nil {
			return fmt.Errorf("delete disk %s on %s: %w", id, ds.name, err)
		}
		return nil
	}
	return nil
}

// isNotFound reports whether a vSphere call failed with NotFound.
func isNotFound(err error) bool {
	if !soap.IsSoapFault(err) {
		return false
	}
	_, ok := soap.ToSoapFault(err).VimFault().(types.NotFound)
	return ok
}

// Disk is a First Class Disk as the tests see it.
type Disk struct {
	ID, Name, Datastore string
	CapacityMB          int64
}

// ListDisks lists the First Class Disks on every datastore of vCenter c,
// for tests and tools that check what the driver left behind.
func ListDisks(ctx context.Context, c *vim25.Client) ([]Disk, error) {
	finder := find.NewFinder(c)
	dss, err := finder.DatastoreList(ctx, "/*/datastore/*")
	if err != nil {
		var nf *find.NotFoundError
		if errors.As(err, &nf) {
			return nil, nil
		}
		return nil, fmt.Errorf("list datastores: %w", err)
	}
	m := vslm.NewObjectManager(c)
	var out []Disk
	for _, ds := range dss {
		ids, err := m.List(ctx, ds)
		if err != nil {
			return nil, fmt.Errorf("list disks on %s: %w", ds.Name(), err)
		}
		for _, id := range ids {
			obj, err := m.Retrieve(ctx, ds, id.Id)
			if err != nil {
				return nil, fmt.Errorf("read disk %s on %s: %w", id.Id, ds.Name(), err)
			}
			out = append(out, Disk{ID: id.Id, Name: obj.Config.Name, Datastore: ds.Name(), CapacityMB: obj.Config.CapacityInMB})
		}
	}
	return out, nil
}
