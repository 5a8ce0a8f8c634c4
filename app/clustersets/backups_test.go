package clustersets_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/soap"
	"go.temporal.io/sdk/client"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// The lab's clusters backed up: to the "vsphere" target of the settings (a folder of the
// simulated vCenter's datastore), and by a "*" backup schedule.

// vsphereBackups configures the "vsphere" backup target in the lab's datastore, on the
// vCenter the lab registers as vc1 only after the service started.
func vsphereBackups(c *app.Config) {
	c.BackupVSphereVCenter, c.BackupVSphereDatacenter, c.BackupVSphereDatastore = "vc1", sim.DefaultDatacenter, sim.DefaultDatastore
}

// checkVSphereBackups backs east up twice to the "vsphere" target keeping 1: the newest
// is listed, recorded at the datastore folder, and its objects there are the recorded
// ones, encrypted (no etcd key in clear) to the service's key; the older one is Deleted
// and its objects are gone from the datastore.
func (l *lab) checkVSphereBackups(t *testing.T) {
	body := map[string]any{"target": app.TargetVSphere, "retention": 1}
	first := l.backup(t, "east", body)
	second := l.backup(t, "east", body)
	list := l.backups(t, "east")
	if len(list) != 1 || list[0].ID != second.ID {
		t.Fatalf("backups of east after two to vsphere keeping 1 = %+v; want only %s", list, second.ID)
	}
	b := list[0]
	wantLocation := sim.DefaultDatacenter + " [" + sim.DefaultDatastore + "] " + app.DefaultBackupVSphereFolder
	if b.State != domain.BackupCompleted || b.TargetKind != domain.TargetVSphere || b.TargetLocation != wantLocation ||
		b.SizeBytes == 0 || b.SHA256 == "" || b.PKIObjectKey == "" {
		t.Fatalf("backup to vsphere = %+v; want Completed at %q", b, wantLocation)
	}
	if second.FinishedAt != nil {
		t.Logf("a backup of east to the datastore folder took %s: %d bytes encrypted (%d plain), PKI %d bytes",
			second.FinishedAt.Sub(second.CreatedAt).Round(time.Millisecond), b.SizeBytes, b.SnapshotSizeBytes, b.PKISizeBytes)
	}
	ds := l.datastore(t)
	sealed := l.datastoreFile(t, ds, b.ObjectKey)
	if sum := sha256.Sum256(sealed); int64(len(sealed)) != b.SizeBytes || hex.EncodeToString(sum[:]) != b.SHA256 {
		t.Fatalf("the datastore's object: %d bytes, sha256 %x; recorded %d, %s", len(sealed), sum, b.SizeBytes, b.SHA256)
	}
	if bytes.Contains(sealed, []byte("/registry/")) {
		t.Error("the datastore's object holds etcd keys in clear")
	}
	plain, err := l.env.App.Backups.Key.Decrypt(bytes.NewReader(sealed))
	if err != nil {
		t.Fatal(err)
	}
	snapshot, err := io.ReadAll(plain)
	if sum := sha256.Sum256(snapshot); err != nil || hex.EncodeToString(sum[:]) != b.SnapshotSHA256 || !bytes.Contains(snapshot, []byte("/registry/")) {
		t.Fatalf("the decrypted snapshot: %d bytes (%v), sha256 %x; recorded %s", len(snapshot), err, sum, b.SnapshotSHA256)
	}
	if pki := l.datastoreFile(t, ds, b.PKIObjectKey); int64(len(pki)) != b.PKISizeBytes {
		t.Errorf("the datastore's PKI object: %d bytes, recorded %d", len(pki), b.PKISizeBytes)
	}

	old := l.getBackup(t, "east", first.ID)
	if old.State != domain.BackupDeleted || old.TargetKind != domain.TargetVSphere {
		t.Fatalf("the first backup after the retention = %+v", old)
	}
	for _, key := range []string{old.ObjectKey, old.PKIObjectKey} {
		if _, err := ds.Stat(context.Background(), path.Join(app.DefaultBackupVSphereFolder, key)); !noSuchFile(err) {
			t.Errorf("%s of the deleted backup is still in the datastore: %v", key, err)
		}
	}
}

