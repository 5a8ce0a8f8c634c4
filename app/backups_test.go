package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/activities/backups"
	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/secrets"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestBackups provisions a one-node cluster, puts a Secret into it and backs it up
// through the API: two backups with retention 1 leave exactly the newest, whose object
// in the directory target decrypts with the key derived from the service's master key
// to a snapshot that etcdutl accepts at the recorded revision, while its stored bytes do
// not hold the Secret. A backup to the S3 target of the settings (a real S3-compatible
// server) and a scheduled backup succeed too.
func TestBackups(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	version := domain.KubernetesVersions().Default
	tools, err := kubeproc.FindEtcdTools(version)
	if err != nil {
		t.Fatal(err)
	}
	s3backend := s3mem.New()
	if err := s3backend.CreateBucket("etcd"); err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(gofakes3.New(s3backend).Server())
	t.Cleanup(s3srv.Close)
	const s3Secret = "s3-secret-never-shown"
	backupDir := filepath.Join(t.TempDir(), "backups")
	var masterKey string
	faults := sim.NewFaults()
	env := apptest.StartWith(t, apptest.Options{Datacenter: true, VCenter: sim.VCenterOptions{Faults: faults}, Config: func(c *app.Config) {
		masterKey = c.SecretKey
		c.BackupDir = backupDir
		c.BackupS3Endpoint, c.BackupS3Bucket, c.BackupS3Prefix, c.BackupS3PathStyle = s3srv.URL, "etcd", "cw", "true"
		c.BackupS3AccessKeyID, c.BackupS3SecretAccessKey = "AKIDTEST", s3Secret
	}})
	apptest.RegisterLab(t, env, "97")
	spec := apptest.ClusterSpec("bk", 1, 0)
	spec.Addons.KubeSphere = nil
	// The cluster is created with a daily backup schedule keeping 1; a bad one is refused
	// with the spec.
	create := func(schedule map[string]any) apptest.Response {
		body, err := json.Marshal(spec)
		if err != nil {
			t.Fatal(err)
		}
		var req map[string]any
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		req["backup_schedule"] = schedule
		return env.Do("POST", "/api/v1/clusters", env.AdminToken, req)
	}
	if r := create(map[string]any{"every": "1s", "retention": 1}); r.Status != http.StatusBadRequest ||
		!bytes.Contains(r.Body, []byte("backup_schedule.every")) {
		t.Fatalf("a cluster with a bad backup schedule: %d %s", r.Status, r.Body)
	}
	r := create(map[string]any{"every": "24h", "retention": 1})
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST /clusters: %d %s", r.Status, r.Body)
	}
	var provision api.OperationReply
	r.JSON(t, &provision)
	if op := env.WaitOperationFor(provision.Operation.ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s", op.State, op.Error)
	}
	ctx := t.Context()
	canary := "canary-" + rand.Text()
	if _, err := apptest.KubeClient(t, env, "bk").CoreV1().Secrets("default").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "backup-canary"}, Data: map[string][]byte{"password": []byte(canary)},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	viewer := env.Token("bk-viewer", domain.RoleViewer)
	operator := env.Token("bk-operator", domain.RoleOperator)

	if list := listBackups(t, env, viewer); len(list) != 0 {
		t.Fatalf("backups before any = %+v", list)
	}
	if r := env.Do("POST", "/api/v1/clusters/bk/backups", viewer, nil); r.Status != http.StatusForbidden {
		t.Errorf("a viewer starts a backup: %d %s", r.Status, r.Body)
	}
	for _, body := range []map[string]any{{"target": "nowhere"}, {"retention": -1}, {"color": "red"}} {
		if r := env.Do("POST", "/api/v1/clusters/bk/backups", operator, body); r.Status != http.StatusBadRequest {
			t.Errorf("backup %v: %d %s", body, r.Status, r.Body)
		}
	}

	// Two backups with retention 1: one at a time, and only the newest stays.
	first := startBackup(t, env, operator, map[string]any{"retention": 1})
	if r := env.Do("POST", "/api/v1/clusters/bk/backups", operator, nil); r.Status != http.StatusConflict {
		t.Errorf("a backup while another runs: %d %s", r.Status, r.Body)
	}
	first = waitBackup(t, env, first)
	c := apptest.GetCluster(t, env, "bk")
	if c.Phase != domain.PhaseReady || len(c.Nodes) != 1 {
		t.Fatalf("after the backup: phase %s, nodes %+v", c.Phase, c.Nodes)
	}
	wantSteps(t, first, workflows.StepChooseNode, workflows.StepSnapshot, workflows.StepRetention)
	began := time.Now()
	second := waitBackup(t, env, startBackup(t, env, operator, map[string]any{"retention": 1}))
	took := time.Since(began)
	env.CheckReplay("backup", second)
	list := listBackups(t, env, viewer)
	if len(list) != 1 || list[0].ID != second.ID {
		t.Fatalf("backups after two with retention 1 = %+v; want only %s", list, second.ID)
	}
	b := list[0]
	if b.State != domain.BackupCompleted || b.Node != c.Nodes[0].Name || b.KubernetesVersion != version || b.OperationID != second.ID ||
		b.TargetKind != domain.TargetDirectory || b.TargetLocation != backupDir || b.SizeBytes == 0 || b.EtcdRevision == 0 {
		t.Fatalf("backup %+v", b)
	}
	if r := env.Do("GET", "/api/v1/clusters/bk/backups/"+first.ID, viewer, nil); r.Status != http.StatusOK {
		t.Errorf("get the deleted backup: %d %s", r.Status, r.Body)
	} else {
		var old domain.Backup
		r.JSON(t, &old)
		if old.State != domain.BackupDeleted {
			t.Errorf("first backup after retention: %+v", old)
		}
	}
	if r := env.Do("GET", "/api/v1/clusters/bk/backups/not-a-backup", viewer, nil); r.Status != http.StatusNotFound {
		t.Errorf("get a bogus backup: %d %s", r.Status, r.Body)
	}
	if _, err := os.Stat(filepath.Join(backupDir, c.ID, first.ID)); !os.IsNotExist(err) {
		if entries, _ := os.ReadDir(filepath.Join(backupDir, c.ID, first.ID)); len(entries) > 0 {
			t.Errorf("the first backup's objects are still there: %v", entries)
		}
	}

	// The object decrypts with the key derived from the master key, to a snapshot etcdutl
	// accepts at the recorded revision; the stored bytes hold no Secret in clear.
	master, err := secrets.ParseKey(masterKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := backupstore.DeriveKey(master)
	if err != nil || key.ID() != b.KeyID {
		t.Fatalf("derived key %v (%v); backup's key id %s", key, err, b.KeyID)
	}
	sealed, err := os.ReadFile(filepath.Join(backupDir, filepath.FromSlash(b.ObjectKey)))
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, ctx, tools.Etcdutl, key, sealed, b, canary)
	t.Logf("a backup operation took %s: %d bytes encrypted (%d plain), revision %d", took.Round(time.Millisecond),
		b.SizeBytes, b.SnapshotSizeBytes, b.EtcdRevision)

	// To the S3 target of the settings.
	viaS3 := waitBackup(t, env, startBackup(t, env, operator, map[string]any{"target": app.TargetS3, "retention": 5}))
	list = listBackups(t, env, viewer)
	if len(list) != 2 || list[0].ID != viaS3.ID || list[0].TargetKind != domain.TargetS3 || list[1].ID != second.ID {
		t.Fatalf("backups after the S3 one = %+v", list)
	}
	obj, err := s3backend.GetObject("etcd", "cw/"+list[0].ObjectKey, nil)
	if err != nil {
		t.Fatalf("the S3 object: %v", err)
	}
	sealed, err = io.ReadAll(obj.Contents)
	_ = obj.Contents.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, ctx, tools.Etcdutl, key, sealed, list[0], canary)
	raw := env.Do("GET", "/api/v1/clusters/bk/backups", viewer, nil)
	if bytes.Contains(raw.Body, []byte(s3Secret)) || bytes.Contains(env.Logs.Bytes(), []byte(s3Secret)) {
		t.Error("the S3 secret key is in a reply or the log")
	}

	// SSH to the only control plane fails: no node has a healthy etcd, the operation
	// waits for a decision; a retry of choose-node completes the backup, whose id is the
	// operation's.
	if err := faults.Add(sim.Fault{Kind: sim.KindSSHExec, VM: c.Nodes[0].Name, Times: 1}); err != nil {
		t.Fatal(err)
	}
	faulted := startBackup(t, env, operator, map[string]any{"retention": 5})
	waiting := apptest.AwaitDecision(t, env, faulted.ID, workflows.StepChooseNode)
	if !strings.Contains(waiting.Decision.Reason, "no control-plane node has a healthy etcd member") ||
		!strings.Contains(waiting.Decision.Reason, c.Nodes[0].Name) {
		t.Errorf("decision reason %q", waiting.Decision.Reason)
	}
	if r := env.Do("POST", "/api/v1/operations/"+faulted.ID+"/retry", operator, nil); r.Status >= 300 {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	faulted = waitBackup(t, env, faulted)
	if runs := apptest.StepOf(t, faulted, workflows.StepChooseNode).Runs; len(runs) != 2 {
		t.Errorf("choose-node runs %+v", runs)
	}
	if r := env.Do("GET", "/api/v1/clusters/bk/backups/"+faulted.ID, viewer, nil); r.Status != http.StatusOK {
		t.Errorf("the retried backup: %d %s", r.Status, r.Body)
	}

	// A scheduled backup: the schedule made with the cluster, retention 1.
	var schedules api.List[domain.Schedule]
	env.Do("GET", "/api/v1/schedules?cluster=bk", viewer, nil).JSON(t, &schedules)
	if len(schedules.Items) != 1 || schedules.Items[0].Kind != domain.ScheduleBackup || schedules.Items[0].Every != "24h" ||
		schedules.Items[0].Retention != 1 || schedules.Items[0].CreatedBy != "admin" {
		t.Fatalf("schedules of the cluster = %+v", schedules.Items)
	}
	sc := schedules.Items[0]
	run := apptest.TriggerSchedule(t, env, operator, sc.ID)
	if run.Outcome != domain.RunSucceeded || len(run.Operations) != 1 {
		t.Fatalf("scheduled run = %+v", run)
	}
	scheduled := env.WaitOperationFor(run.Operations[0], 3*time.Minute)
	if scheduled.Kind != domain.OpBackupCluster || scheduled.State != domain.OpSucceeded {
		t.Fatalf("scheduled backup = %s %s: %s", scheduled.Kind, scheduled.State, scheduled.Error)
	}
	if list := listBackups(t, env, viewer); len(list) != 1 || list[0].ID != scheduled.ID {
		t.Fatalf("backups after the scheduled one = %+v; want only %s", list, scheduled.ID)
	}
}

