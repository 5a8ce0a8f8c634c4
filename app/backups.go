package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/vim25"

	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/domain"
)

// Names of the backup targets the settings configure.
const (
	// TargetLocal is the directory target: --backup-dir, by default <cache-dir>/backups.
	TargetLocal = "local"
	// TargetS3 is the S3-compatible bucket of --backup-s3-bucket, when set.
	TargetS3 = "s3"
	// TargetVSphere is the datastore folder of --backup-vsphere-vcenter, when set.
	TargetVSphere = "vsphere"
)

// DefaultBackupVSphereFolder is the datastore folder of the "vsphere" target unless
// --backup-vsphere-folder says.
const DefaultBackupVSphereFolder = "clusterwright-backups"

// EnvBackupS3SecretAccessKey holds the S3 target's secret access key. It is read from
// the environment only (or the file of --backup-s3-secret-access-key-file), never a
// flag, so that it shows in no process list or usage text.
const EnvBackupS3SecretAccessKey = "CLUSTERWRIGHT_BACKUP_S3_SECRET_ACCESS_KEY"

// BackupSettings configure where etcd backups go and how many are kept.
type BackupSettings struct {
	// BackupDir is the directory of the "local" target.
	BackupDir string
	// BackupTarget names the default target ("local", "s3" or "vsphere").
	BackupTarget string
	// BackupRetention is how many newest backups of a cluster a backup keeps when its
	// request does not say (default 7).
	BackupRetention string
	// The S3-compatible bucket of the "s3" target, configured when BackupS3Bucket is set.
	BackupS3Endpoint      string
	BackupS3Bucket        string
	BackupS3Region        string
	BackupS3Prefix        string
	BackupS3PathStyle     string
	BackupS3AccessKeyID   string
	BackupS3SecretKeyFile string
	// BackupS3SecretAccessKey is the secret key itself: from $CLUSTERWRIGHT_BACKUP_S3_SECRET_ACCESS_KEY
	// (see EnvBackupS3SecretAccessKey) or set by a test; it wins over the file.
	BackupS3SecretAccessKey string
	// The datastore folder of the "vsphere" target, configured when BackupVSphereVCenter
	// names a vCenter; the vCenter may be registered in the inventory after the service
	// starts (its sealed credentials log in at the target's first use).
	BackupVSphereVCenter    string
	BackupVSphereDatacenter string
	BackupVSphereDatastore  string
	BackupVSphereFolder     string
}