// checkBackupSchedule runs a "*" backup schedule keeping 1: each trigger backs up every
// Ready cluster once, and the second's retention deletes the first's backups; paused, it
// shows no next run and its Temporal schedule is paused; deleted, it is gone from
// Temporal.
func (l *lab) checkBackupSchedule(t *testing.T) {
	ctx := context.Background()
	ready := l.readyClusters(t)
	if !slices.Equal(ready, []string{"east", "lead", "west"}) {
		t.Fatalf("Ready clusters = %v; want the lab's three", ready)
	}
	sc := apptest.CreateSchedule(t, l.env, l.env.AdminToken, map[string]any{"kind": domain.ScheduleBackup, "cluster": domain.AllClusters,
		"every": "24h", "retention": 1})
	handle := l.env.App.Temporal.ScheduleClient().GetHandle(ctx, workflows.ScheduleID(sc.ID))

	var earlier map[string]string
	for round := 1; round <= 2; round++ {
		run := apptest.TriggerSchedule(t, l.env, l.env.AdminToken, sc.ID)
		ops := l.backedUp(t, run, ready)
		t.Logf("run %d of the * backup schedule backed up %d clusters in %s", round, len(ops), run.FinishedAt.Sub(run.Time).Round(time.Millisecond))
		for _, c := range ready {
			list := l.backups(t, c)
			if len(list) != 1 || list[0].ID != ops[c] || list[0].TargetKind != domain.TargetDirectory {
				t.Errorf("run %d: backups of %s = %+v; want only the run's %s", round, c, list, ops[c])
			}
			if earlier == nil {
				continue
			}
			if old := l.getBackup(t, c, earlier[c]); old.State != domain.BackupDeleted {
				t.Errorf("run %d: the first run's backup of %s = %s, want Deleted by the retention", round, c, old.State)
			}
		}
		earlier = ops
	}

	r := l.env.Do("POST", "/api/v1/schedules/"+sc.ID+"/pause", l.env.AdminToken, nil)
	var paused domain.Schedule
	r.JSON(t, &paused)
	if r.Status != http.StatusOK || !paused.Paused || len(paused.NextRuns) != 0 {
		t.Fatalf("pause: %d %+v", r.Status, paused)
	}
	if desc, err := handle.Describe(ctx); err != nil || !desc.Schedule.State.Paused || desc.Info.NumActions != 2 {
		t.Fatalf("the paused Temporal schedule: %v; want paused after its 2 triggered runs", describeErr(desc, err))
	}

	if r := l.env.Do("DELETE", "/api/v1/schedules/"+sc.ID, l.env.AdminToken, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete schedule: %d %s", r.Status, r.Body)
	}
	if _, err := handle.Describe(ctx); !apptest.TemporalNotFound(err) {
		t.Fatalf("the Temporal schedule after delete: %v", err)
	}
}

// pausedSchedule is a "*" backup schedule created paused, every minute, and when it
// was first due.
type pausedSchedule struct {
	id  string
	due time.Time
}

// createPausedSchedule creates a "*" backup schedule paused, due every minute: it shows
// no next run, and its Temporal schedule is paused (Temporal still lists when it would
// run, the first of which is when it is due).
func (l *lab) createPausedSchedule(t *testing.T) pausedSchedule {
	t.Helper()
	sc := apptest.CreateSchedule(t, l.env, l.env.AdminToken, map[string]any{"kind": domain.ScheduleBackup, "cluster": domain.AllClusters,
		"every": "1m", "retention": 1, "paused": true})
	if !sc.Paused || len(sc.NextRuns) != 0 {
		t.Fatalf("a schedule created paused = %+v; want paused without next runs", sc)
	}
	desc, err := l.env.App.Temporal.ScheduleClient().GetHandle(context.Background(), workflows.ScheduleID(sc.ID)).Describe(context.Background())
	if err != nil || !desc.Schedule.State.Paused || len(desc.Info.NextActionTimes) == 0 {
		t.Fatalf("the Temporal schedule created paused: %v", describeErr(desc, err))
	}
	return pausedSchedule{id: sc.ID, due: desc.Info.NextActionTimes[0]}
}

// checkNeverRan checks, once the schedule was due (waiting for it if need be), that it
// never ran, and deletes it.
func (l *lab) checkNeverRan(t *testing.T, p pausedSchedule) {
	t.Helper()
	if p.id == "" {
		t.Fatal("no paused schedule was created")
	}
	if wait := time.Until(p.due.Add(10 * time.Second)); wait > 0 {
		t.Logf("waiting %s for the paused schedule to be due", wait.Round(time.Second))
		time.Sleep(wait)
	}
	handle := l.env.App.Temporal.ScheduleClient().GetHandle(context.Background(), workflows.ScheduleID(p.id))
	if desc, err := handle.Describe(context.Background()); err != nil || !desc.Schedule.State.Paused || desc.Info.NumActions != 0 || len(desc.Info.RecentActions) != 0 {
		t.Errorf("the paused Temporal schedule, due at %s: %v; want paused, no action", p.due, describeErr(desc, err))
	}
	if sc := apptest.GetSchedule(t, l.env, l.env.AdminToken, p.id); sc.LastRun != nil {
		t.Errorf("the paused schedule ran: %+v", sc.LastRun)
	}
	if r := l.env.Do("DELETE", "/api/v1/schedules/"+p.id, l.env.AdminToken, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete schedule: %d %s", r.Status, r.Body)
	}
}

