package backupstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
)

// VSphereConfig says which datastore folder backups go to.
type VSphereConfig struct {
	// Client is a logged-in vCenter client (activities/vsphere Sessions
	// give one); the target does not log in or out.
	Client *vim25.Client
	// Datacenter and Datastore are names in the vCenter's inventory.
	Datacenter string
	Datastore  string
	// Folder is the folder in the datastore ("clusterwright-backups").
	Folder string
	// SpoolDir is where Put keeps the encrypted object while it is
	// uploaded (the datastore's HTTP endpoint wants its length first);
	// default os.TempDir().
	SpoolDir string
}

// VSphere is a target in a folder of a vSphere datastore, through the
// datastore's HTTP file endpoint and the vCenter's file manager. An object
// is uploaded under a temporary name and moved into place.
type VSphere struct {
	cfg VSphereConfig
	dc  *object.Datacenter
	ds  *object.Datastore
}

// NewVSphere finds the datacenter and datastore of cfg.
func NewVSphere(ctx context.Context, cfg VSphereConfig) (*VSphere, error) {
	folder := strings.Trim(cfg.Folder, "/")
	if cfg.Client == nil || cfg.Datacenter == "" || cfg.Datastore == "" || folder == "" {
		return nil, errors.New("vsphere backup target: client, datacenter, datastore and folder are required")
	}
	if err := CheckKey(folder); err != nil {
		return nil, fmt.Errorf("vsphere backup target folder: %w", err)
	}
	cfg.Folder = folder
	finder := find.NewFinder(cfg.Client)
	dc, err := finder.Datacenter(ctx, cfg.Datacenter)
	if err != nil {
		return nil, fmt.Errorf("vsphere backup target: %w", err)
	}
	finder.SetDatacenter(dc)
	ds, err := finder.Datastore(ctx, cfg.Datastore)
	if err != nil {
		return nil, fmt.Errorf("vsphere backup target: %w", err)
	}
	return &VSphere{cfg: cfg, dc: dc, ds: ds}, nil
}

// Kind is domain.TargetVSphere.
func (t *VSphere) Kind() string { return domain.TargetVSphere }

// Location is "DATACENTER [DATASTORE] FOLDER".
func (t *VSphere) Location() string {
	return vsphereLocation(t.cfg.Datacenter, t.ds.Name(), t.cfg.Folder)
}

// file is key's path in the datastore.
func (t *VSphere) file(key string) string { return path.Join(t.cfg.Folder, key) }

// Put spools r to a private temporary file, uploads it under a temporary
// name in key's folder and moves it to key.
func (t *VSphere) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	spool, err := os.CreateTemp(t.cfg.SpoolDir, "clusterwright-backup-*") // mode 0600
	if err != nil {
		return 0, fmt.Errorf("vsphere put %s: spool: %w", key, err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	size, err := io.Copy(spool, contextReader{ctx, r})
	if err == nil {
		_, err = spool.Seek(0, io.SeekStart)
	}
	if err != nil {
		return 0, fmt.Errorf("vsphere put %s: spool: %w", key, err)
	}

	file := t.file(key)
	fm := object.NewFileManager(t.cfg.Client)
	err = fm.MakeDirectory(ctx, t.ds.Path(path.Dir(file)), t.dc, true)
	if err != nil && !fileExists(err) {
		return 0, fmt.Errorf("vsphere put %s: make folder: %w", key, err)
	}
	tmp := path.Join(path.Dir(file), "."+path.Base(file)+".tmp-"+rand.Text()[:8])
	param := soap.DefaultUpload
	param.ContentLength = size
	if err := t.ds.Upload(ctx, spool, tmp, &param); err != nil {
		return 0, fmt.Errorf("vsphere put %s: upload: %w", key, err)
	}
	task, err := fm.MoveDatastoreFile(ctx, t.ds.Path(tmp), t.dc, t.ds.Path(file), t.dc, true)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		_ = t.deleteFile(context.WithoutCancel(ctx), tmp)
		return 0, fmt.Errorf("vsphere put %s: move into place: %w", key, err)
	}
	return size, nil
}

// fileExists reports whether err is vSphere's FileAlreadyExists fault.
func fileExists(err error) bool {
	return fault.Is(err, &types.FileAlreadyExists{})
}

// Get downloads the file of key.
func (t *VSphere) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	file := t.file(key)
	if _, err := t.ds.Stat(ctx, file); err != nil {
		if isNoSuchFile(err) {
			return nil, fmt.Errorf("vsphere get %s: %w", t.ds.Path(file), ErrNotFound)
		}
		return nil, fmt.Errorf("vsphere get %s: %w", t.ds.Path(file), err)
	}
	body, _, err := t.ds.Download(ctx, file, &soap.DefaultDownload)
	if err != nil {
		return nil, fmt.Errorf("vsphere get %s: %w", t.ds.Path(file), err)
	}
	return body, nil
}

// isNoSuchFile reports whether err of Datastore.Stat says the file or its
// folder does not exist.
func isNoSuchFile(err error) bool {
	var noFile object.DatastoreNoSuchFileError
	var noDir object.DatastoreNoSuchDirectoryError
	return errors.As(err, &noFile) || errors.As(err, &noDir)
}

// Delete deletes the file of key.
func (t *VSphere) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := t.deleteFile(ctx, t.file(key)); err != nil {
		return fmt.Errorf("vsphere delete %s: %w", t.ds.Path(t.file(key)), err)
	}
	return nil
}

func (t *VSphere) deleteFile(ctx context.Context, file string) error {
	task, err := object.NewFileManager(t.cfg.Client).DeleteDatastoreFile(ctx, t.ds.Path(file), t.dc)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil && !types.IsFileNotFound(err) {
		return err
	}
	return nil
}

// List searches the folder and its subfolders with the datastore browser.
func (t *VSphere) List(ctx context.Context, prefix string) ([]string, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	browser, err := t.ds.Browser(ctx)
	if err != nil {
		return nil, fmt.Errorf("vsphere list: %w", err)
	}
	root := t.ds.Path(t.cfg.Folder)
	task, err := browser.SearchDatastoreSubFolders(ctx, root, &types.HostDatastoreBrowserSearchSpec{MatchPattern: []string{"*"}})
	if err != nil {
		return nil, fmt.Errorf("vsphere list %s: %w", root, err)
	}
	info, err := task.WaitForResult(ctx, nil)
	if types.IsFileNotFound(err) {
		return nil, nil // no folder yet: no objects
	}
	if err != nil {
		return nil, fmt.Errorf("vsphere list %s: %w", root, err)
	}
	results, _ := info.Result.(types.ArrayOfHostDatastoreBrowserSearchResults)
	var keys []string
	for _, res := range results.HostDatastoreBrowserSearchResults {
		dir := strings.TrimPrefix(strings.TrimPrefix(res.FolderPath, root), "/")
		for _, f := range res.File {
			fi := f.GetFileInfo()
			if _, isDir := f.(*types.FolderFileInfo); isDir || strings.HasPrefix(fi.Path, ".") {
				continue
			}
			if k := path.Join(dir, fi.Path); strings.HasPrefix(k, prefix) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys, nil
}