// startBackup posts a backup request and returns its operation.
func startBackup(t *testing.T, env *apptest.Env, token string, body map[string]any) domain.Operation {
	t.Helper()
	r := env.Do("POST", "/api/v1/clusters/bk/backups", token, body)
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST backups %v: %d %s", body, r.Status, r.Body)
	}
	var reply api.OperationReply
	r.JSON(t, &reply)
	if reply.Operation.Kind != domain.OpBackupCluster {
		t.Fatalf("operation %+v", reply.Operation)
	}
	return reply.Operation
}

// waitBackup waits for the backup operation to succeed.
func waitBackup(t *testing.T, env *apptest.Env, op domain.Operation) domain.Operation {
	t.Helper()
	op = env.WaitOperationFor(op.ID, 3*time.Minute)
	if op.State != domain.OpSucceeded {
		t.Fatalf("backup = %s: %s; steps %+v", op.State, op.Error, op.Steps)
	}
	return op
}

// listBackups lists the backups of cluster bk.
func listBackups(t *testing.T, env *apptest.Env, token string) []domain.Backup {
	t.Helper()
	r := env.Do("GET", "/api/v1/clusters/bk/backups", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET backups: %d %s", r.Status, r.Body)
	}
	var list api.List[domain.Backup]
	r.JSON(t, &list)
	return list.Items
}