// backupSettings are the settings of BackupSettings, bound to c's fields.
func (c *Config) backupSettings() []Setting {
	return []Setting{
		{"backup-dir", "CLUSTERWRIGHT_BACKUP_DIR", "", "directory of the \"local\" etcd backup target (default: <cache-dir>/backups)", &c.BackupDir},
		{"backup-target", "CLUSTERWRIGHT_BACKUP_TARGET", TargetLocal, "backup target of a backup whose request names none: local, s3 or vsphere", &c.BackupTarget},
		{"backup-retention", "CLUSTERWRIGHT_BACKUP_RETENTION", strconv.Itoa(domain.DefaultRetention), "newest backups of a cluster kept when a backup request does not say (1 to 1000)", &c.BackupRetention},
		{"backup-s3-endpoint", "CLUSTERWRIGHT_BACKUP_S3_ENDPOINT", "", "URL of the S3-compatible server of the \"s3\" backup target (empty: AWS)", &c.BackupS3Endpoint},
		{"backup-s3-bucket", "CLUSTERWRIGHT_BACKUP_S3_BUCKET", "", "bucket of the \"s3\" backup target; set to configure it", &c.BackupS3Bucket},
		{"backup-s3-region", "CLUSTERWRIGHT_BACKUP_S3_REGION", "us-east-1", "region of the \"s3\" backup target", &c.BackupS3Region},
		{"backup-s3-prefix", "CLUSTERWRIGHT_BACKUP_S3_PREFIX", "", "folder in the bucket of the \"s3\" backup target", &c.BackupS3Prefix},
		{"backup-s3-path-style", "CLUSTERWRIGHT_BACKUP_S3_PATH_STYLE", "false", "address the bucket in the path (most S3-compatible servers want true)", &c.BackupS3PathStyle},
		{"backup-s3-access-key-id", "CLUSTERWRIGHT_BACKUP_S3_ACCESS_KEY_ID", "", "access key id of the \"s3\" backup target", &c.BackupS3AccessKeyID},
		{"backup-s3-secret-access-key-file", "CLUSTERWRIGHT_BACKUP_S3_SECRET_ACCESS_KEY_FILE", "", "file holding the secret access key of the \"s3\" backup target (or $" + EnvBackupS3SecretAccessKey + ")", &c.BackupS3SecretKeyFile},
		{"backup-vsphere-vcenter", "CLUSTERWRIGHT_BACKUP_VSPHERE_VCENTER", "", "name of the registered vCenter whose datastore holds the \"vsphere\" backup target; set to configure it", &c.BackupVSphereVCenter},
		{"backup-vsphere-datacenter", "CLUSTERWRIGHT_BACKUP_VSPHERE_DATACENTER", "", "datacenter of the \"vsphere\" backup target's datastore", &c.BackupVSphereDatacenter},
		{"backup-vsphere-datastore", "CLUSTERWRIGHT_BACKUP_VSPHERE_DATASTORE", "", "datastore of the \"vsphere\" backup target", &c.BackupVSphereDatastore},
		{"backup-vsphere-folder", "CLUSTERWRIGHT_BACKUP_VSPHERE_FOLDER", DefaultBackupVSphereFolder, "folder in the datastore of the \"vsphere\" backup target", &c.BackupVSphereFolder},
	}
}

// Backups are the configured backup targets, the key backups are encrypted with and
// the default retention.
type Backups struct {
	Key           *backupstore.Key
	OldKeys       []*backupstore.Key // of the old master keys: they decrypt older backups
	Targets       map[string]backupstore.Target
	DefaultTarget string
	Retention     int
}

