package backupstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"

	"github.com/clusterwright/clusterwright/domain"
)

// Connect returns a logged-in vCenter client for one operation of a
// LazyVSphere. It may return the same client again and again (a pool that
// logs in again on its own when the session is lost) or a new one (after
// the vCenter's credentials changed). Its errors must hold no credential.
type Connect func(ctx context.Context) (*vim25.Client, error)

// LazyVSphere is a VSphere target whose vCenter client is resolved at each
// operation, not when the target is made: the vCenter may be registered
// after the service starts, and its credentials may change while it runs.
// Kind and Location need no vCenter. The datacenter and datastore are
// looked up again whenever Connect returns another client than the last.
type LazyVSphere struct {
	cfg     VSphereConfig // without Client
	connect Connect

	mu     sync.Mutex
	client *vim25.Client // the client target was made with
	target *VSphere
}

// NewLazyVSphere checks cfg (whose Client is ignored) without contacting
// vCenter; connect gives the client at each operation.
func NewLazyVSphere(cfg VSphereConfig, connect Connect) (*LazyVSphere, error) {
	folder := strings.Trim(cfg.Folder, "/")
	if connect == nil || cfg.Datacenter == "" || cfg.Datastore == "" || folder == "" {
		return nil, errors.New("vsphere backup target: vCenter, datacenter, datastore and folder are required")
	}
	if err := CheckKey(folder); err != nil {
		return nil, fmt.Errorf("vsphere backup target folder: %w", err)
	}
	cfg.Folder, cfg.Client = folder, nil
	return &LazyVSphere{cfg: cfg, connect: connect}, nil
}

// Kind is domain.TargetVSphere.
func (t *LazyVSphere) Kind() string { return domain.TargetVSphere }

// Location is "DATACENTER [DATASTORE] FOLDER", as VSphere's.
func (t *LazyVSphere) Location() string {
	return vsphereLocation(t.cfg.Datacenter, path.Base(t.cfg.Datastore), t.cfg.Folder)
}

// vsphereLocation is the Location of a datastore folder.
func vsphereLocation(datacenter, datastore, folder string) string {
	return datacenter + " " + (&object.DatastorePath{Datastore: datastore, Path: folder}).String()
}

// resolve returns the VSphere target of the client Connect gives now.
func (t *LazyVSphere) resolve(ctx context.Context) (*VSphere, error) {
	client, err := t.connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("vsphere backup target %s: %w", t.Location(), err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.target != nil && t.client == client {
		return t.target, nil
	}
	cfg := t.cfg
	cfg.Client = client
	target, err := NewVSphere(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t.client, t.target = client, target
	return target, nil
}

// Put stores r under key in the folder (see VSphere.Put).
func (t *LazyVSphere) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	target, err := t.resolve(ctx)
	if err != nil {
		return 0, err
	}
	return target.Put(ctx, key, r)
}

// Get opens the file of key (see VSphere.Get).
func (t *LazyVSphere) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	target, err := t.resolve(ctx)
	if err != nil {
		return nil, err
	}
	return target.Get(ctx, key)
}

// Delete deletes the file of key (see VSphere.Delete).
func (t *LazyVSphere) Delete(ctx context.Context, key string) error {
	target, err := t.resolve(ctx)
	if err != nil {
		return err
	}
	return target.Delete(ctx, key)
}

// List lists the keys in the folder that start with prefix (see VSphere.List).
func (t *LazyVSphere) List(ctx context.Context, prefix string) ([]string, error) {
	target, err := t.resolve(ctx)
	if err != nil {
		return nil, err
	}
	return target.List(ctx, prefix)
}
