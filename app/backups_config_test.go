package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vmware/govmomi/vim25"

	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// TestBackupSettings: the "local" target defaults to <cache-dir>/backups, "s3" is
// configured by its bucket (its secret key from a file), and bad settings are refused
// without quoting the secret.
func TestBackupSettings(t *testing.T) {
	master := make([]byte, 32)
	cache := t.TempDir()
	b, err := (&Config{CacheDir: cache}).backups(master, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Targets[TargetLocal].Location(); got != filepath.Join(cache, "backups") || b.DefaultTarget != TargetLocal ||
		b.Retention != domain.DefaultRetention || strings.Join(b.TargetNames(), ",") != "local" || b.Key == nil {
		t.Fatalf("defaults: location %s, %+v", got, b)
	}
	old := bytes.Repeat([]byte{7}, 32)
	withOld, err := (&Config{CacheDir: cache}).backups(master, nil, old)
	if err != nil {
		t.Fatal(err)
	}
	if oldKey, _ := backupstore.DeriveKey(old); len(withOld.OldKeys) != 1 || withOld.OldKeys[0].ID() != oldKey.ID() || withOld.Key.ID() != b.Key.ID() {
		t.Fatalf("old master keys: backup keys %+v", withOld.OldKeys)
	}
	if fi, err := os.Stat(filepath.Join(cache, "backups")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("backup directory: %v, %v", fi, err)
	}

	const secret = "never-print-this-secret"
	file := filepath.Join(t.TempDir(), "s3-secret")
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{CacheDir: cache, BackupSettings: BackupSettings{BackupDir: filepath.Join(cache, "elsewhere"), BackupTarget: TargetS3,
		BackupRetention: "3", BackupS3Endpoint: "http://127.0.0.1:9000", BackupS3Bucket: "etcd", BackupS3Prefix: "cw", BackupS3PathStyle: "true",
		BackupS3AccessKeyID: "AKID", BackupS3SecretKeyFile: file}}
	b, err = cfg.backups(master, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.DefaultTarget != TargetS3 || b.Retention != 3 || strings.Join(b.TargetNames(), ",") != "local,s3" ||
		b.Targets[TargetS3].Location() != "http://127.0.0.1:9000/etcd/cw" || b.Targets[TargetLocal].Location() != filepath.Join(cache, "elsewhere") {
		t.Fatalf("with s3: %+v, %s", b, b.Targets[TargetS3].Location())
	}

	for name, change := range map[string]func(*Config){
		"retention 0":          func(c *Config) { c.BackupRetention = "0" },
		"unknown default":      func(c *Config) { c.BackupTarget = "tape" },
		"s3 default, no s3":    func(c *Config) { c.BackupS3Bucket = "" },
		"secret without id":    func(c *Config) { c.BackupS3AccessKeyID = "" },
		"path style not bool":  func(c *Config) { c.BackupS3PathStyle = "sometimes" },
		"endpoint not a URL":   func(c *Config) { c.BackupS3Endpoint = "ftp://u:" + secret + "@host" },
		"secret file missing":  func(c *Config) { c.BackupS3SecretKeyFile = file + ".gone" },
		"master key too short": func(c *Config) {},
	} {
		c := cfg
		change(&c)
		m := master
		if name == "master key too short" {
			m = master[:16]
		}
		_, err := c.backups(m, nil)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// simVCenters gives clients of a simulated vCenter registered under the names of creds,
// through a real session pool, and counts the asks.
type simVCenters struct {
	sessions *vsphere.Sessions
	creds    map[string]domain.VCenterCredentials
	asks     atomic.Int32
}

func (s *simVCenters) VCenterClient(ctx context.Context, name string) (*vim25.Client, error) {
	s.asks.Add(1)
	creds, ok := s.creds[name]
	if !ok {
		return nil, fmt.Errorf("vcenter %s: %w", name, domain.ErrNotFound)
	}
	c, err := s.sessions.Client(ctx, name, creds)
	if err != nil {
		return nil, err
	}
	return c.Client, nil
}

// TestBackupSettingsVSphere: the "vsphere" target is configured by its vCenter's name
// without logging in; its first use logs in to the vCenter registered by then and puts
// objects into the datastore folder; an unregistered vCenter or a wrong password fails
// the use with an error naming the setting and holding no password; incomplete settings
// are refused naming the one missing.
func TestBackupSettingsVSphere(t *testing.T) {
	ctx := t.Context()
	vc, err := sim.StartVCenter(sim.VCenterOptions{VMs: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	const wrong = "wrong-password-never-shown"
	sessions := vsphere.NewSessions(nil)
	t.Cleanup(func() { sessions.Close(context.WithoutCancel(ctx)) })
	good := domain.VCenterCredentials{Server: vc.URL().String(), Username: vc.Username, Password: vc.Password, Insecure: true}
	bad := good
	bad.Password = wrong
	vcenters := &simVCenters{sessions: sessions, creds: map[string]domain.VCenterCredentials{"vc-bad": bad}}

	cfg := Config{CacheDir: t.TempDir(), BackupSettings: BackupSettings{BackupTarget: TargetVSphere,
		BackupVSphereVCenter: "vc1", BackupVSphereDatacenter: sim.DefaultDatacenter, BackupVSphereDatastore: sim.DefaultDatastore}}
	b, err := cfg.backups(make([]byte, 32), vcenters)
	if err != nil {
		t.Fatal(err)
	}
	target := b.Targets[TargetVSphere]
	wantLocation := sim.DefaultDatacenter + " [" + sim.DefaultDatastore + "] " + DefaultBackupVSphereFolder
	if b.DefaultTarget != TargetVSphere || strings.Join(b.TargetNames(), ",") != "local,vsphere" || target.Kind() != domain.TargetVSphere ||
		target.Location() != wantLocation || vcenters.asks.Load() != 0 {
		t.Fatalf("vsphere target: %+v, location %q (want %q), %d vCenter logins asked", b, target.Location(), wantLocation, vcenters.asks.Load())
	}
	// Not registered yet: the use fails naming the setting.
	if _, err := target.List(ctx, ""); !errors.Is(err, domain.ErrNotFound) || !strings.Contains(err.Error(), `backup-vsphere-vcenter "vc1"`) {
		t.Fatalf("list before vc1 is registered: %v", err)
	}
	// Registered now: the next use logs in and reaches the datastore folder.
	vcenters.creds["vc1"] = good
	if _, err := target.Put(ctx, "c1/b1/etcd.db.age", strings.NewReader("sealed")); err != nil {
		t.Fatal(err)
	}
	if keys, err := target.List(ctx, "c1/"); err != nil || strings.Join(keys, ",") != "c1/b1/etcd.db.age" {
		t.Fatalf("list after a put: %v, %v", keys, err)
	}
	if sessions.LoginsOf("vc1") != 1 {
		t.Errorf("logins to vc1 = %d, want 1 (one session for every use)", sessions.LoginsOf("vc1"))
	}

	// A wrong password fails the use; the error names the setting, not the password.
	withBad := cfg
	withBad.BackupVSphereVCenter = "vc-bad"
	b, err = withBad.backups(make([]byte, 32), vcenters)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Targets[TargetVSphere].List(ctx, ""); err == nil || strings.Contains(err.Error(), wrong) ||
		!strings.Contains(err.Error(), `backup-vsphere-vcenter "vc-bad"`) {
		t.Fatalf("list with a wrong password: %v", err)
	}

	for name, c := range map[string]struct {
		change  func(*Config)
		setting string
	}{
		"no datacenter":          {func(c *Config) { c.BackupVSphereDatacenter = "" }, "backup-vsphere-datacenter"},
		"no datastore":           {func(c *Config) { c.BackupVSphereDatastore = "" }, "backup-vsphere-datastore"},
		"folder leaves":          {func(c *Config) { c.BackupVSphereFolder = "../elsewhere" }, "backup-vsphere-folder"},
		"vsphere default, no vc": {func(c *Config) { c.BackupVSphereVCenter = "" }, "backup-target"},
	} {
		bad := cfg
		c.change(&bad)
		if _, err := bad.backups(make([]byte, 32), vcenters); err == nil || !strings.Contains(err.Error(), c.setting) {
			t.Errorf("%s: %v, want an error naming %s", name, err, c.setting)
		}
	}
	if _, err := cfg.backups(make([]byte, 32), nil); err == nil || !strings.Contains(err.Error(), "backup-vsphere-vcenter") {
		t.Errorf("vsphere target without vCenter sessions: %v", err)
	}
}
