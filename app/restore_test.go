package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/activities/backups"
	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestRestoreBackup provisions a one-control-plane cluster, backs its etcd up (the
// backup activity called directly: the BackupCluster workflow is another change),
// changes the cluster after the backup, and restores the backup through the API. A
// backup of another cluster or of another Kubernetes minor is refused (422, nothing
// started), an unknown one is 404, an operator may not restore. The restore meets a
// failing command on the node at its restore step: it awaits a decision saying that
// the control plane is stopped; a retry completes it. After it, what was created
// since the backup is gone, what was deleted since is back, the node is Ready and the
// cluster Ready. A second restore of the same backup succeeds without a decision.
func TestRestoreBackup(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	faults := sim.NewFaults()
	arm := &restoreFault{faults: faults}
	var acts *backups.Activities
	env := apptest.StartWith(t, apptest.Options{Datacenter: true, VCenter: sim.VCenterOptions{Faults: faults},
		Interceptors: []interceptor.WorkerInterceptor{apptest.FastRetries(), arm}})
	acts = backupActivities(env.App)
	apptest.RegisterLab(t, env, "88")
	spec := apptest.ClusterSpec("rst", 1, 0)
	spec.Addons.KubeSphere = nil
	if op := env.WaitOperationFor(apptest.StartProvision(t, env, spec).ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s", op.State, op.Error)
	}
	ctx := t.Context()
	c := apptest.GetCluster(t, env, "rst")
	if len(c.Nodes) != 1 {
		t.Fatalf("nodes %+v", c.Nodes)
	}
	cp := c.Nodes[0]
	kc := apptest.KubeClient(t, env, "rst")
	createConfigMap(t, kc, "kept")
	createConfigMap(t, kc, "deleted-after-backup")

	backupID := newUUID(t)
	began := time.Now()
	res, err := acts.SnapshotEtcd(ctx, backups.SnapshotInput{BackupID: backupID,
		Node: nodes.NodeRef{ClusterID: c.ID, Node: cp.Name, Address: cp.IP}})
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	t.Logf("backup took %s: %d bytes encrypted (%d plain)", time.Since(began).Round(time.Millisecond), res.SizeBytes, res.SnapshotSizeBytes)
	createConfigMap(t, kc, "created-after-backup")
	if err := kc.CoreV1().ConfigMaps("default").Delete(ctx, "deleted-after-backup", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	restorePath := func(id string) string { return "/api/v1/clusters/rst/backups/" + id + "/restore" }
	t.Run("Refused", func(t *testing.T) {
		other, err := env.App.Store.CreateCluster(ctx, domain.ClusterSpec{Name: "other", VCenter: "vc1", KubernetesVersion: spec.KubernetesVersion}, "test")
		if err != nil {
			t.Fatal(err)
		}
		otherBackup := recordBackup(t, env, other.ID, spec.KubernetesVersion)
		if r := env.Do("POST", "/api/v1/clusters/other/backups/"+otherBackup+"/restore", env.AdminToken, nil); r.Status != http.StatusConflict ||
			!strings.Contains(string(r.Body), "not-ready") {
			t.Errorf("restore into a Pending cluster: %d %s", r.Status, r.Body)
		}
		oldMinor := recordBackup(t, env, c.ID, "v1.33.4")
		operator := env.Token("rst-operator", domain.RoleOperator)
		for _, tc := range []struct {
			id, token string
			status    int
			field     string
		}{
			{otherBackup, env.AdminToken, http.StatusUnprocessableEntity, "backup"},
			{oldMinor, env.AdminToken, http.StatusUnprocessableEntity, "kubernetes_version"},
			{newUUID(t), env.AdminToken, http.StatusNotFound, ""},
			{"not-a-backup", env.AdminToken, http.StatusNotFound, ""},
			{backupID, operator, http.StatusForbidden, ""},
		} {
			r := env.Do("POST", restorePath(tc.id), tc.token, nil)
			if r.Status != tc.status || tc.field != "" && !strings.Contains(string(r.Body), `"field":"`+tc.field+`"`) {
				t.Errorf("restore of %s: %d %s; want %d naming %q", tc.id, r.Status, r.Body, tc.status, tc.field)
			}
		}
		if cl := apptest.GetCluster(t, env, "rst"); cl.Phase != domain.PhaseReady || cl.Operation != nil {
			t.Errorf("after refused restores the cluster is %s, busy with %+v", cl.Phase, cl.Operation)
		}
	})

	// The restore command fails on the node every time: the step fails after its
	// retries, with the control plane stopped.
	arm.arm(cp.Name)
	op := startRestore(t, env, restorePath(backupID))
	if r := env.Do("POST", restorePath(backupID), env.AdminToken, nil); r.Status != http.StatusConflict {
		t.Errorf("a second restore while one runs: %d %s", r.Status, r.Body)
	}
	restoreStep := workflows.StepRestoreSnapshot + "-" + cp.Name
	op = apptest.AwaitDecision(t, env, op.ID, restoreStep)
	stopped := "the control plane of cluster rst is stopped on node " + cp.Name + ": retry the step or cancel"
	if !strings.HasPrefix(op.Decision.Reason, stopped) || !strings.Contains(op.Decision.Reason, "etcdutl snapshot restore") {
		t.Errorf("decision reason %q; want it to start %q and name the command", op.Decision.Reason, stopped)
	}
	if s := apptest.StepOf(t, op, restoreStep); s.State != domain.StepFailed || !strings.HasPrefix(s.Error, stopped) {
		t.Errorf("step %s = %s: %q", restoreStep, s.State, s.Error)
	}
	if fired := faults.Fired(); len(fired) != 3 || fired[0].VM != cp.Name {
		t.Errorf("faults fired: %+v", fired)
	}
	if cl := apptest.GetCluster(t, env, "rst"); cl.Phase != domain.PhaseUpdating {
		t.Errorf("cluster awaiting the decision is %s", cl.Phase)
	}
	if r := retryOperation(env, op.ID, env.AdminToken); r.Status != http.StatusAccepted {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	op = env.WaitOperationFor(op.ID, 5*time.Minute)
	if op.State != domain.OpSucceeded {
		t.Fatalf("restore = %s: %s; steps %+v", op.State, op.Error, op.Steps)
	}
	if op.Kind != domain.OpRestoreCluster {
		t.Errorf("kind %q", op.Kind)
	}
	wantSteps(t, op, workflows.StepCheckBackup, "upload-"+cp.Name, "stop-"+cp.Name, restoreStep, "start-"+cp.Name,
		workflows.StepWaitAPIServer, workflows.StepWaitNodes)
	checkRestored(t, env, 1)
	env.CheckReplay("restore", op)

	t.Run("Again, into a Degraded cluster", func(t *testing.T) {
		createConfigMap(t, apptest.KubeClient(t, env, "rst"), "created-after-first-restore")
		// A health check found something wrong: restoring is how it is mended.
		if ok, err := env.App.Store.SetHealthPhase(ctx, c.ID, domain.PhaseDegraded, "test: something is wrong"); err != nil || !ok {
			t.Fatalf("set Degraded: %v, %v", ok, err)
		}
		began := time.Now()
		again := env.WaitOperationFor(startRestore(t, env, restorePath(backupID)).ID, 5*time.Minute)
		if again.State != domain.OpSucceeded {
			t.Fatalf("second restore = %s: %s; steps %+v", again.State, again.Error, again.Steps)
		}
		t.Logf("restore took %s", time.Since(began).Round(time.Millisecond))
		checkRestored(t, env, 1)
		if _, err := apptest.KubeClient(t, env, "rst").CoreV1().ConfigMaps("default").Get(ctx, "created-after-first-restore", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("a ConfigMap created after the first restore: %v", err)
		}
	})
}

// TestRestoreThreeControlPlanes restores a backup of a three-control-plane cluster: the
// snapshot taken on one node becomes a new three-member etcd (every member restored
// with its own name and peer URL, one token), started on all three before the API
// server is waited for; what was changed after the backup is undone, every member is
// healthy, every node Ready.
func TestRestoreThreeControlPlanes(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	var acts *backups.Activities
	env := apptest.StartWith(t, apptest.Options{Datacenter: true})
	acts = backupActivities(env.App)
	apptest.RegisterLab(t, env, "89")
	spec := apptest.ClusterSpec("rst", 3, 0)
	spec.Addons.KubeSphere = nil
	if op := env.WaitOperationFor(apptest.StartProvision(t, env, spec).ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s", op.State, op.Error)
	}
	ctx := t.Context()
	c := apptest.GetCluster(t, env, "rst")
	if len(c.Nodes) != 3 {
		t.Fatalf("nodes %+v", c.Nodes)
	}
	kc := apptest.KubeClient(t, env, "rst")
	createConfigMap(t, kc, "kept")
	createConfigMap(t, kc, "deleted-after-backup")
	backupID := newUUID(t)
	source := c.Nodes[1]
	if _, err := acts.SnapshotEtcd(ctx, backups.SnapshotInput{BackupID: backupID,
		Node: nodes.NodeRef{ClusterID: c.ID, Node: source.Name, Address: source.IP}}); err != nil {
		t.Fatalf("backup: %v", err)
	}
	createConfigMap(t, kc, "created-after-backup")
	if err := kc.CoreV1().ConfigMaps("default").Delete(ctx, "deleted-after-backup", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	op := env.WaitOperationFor(startRestore(t, env, "/api/v1/clusters/rst/backups/"+backupID+"/restore").ID, 10*time.Minute)
	if op.State != domain.OpSucceeded {
		t.Fatalf("restore = %s: %s; steps %+v", op.State, op.Error, op.Steps)
	}
	t.Logf("restore of three control planes took %s", time.Since(began).Round(time.Millisecond))
	var want []string
	for _, step := range []string{workflows.StepUploadSnapshot, workflows.StepStopControlPlane, workflows.StepRestoreSnapshot, workflows.StepStartControlPlane} {
		for _, n := range c.Nodes {
			want = append(want, step+"-"+n.Name)
		}
	}
	wantSteps(t, op, slices.Concat([]string{workflows.StepCheckBackup}, want, []string{workflows.StepWaitAPIServer, workflows.StepWaitNodes})...)
	checkRestored(t, env, 3)
	for _, n := range c.Nodes {
		h, err := acts.Nodes.EtcdHealth(ctx, nodes.NodeRef{ClusterID: c.ID, Node: n.Name, Address: n.IP})
		if err != nil || !h.Healthy {
			t.Errorf("etcd member of %s after the restore: %+v, %v", n.Name, h, err)
		}
	}
}

// checkRestored checks the cluster rst as the backup left it: Ready, its nodes Ready,
// the ConfigMaps of the backup's time.
func checkRestored(t *testing.T, env *apptest.Env, nodes int) {
	t.Helper()
	ctx := t.Context()
	kc := apptest.KubeClient(t, env, "rst")
	for name, want := range map[string]bool{"kept": true, "deleted-after-backup": true, "created-after-backup": false} {
		_, err := kc.CoreV1().ConfigMaps("default").Get(ctx, name, metav1.GetOptions{})
		if (err == nil) != want || err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("ConfigMap %s after the restore: %v (want it there: %v)", name, err, want)
		}
	}
	list, err := kc.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != nodes {
		t.Fatalf("nodes after the restore: %v, %v", list, err)
	}
	for _, n := range list.Items {
		ready := slices.ContainsFunc(n.Status.Conditions, func(c corev1.NodeCondition) bool {
			return c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue
		})
		if !ready {
			t.Errorf("node %s is not Ready: %+v", n.Name, n.Status.Conditions)
		}
	}
	if cl := apptest.GetCluster(t, env, "rst"); cl.Phase != domain.PhaseReady || cl.PhaseReason != "" || cl.Operation != nil {
		t.Errorf("after the restore: phase %s (%q), operation %+v", cl.Phase, cl.PhaseReason, cl.Operation)
	}
}

// backupActivities are backup activities with the app's own key and targets, for a
// test to take a backup directly.
func backupActivities(a *app.App) *backups.Activities {
	return &backups.Activities{
		Nodes: &nodes.Activities{Keys: &bootstrap.Source{Store: a.Store}, HostKeys: a.Store, Logger: a.Logger},
		Store: a.Store, Key: a.Backups.Key, Targets: a.Backups.Targets, DefaultTarget: a.Backups.DefaultTarget, Logger: a.Logger,
	}
}

// recordBackup records a backup row of a cluster at a Kubernetes version (no objects:
// the restores of these are refused before they are read).
func recordBackup(t *testing.T, env *apptest.Env, clusterID, version string) string {
	t.Helper()
	id := newUUID(t)
	_, err := env.App.Store.RecordBackup(t.Context(), domain.Backup{ID: id, ClusterID: clusterID, TargetKind: domain.TargetDirectory,
		TargetLocation: "/nowhere", ObjectKey: clusterID + "/" + id + "/etcd-snapshot.db.age", KubernetesVersion: version,
		Encryption: backupstore.Scheme, KeyID: "k"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// startRestore posts a restore as the admin and returns its operation.
func startRestore(t *testing.T, env *apptest.Env, path string) domain.Operation {
	t.Helper()
	r := env.Do("POST", path, env.AdminToken, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	return reply.Operation
}

func createConfigMap(t *testing.T, kc kubernetes.Interface, name string) {
	t.Helper()
	_, err := kc.CoreV1().ConfigMaps("default").Create(context.WithoutCancel(t.Context()), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"made": time.Now().UTC().Format(time.RFC3339Nano)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create ConfigMap %s: %v", name, err)
	}
}

func newUUID(t *testing.T) string {
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

// restoreFault makes every command on a node fail (sim fault ssh.exec, three times: the
// restore step's attempts) once the restore activity first runs after arm.
type restoreFault struct {
	interceptor.WorkerInterceptorBase
	faults *sim.Faults
	vm     atomic.Pointer[string]
}

func (f *restoreFault) arm(vm string) { f.vm.Store(&vm) }

func (f *restoreFault) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &restoreFaultInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, f: f}
}

type restoreFaultInbound struct {
	interceptor.ActivityInboundInterceptorBase
	f *restoreFault
}

func (i *restoreFaultInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	if activity.GetInfo(ctx).ActivityType.Name == "RestoreSnapshot" {
		if vm := i.f.vm.Swap(nil); vm != nil {
			if err := i.f.faults.Add(sim.Fault{Kind: sim.KindSSHExec, VM: *vm, Times: 3}); err != nil {
				return nil, err
			}
		}
	}
	return i.Next.ExecuteActivity(ctx, in)
}