// checkSnapshot checks a stored backup object: its digest is the recorded one, it holds
// the canary neither in clear nor base64, and it decrypts to a snapshot holding the
// canary that etcdutl reads at the recorded revision.
func checkSnapshot(t *testing.T, ctx context.Context, etcdutl string, key *backupstore.Key, sealed []byte, b domain.Backup, canary string) {
	t.Helper()
	if sum := sha256.Sum256(sealed); hex.EncodeToString(sum[:]) != b.SHA256 || int64(len(sealed)) != b.SizeBytes {
		t.Fatalf("object of %d bytes, sha256 %x; recorded %d, %s", len(sealed), sum, b.SizeBytes, b.SHA256)
	}
	for _, clear := range [][]byte{[]byte(canary), []byte(base64.StdEncoding.EncodeToString([]byte(canary))), []byte("/registry/secrets/")} {
		if bytes.Contains(sealed, clear) {
			t.Errorf("the stored object holds %q in clear", clear)
		}
	}
	r, err := key.Decrypt(bytes.NewReader(sealed))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(plain, []byte(canary)) {
		t.Error("the decrypted snapshot does not hold the Secret")
	}
	file := filepath.Join(t.TempDir(), "snapshot.db")
	if err := os.WriteFile(file, plain, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, etcdutl, "snapshot", "status", file, "-w", "json").Output()
	var st backups.SnapshotStatus
	if err != nil || json.Unmarshal(out, &st) != nil || st.Revision != b.EtcdRevision {
		t.Fatalf("etcdutl snapshot status says %s (%v); recorded revision %d", out, err, b.EtcdRevision)
	}
}