// describeErr says what a Temporal schedule's description holds that the tests check.
func describeErr(desc *client.ScheduleDescription, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("paused %t, %d actions, recent %d, next %v", desc.Schedule.State.Paused, desc.Info.NumActions,
		len(desc.Info.RecentActions), desc.Info.NextActionTimes)
}

// backedUp checks that a run backed up each of clusters once, successfully, and nothing
// else, and returns the backup operation of each.
func (l *lab) backedUp(t *testing.T, run domain.ScheduleRun, clusters []string) map[string]string {
	t.Helper()
	if run.Outcome != domain.RunSucceeded || run.Counts != (domain.RunCounts{Succeeded: len(clusters)}) || len(run.Operations) != len(clusters) {
		t.Fatalf("run = %+v; want %d clusters backed up", run, len(clusters))
	}
	ops := map[string]string{}
	for _, target := range run.Targets {
		if _, twice := ops[target.Cluster]; twice || !slices.Contains(clusters, target.Cluster) ||
			target.Outcome != domain.RunSucceeded || target.Operation == "" {
			t.Fatalf("run target %+v (run %+v)", target, run)
		}
		ops[target.Cluster] = target.Operation
		op := l.env.WaitOperationEnd(target.Operation, setTimeout)
		if op.Kind != domain.OpBackupCluster || op.State != domain.OpSucceeded || op.Target.Name != target.Cluster {
			t.Fatalf("the run's operation on %s: %s %s on %s: %s", target.Cluster, op.Kind, op.State, op.Target.Name, op.Error)
		}
	}
	return ops
}

// readyClusters lists the names of the Ready clusters, sorted.
func (l *lab) readyClusters(t *testing.T) []string {
	t.Helper()
	var list api.List[domain.Cluster]
	r := l.env.Do("GET", "/api/v1/clusters", l.env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET clusters: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &list)
	var names []string
	for _, c := range list.Items {
		if c.Phase == domain.PhaseReady {
			names = append(names, c.Name)
		}
	}
	slices.Sort(names)
	return names
}

// backup backs cluster up with body and returns its operation once succeeded.
func (l *lab) backup(t *testing.T, cluster string, body map[string]any) domain.Operation {
	t.Helper()
	op := l.start(t, "POST", "/api/v1/clusters/"+cluster+"/backups", body)
	if op = l.env.WaitOperationEnd(op.ID, setTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("backup of %s %v = %s: %s; steps %v", cluster, body, op.State, op.Error, apptest.StepStates(op))
	}
	return op
}

// backups lists the cluster's backups (not the deleted ones), newest first.
func (l *lab) backups(t *testing.T, cluster string) []domain.Backup {
	t.Helper()
	r := l.env.Do("GET", "/api/v1/clusters/"+cluster+"/backups", l.env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET backups of %s: %d %s", cluster, r.Status, r.Body)
	}
	var list api.List[domain.Backup]
	r.JSON(t, &list)
	return list.Items
}

// getBackup reads one backup of the cluster, also a deleted one.
func (l *lab) getBackup(t *testing.T, cluster, id string) domain.Backup {
	t.Helper()
	r := l.env.Do("GET", "/api/v1/clusters/"+cluster+"/backups/"+id, l.env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET backup %s of %s: %d %s", id, cluster, r.Status, r.Body)
	}
	var b domain.Backup
	r.JSON(t, &b)
	return b
}

// datastore is the simulated vCenter's datastore of the "vsphere" backup target.
func (l *lab) datastore(t *testing.T) *object.Datastore {
	t.Helper()
	ctx := context.Background()
	finder := find.NewFinder(l.vc(t).Client)
	dc, err := finder.Datacenter(ctx, sim.DefaultDatacenter)
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dc)
	ds, err := finder.Datastore(ctx, sim.DefaultDatastore)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// datastoreFile downloads the object of key in the backup folder of the datastore.
func (l *lab) datastoreFile(t *testing.T, ds *object.Datastore, key string) []byte {
	t.Helper()
	rc, _, err := ds.Download(context.Background(), path.Join(app.DefaultBackupVSphereFolder, key), &soap.DefaultDownload)
	if err != nil {
		t.Fatalf("download %s from the datastore: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("download %s from the datastore: %v", key, err)
	}
	return b
}

// noSuchFile reports whether err of Datastore.Stat says the file or its folder is not there.
func noSuchFile(err error) bool {
	var noFile object.DatastoreNoSuchFileError
	var noDir object.DatastoreNoSuchDirectoryError
	return errors.As(err, &noFile) || errors.As(err, &noDir)
}