// TargetNames lists the configured targets' names, sorted.
func (b *Backups) TargetNames() []string {
	names := make([]string, 0, len(b.Targets))
	for name := range b.Targets {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// VCenterClients give logged-in clients of the vCenters registered in the inventory,
// by name; the "vsphere" backup target asks at each use. Errors hold no credential and
// wrap domain.ErrNotFound for a name not registered.
type VCenterClients interface {
	VCenterClient(ctx context.Context, name string) (*vim25.Client, error)
}

// backups builds the backup targets of the settings and derives the backup key from
// the master key (and keys from the old master keys, which read older backups);
// vcenters log the "vsphere" target in. Errors never hold a credential.
func (c *Config) backups(master []byte, vcenters VCenterClients, oldMasters ...[]byte) (*Backups, error) {
	key, err := backupstore.DeriveKey(master)
	if err != nil {
		return nil, err
	}
	var oldKeys []*backupstore.Key
	for _, m := range oldMasters {
		old, err := backupstore.DeriveKey(m)
		if err != nil {
			return nil, err
		}
		oldKeys = append(oldKeys, old)
	}
	retention := domain.DefaultRetention
	if c.BackupRetention != "" {
		retention, err = strconv.Atoi(c.BackupRetention)
		if err != nil || retention < 1 || retention > domain.MaxBackupRetention {
			return nil, fmt.Errorf("backup-retention %q: want a number from 1 to %d", c.BackupRetention, domain.MaxBackupRetention)
		}
	}
	dir := c.BackupDir
	if dir == "" {
		cache := c.CacheDir
		if cache == "" {
			if cache, err = os.UserCacheDir(); err != nil {
				return nil, fmt.Errorf("backup-dir: none set and no user cache directory: %w", err)
			}
			cache = filepath.Join(cache, "clusterwright")
		}
		dir = filepath.Join(cache, "backups")
	}
	local, err := backupstore.NewDirectory(dir)
	if err != nil {
		return nil, fmt.Errorf("backup-dir: %w", err)
	}
	b := &Backups{Key: key, OldKeys: oldKeys, Targets: map[string]backupstore.Target{TargetLocal: local},
		DefaultTarget: orDefault(c.BackupTarget, TargetLocal), Retention: retention}
	if c.BackupS3Bucket != "" {
		s3, err := c.s3Target()
		if err != nil {
			return nil, err
		}
		b.Targets[TargetS3] = s3
	}
	if c.BackupVSphereVCenter != "" {
		vs, err := c.vsphereTarget(vcenters)
		if err != nil {
			return nil, err
		}
		b.Targets[TargetVSphere] = vs
	}
	if _, ok := b.Targets[b.DefaultTarget]; !ok {
		return nil, fmt.Errorf("backup-target %q: no such target is configured (have %v)", b.DefaultTarget, b.TargetNames())
	}
	return b, nil
}

// s3Target is the "s3" target of the settings.
func (c *Config) s3Target() (*backupstore.S3, error) {
	pathStyle, err := strconv.ParseBool(orDefault(c.BackupS3PathStyle, "false"))
	if err != nil {
		return nil, fmt.Errorf("backup-s3-path-style %q: want true or false", c.BackupS3PathStyle)
	}
	secret := c.BackupS3SecretAccessKey
	if secret == "" {
		secret = os.Getenv(EnvBackupS3SecretAccessKey)
	}
	if secret == "" && c.BackupS3SecretKeyFile != "" {
		b, err := os.ReadFile(c.BackupS3SecretKeyFile)
		if err != nil {
			// The path is no secret; the error of reading it holds no content.
			return nil, fmt.Errorf("backup-s3-secret-access-key-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if (c.BackupS3AccessKeyID == "") != (secret == "") {
		return nil, errors.New("backup target s3: set both the access key id and the secret access key, or neither")
	}
	t, err := backupstore.NewS3(backupstore.S3Config{Endpoint: c.BackupS3Endpoint, Region: orDefault(c.BackupS3Region, "us-east-1"),
		Bucket: c.BackupS3Bucket, Prefix: c.BackupS3Prefix, PathStyle: pathStyle,
		AccessKeyID: c.BackupS3AccessKeyID, SecretAccessKey: secret})
	if err != nil {
		return nil, fmt.Errorf("backup target s3: %w", err)
	}
	return t, nil
}

// vsphereTarget is the "vsphere" target of the settings: a datastore folder of the
// vCenter BackupVSphereVCenter names, logged in through vcenters at each use (the
// vCenter may be registered after the service starts). An object is spooled, encrypted,
// to a private file in the system's temporary directory while it is uploaded.
func (c *Config) vsphereTarget(vcenters VCenterClients) (*backupstore.LazyVSphere, error) {
	name := c.BackupVSphereVCenter
	switch {
	case c.BackupVSphereDatacenter == "":
		return nil, errors.New("backup-vsphere-datacenter: required with backup-vsphere-vcenter")
	case c.BackupVSphereDatastore == "":
		return nil, errors.New("backup-vsphere-datastore: required with backup-vsphere-vcenter")
	case vcenters == nil:
		return nil, errors.New("backup-vsphere-vcenter: this process has no vCenter sessions")
	}
	connect := func(ctx context.Context) (*vim25.Client, error) {
		client, err := vcenters.VCenterClient(ctx, name)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, fmt.Errorf("backup-vsphere-vcenter %q: no vCenter of this name is registered: %w", name, err)
		}
		if err != nil {
			return nil, fmt.Errorf("backup-vsphere-vcenter %q: %w", name, err)
		}
		return client, nil
	}
	t, err := backupstore.NewLazyVSphere(backupstore.VSphereConfig{Datacenter: c.BackupVSphereDatacenter,
		Datastore: c.BackupVSphereDatastore, Folder: orDefault(c.BackupVSphereFolder, DefaultBackupVSphereFolder)}, connect)
	if err != nil {
		return nil, fmt.Errorf("backup-vsphere-folder: %w", err)
	}
	return t, nil
}
