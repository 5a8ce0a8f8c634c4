package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
)

// TestBackupSettings: the "local" target defaults to <cache-dir>/backups, "s3" is
// configured by its bucket (its secret key from a file), and bad settings are refused
// without quoting the secret.
func TestBackupSettings(t *testing.T) {
	master := make([]byte, 32)
	cache := t.TempDir()
	b, err := (&Config{CacheDir: cache}).backups(master)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Targets[TargetLocal].Location(); got != filepath.Join(cache, "backups") || b.DefaultTarget != TargetLocal ||
		b.Retention != domain.DefaultRetention || strings.Join(b.TargetNames(), ",") != "local" || b.Key == nil {
		t.Fatalf("defaults: location %s, %+v", got, b)
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
	b, err = cfg.backups(master)
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
		_, err := c.backups(m)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
