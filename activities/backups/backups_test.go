package backups_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/activities/backups"
	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// The test cluster: one control plane whose SSH server listens on sshPort.
// version is the cluster's Kubernetes version: the default.
var version = domain.KubernetesVersions().Default

const (
	sshPort = 2226
	cpIP    = "127.20.81.10"
	cpName  = "bk-cp-0"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// TestSnapshotEtcd boots a simulated control plane, puts a Secret into its
// API server and backs its etcd up to a directory target with the real
// inventory: the object decrypts to a snapshot etcdutl accepts at the
// recorded revision, holds the Secret, yet its encrypted bytes do not; the
// PKI is beside it; a retry is the same backup; retention keeps the newest.
func TestSnapshotEtcd(t *testing.T) {
	if _, err := kubeproc.Binaries(version); err != nil {
		t.Fatal(err)
	}
	tools, err := kubeproc.FindEtcdTools(version)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	store := inventorytest.NewStore(t)
	vin := domain.VCenterInput{Name: "vc1", Server: "vc", Username: "u", Password: "p"}
	_ = vin.Validate()
	if _, err := store.CreateVCenter(ctx, vin); err != nil {
		t.Fatal(err)
	}
	sim, err := nodetest.NewCluster("bk", version, cpIP)
	if err != nil {
		t.Fatal(err)
	}
	privPEM, authorized, err := pki.NewSSHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := store.CreateCluster(ctx, domain.ClusterSpec{Name: "bk", VCenter: "vc1", KubernetesVersion: version}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.PutClusterSecret(ctx, cluster.ID, bootstrap.SecretSSHPrivateKey, privPEM); err != nil {
		t.Fatal(err)
	}
	spec := sim.InitNode(cpName, cpIP)
	spec.SSHAuthorizedKey = authorized
	var fault atomic.Bool // the ssh.exec fault, armed by a subtest
	cp := bootNode(t, spec, func() bool { return fault.CompareAndSwap(true, false) })
	client, err := sim.AdminClient(sim.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodetest.WaitReady(ctx, client, 3*time.Minute, version, cpName); err != nil {
		t.Fatalf("%v; control plane %+v", err, cp.Status())
	}
	canary := "canary-" + rand.Text()
	_, err = client.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "backup-canary"}, Data: map[string][]byte{"password": []byte(canary)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	master := make([]byte, 32)
	_, _ = rand.Read(master)
	key, err := backupstore.DeriveKey(master)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := backupstore.NewDirectory(filepath.Join(t.TempDir(), "backups"))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	acts := &backups.Activities{
		Nodes: &nodes.Activities{Keys: &bootstrap.Source{Store: store}, HostKeys: store, Dialer: nodes.Dialer{Port: sshPort}, Logger: logger},
		Store: store, Key: key, Targets: map[string]backupstore.Target{"local": dir}, DefaultTarget: "local", Logger: logger,
	}
	ref := nodes.NodeRef{ClusterID: cluster.ID, Node: cpName, Address: cpIP}

	first := newID(t)
	began := time.Now()
	res, err := acts.SnapshotEtcd(ctx, backups.SnapshotInput{BackupID: first, Node: ref})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backup took %s: %d bytes encrypted (%d plain), revision %d",
		time.Since(began).Round(time.Millisecond), res.SizeBytes, res.SnapshotSizeBytes, res.EtcdRevision)
	rec, err := store.GetBackup(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != domain.BackupCompleted || rec.ClusterID != cluster.ID || rec.Node != cpName || rec.KubernetesVersion != version ||
		rec.TargetKind != domain.TargetDirectory || rec.TargetLocation != dir.Location() || rec.Encryption != backupstore.Scheme ||
		rec.KeyID != key.ID() || rec.EtcdRevision != res.EtcdRevision || rec.SizeBytes != res.SizeBytes || rec.SHA256 != res.SHA256 ||
		rec.PKIObjectKey == "" || rec.PKISizeBytes == 0 || rec.EtcdHash == 0 {
		t.Fatalf("recorded %+v; result %+v", rec, res)
	}

	t.Run("SnapshotObject", func(t *testing.T) {
		sealed := readObject(t, dir, rec.ObjectKey)
		sum := sha256.Sum256(sealed)
		if int64(len(sealed)) != rec.SizeBytes || hex.EncodeToString(sum[:]) != rec.SHA256 {
			t.Fatalf("object of %d bytes, sha256 %x; recorded %d, %s", len(sealed), sum, rec.SizeBytes, rec.SHA256)
		}
		for _, clear := range [][]byte{[]byte(canary), []byte(base64.StdEncoding.EncodeToString([]byte(canary))), []byte("/registry/secrets/")} {
			if bytes.Contains(sealed, clear) {
				t.Errorf("the stored object holds %q in clear", clear)
			}
		}
		plain := decrypt(t, key, sealed)
		psum := sha256.Sum256(plain)
		if !bytes.Contains(plain, []byte(canary)) || hex.EncodeToString(psum[:]) != rec.SnapshotSHA256 || int64(len(plain)) != rec.SnapshotSizeBytes {
			t.Fatalf("the decrypted snapshot (%d bytes) does not hold the Secret or does not match the record", len(plain))
		}
		file := filepath.Join(t.TempDir(), "snapshot.db")
		if err := os.WriteFile(file, plain, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(ctx, tools.Etcdutl, "snapshot", "status", file, "-w", "json").Output()
		if err != nil {
			t.Fatalf("etcdutl snapshot status: %v", err)
		}
		var st backups.SnapshotStatus
		if err := json.Unmarshal(out, &st); err != nil || st.Revision != rec.EtcdRevision || st.Hash != rec.EtcdHash {
			t.Fatalf("etcdutl says %s (%v); recorded revision %d, hash %d", out, err, rec.EtcdRevision, rec.EtcdHash)
		}
		// Without the key it is no snapshot.
		raw := filepath.Join(t.TempDir(), "sealed.db")
		if err := os.WriteFile(raw, sealed, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.CommandContext(ctx, tools.Etcdutl, "snapshot", "status", raw, "-w", "json").CombinedOutput(); err == nil {
			t.Errorf("etcdutl reads the encrypted object: %s", out)
		}
		// Nothing is left on the node.
		if entries, err := os.ReadDir(filepath.Join(cp.RootDir(), "var/lib/clusterwright/backup")); err != nil || len(entries) != 0 {
			t.Errorf("left on the node: %v, %v", entries, err)
		}
	})

	t.Run("PKIObject", func(t *testing.T) {
		sealed := readObject(t, dir, rec.PKIObjectKey)
		sum := sha256.Sum256(sealed)
		if int64(len(sealed)) != rec.PKISizeBytes || hex.EncodeToString(sum[:]) != rec.PKISHA256 || bytes.Contains(sealed, []byte("PRIVATE KEY")) {
			t.Fatalf("PKI object of %d bytes, sha256 %x; recorded %d, %s", len(sealed), sum, rec.PKISizeBytes, rec.PKISHA256)
		}
		files := untar(t, decrypt(t, key, sealed))
		for _, name := range []string{"pki/ca.key", "pki/etcd/ca.key", "pki/sa.key", "pki/apiserver.crt"} {
			want, err := os.ReadFile(filepath.Join(cp.RootDir(), "etc/kubernetes", name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(files[name], want) {
				t.Errorf("%s in the archive differs from the node's", name)
			}
		}
	})

	t.Run("RetryIsTheSameBackup", func(t *testing.T) {
		again, err := acts.SnapshotEtcd(ctx, backups.SnapshotInput{BackupID: first, Node: ref, Target: "local"})
		if err != nil {
			t.Fatal(err)
		}
		list, _, err := store.ListBackups(ctx, cluster.ID, inventory.BackupFilter{IncludeDeleted: true}, inventory.Page{})
		if err != nil || len(list) != 1 || list[0].ID != first || !list[0].CreatedAt.Equal(rec.CreatedAt) || list[0].SHA256 != again.SHA256 {
			t.Fatalf("after a retry: %+v, %v", list, err)
		}
		keys, err := dir.List(ctx, cluster.ID+"/")
		if err != nil || len(keys) != 2 {
			t.Fatalf("objects after a retry: %v, %v", keys, err)
		}
	})

	t.Run("Retention", func(t *testing.T) {
		ids := []string{first}
		for range 2 {
			id := newID(t)
			if _, err := acts.SnapshotEtcd(ctx, backups.SnapshotInput{BackupID: id, Node: ref}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		res, err := acts.ApplyRetention(ctx, backups.RetentionInput{ClusterID: cluster.ID, Keep: 2})
		if err != nil || !slices.Equal(res.Deleted, []string{first}) {
			t.Fatalf("retention deleted %v, %v; want %s", res.Deleted, err, first)
		}
		list, _, err := store.ListBackups(ctx, cluster.ID, inventory.BackupFilter{}, inventory.Page{})
		if err != nil || len(list) != 2 || list[0].ID != ids[2] || list[1].ID != ids[1] {
			t.Fatalf("left %+v, %v", list, err)
		}
		keys, err := dir.List(ctx, cluster.ID+"/")
		if err != nil || len(keys) != 4 || slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, first) }) {
			t.Fatalf("objects left %v, %v", keys, err)
		}
	})

	// The same backup to an S3-compatible server and to a datastore folder.
	t.Run("OtherTargets", func(t *testing.T) {
		acts.Targets["s3"] = startS3(t)
		acts.Targets["datastore"] = startDatastore(t)
		for _, name := range []string{"s3", "datastore"} {
			res, err := acts.SnapshotEtcd(ctx, backups.SnapshotInput{BackupID: newID(t), Node: ref, Target: name})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			target := acts.Targets[name]
			rec, err := store.GetBackup(ctx, res.BackupID)
			if err != nil || rec.TargetKind != target.Kind() || rec.TargetLocation != target.Location() {
				t.Fatalf("%s: recorded %+v, %v", name, rec, err)
			}
			sealed := readObject(t, target, rec.ObjectKey)
			if sum := sha256.Sum256(sealed); hex.EncodeToString(sum[:]) != rec.SHA256 || bytes.Contains(sealed, []byte(canary)) {
				t.Fatalf("%s: object sha256 %x, recorded %s (or it holds the Secret in clear)", name, sum, rec.SHA256)
			}
			file := filepath.Join(t.TempDir(), "snapshot.db")
			if err := os.WriteFile(file, decrypt(t, key, sealed), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.CommandContext(ctx, tools.Etcdutl, "snapshot", "status", file, "-w", "json").Output()
			var st backups.SnapshotStatus
			if err != nil || json.Unmarshal(out, &st) != nil || st.Revision != rec.EtcdRevision {
				t.Fatalf("%s: etcdutl says %s (%v); recorded revision %d", name, out, err, rec.EtcdRevision)
			}
		}
	})

	// A command that fails once fails the activity retryably with the
	// command's message; the retry completes the same backup.
	t.Run("ExecFault", func(t *testing.T) {
		id := newID(t)
		fault.Store(true)
		_, err := acts.SnapshotEtcd(ctx, backups.SnapshotInput{BackupID: id, Node: ref})
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != nodes.ErrTypeCommandFailed || appErr.NonRetryable() ||
			!strings.Contains(err.Error(), "exited with status 1") {
			t.Fatalf("faulted backup: %v", err)
		}
		if _, err := store.GetBackup(ctx, id); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("a failed backup was recorded: %v", err)
		}
		if _, err := acts.SnapshotEtcd(ctx, backups.SnapshotInput{BackupID: id, Node: ref}); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if b, err := store.GetBackup(ctx, id); err != nil || b.State != domain.BackupCompleted {
			t.Fatalf("after the retry: %+v, %v", b, err)
		}
	})

	t.Run("InvalidInput", func(t *testing.T) {
		for _, in := range []backups.SnapshotInput{
			{BackupID: "not-a-uuid", Node: ref},
			{BackupID: newID(t), Node: ref, Target: "nowhere"},
		} {
			_, err := acts.SnapshotEtcd(ctx, in)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != backups.ErrTypeInvalidInput || !appErr.NonRetryable() {
				t.Errorf("input %+v: %v", in, err)
			}
		}
		if _, err := acts.ApplyRetention(ctx, backups.RetentionInput{ClusterID: cluster.ID, Keep: 0}); err == nil {
			t.Error("a retention keeping nothing was accepted")
		}
	})

	if strings.Contains(logs.String(), canary) {
		t.Error("the Secret's value is in the log")
	}
}

// bootNode makes and powers on a simulated node from spec.
func bootNode(t *testing.T, spec cloudinit.NodeSpec, fault func() bool) *node.Node {
	t.Helper()
	md, ud, err := cloudinit.Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{
		Metadata: md, Userdata: ud,
		VM:      node.VM{Ref: "vm-" + spec.Hostname, Name: spec.Hostname, UUID: "4211" + spec.Hostname, NumCPU: 2, MemoryMB: 4096},
		RootDir: filepath.Join(t.TempDir(), spec.Hostname),
		Logger:  slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		SSHPort: sshPort, SSHExecFault: fault,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.PowerOff)
	n.PowerOn()
	return n
}

func readObject(t *testing.T, target backupstore.Target, key string) []byte {
	t.Helper()
	rc, err := target.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decrypt(t *testing.T, key *backupstore.Key, sealed []byte) []byte {
	t.Helper()
	r, err := key.Decrypt(bytes.NewReader(sealed))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// untar returns the regular files of a tar.gz by name.
func untar(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			files[h.Name], _ = io.ReadAll(tr)
		}
	}
}
