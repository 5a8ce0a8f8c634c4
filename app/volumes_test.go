package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim/csi"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestDeleteVolumes provisions a cluster with vSphere CSI, binds a claim on
// its default StorageClass to a First Class Disk made by the simulated
// driver, and deletes the cluster with delete_volumes=true: the
// delete-volumes step succeeds and no disk is left in vCenter.
func TestDeleteVolumes(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	env := apptest.StartDatacenter(t, "67", nil)
	spec := apptest.ClusterSpec("vols", 1, 1)
	spec.Addons.KubeSphere = nil
	began := time.Now()
	if op := env.WaitOperationFor(apptest.StartProvision(t, env, spec).ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s", op.State, op.Error)
	}
	t.Logf("cluster Ready in %s", time.Since(began).Round(time.Millisecond))
	c := apptest.GetCluster(t, env, "vols")
	kube := apptest.KubeClient(t, env, "vols")
	ctx := t.Context()

	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "default"},
		Spec: corev1.PersistentVolumeClaimSpec{ // no class: the cluster's default
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")}},
		},
	}
	if _, err := kube.CoreV1().PersistentVolumeClaims("default").Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	err := nodetest.Eventually(ctx, time.Minute, "claim data Bound", func(ctx context.Context) (bool, error) {
		got, err := kube.CoreV1().PersistentVolumeClaims("default").Get(ctx, "data", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		pvc = got
		return got.Status.Phase == corev1.ClaimBound, fmt.Errorf("phase %s", got.Status.Phase)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("claim Bound in %s", time.Since(began).Round(time.Millisecond))
	pv, err := kube.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Spec.CSI == nil || pv.Spec.CSI.Driver != csi.Driver || pv.Spec.StorageClassName != "vsphere-csi-sc" {
		t.Fatalf("volume %s: class %q csi %+v, want the CSI driver's on vsphere-csi-sc", pv.Name, pv.Spec.StorageClassName, pv.Spec.CSI)
	}
	disks := vcenterDisks(t, env)
	if len(disks) != 1 || disks[0].ID != pv.Spec.CSI.VolumeHandle || disks[0].Name != pv.Name || disks[0].CapacityMB != 2048 {
		t.Fatalf("disks in vCenter %+v, want one of 2048 MB with id %s named %s", disks, pv.Spec.CSI.VolumeHandle, pv.Name)
	}

	op := deleteClusterWithVolumes(t, env, "vols")
	if op.State != domain.OpSucceeded {
		t.Fatalf("delete = %s: %s; steps %+v", op.State, op.Error, op.Steps)
	}
	if s := apptest.StepStates(op)[workflows.StepDeleteVolumes]; s != domain.StepSucceeded {
		t.Errorf("step %s is %q, want %s; steps %+v", workflows.StepDeleteVolumes, s, domain.StepSucceeded, op.Steps)
	}
	for _, s := range op.Steps {
		if s.Name == workflows.StepDeleteVolumes && s.StartedAt != nil && s.FinishedAt != nil {
			t.Logf("step %s took %s", s.Name, s.FinishedAt.Sub(*s.StartedAt).Round(time.Millisecond))
		}
	}
	if disks := vcenterDisks(t, env); len(disks) != 0 {
		t.Errorf("disks left in vCenter: %+v", disks)
	}
	if vms := apptest.ClusterVMs(t, env, c.ID); len(vms) != 0 {
		t.Errorf("VMs left: %+v", vms)
	}
}

// deleteClusterWithVolumes deletes a cluster and its vSphere volumes
// through the API and waits for the operation.
func deleteClusterWithVolumes(t *testing.T, env *apptest.Env, name string) domain.Operation {
	t.Helper()
	r := env.Do("DELETE", "/api/v1/clusters/"+name+"?delete_volumes=true", env.AdminToken, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("DELETE %s?delete_volumes=true: %d %s", name, r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	return env.WaitOperationFor(reply.Operation.ID, 3*time.Minute)
}

// vcenterDisks lists the First Class Disks in the simulated vCenter.
func vcenterDisks(t *testing.T, env *apptest.Env) []csi.Disk {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u := env.VCenter.URL()
	u.User = apptest.URLUser(env)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		t.Fatalf("govmomi login: %v", err)
	}
	defer c.Logout(context.WithoutCancel(ctx))
	disks, err := csi.ListDisks(ctx, c.Client)
	if err != nil {
		t.Fatal(err)
	}
	return disks
}
