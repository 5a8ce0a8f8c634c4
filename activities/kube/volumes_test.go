package kube

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// The claims DeleteVolumes deletes: those of vSphere classes (pending ones too) and
// those bound to vSphere volumes, never others; a claim kept by a Pod gets its Pod
// deleted. (The simulated clusters have no claim protection, so this runs on a fake.)
func TestVSphereClaims(t *testing.T) {
	str := func(s string) *string { return &s }
	now := metav1.Now()
	cs := fake.NewClientset(
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "vsphere"}, Provisioner: CSIDriver},
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "local"}, Provisioner: "rancher.io/local-path"},
		&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-static"},
			Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: CSIDriver}}}},
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "pending"}, Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: str("vsphere")}},
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "static"}, Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: str(""), VolumeName: "pv-static"}},
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "other"}, Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: str("local")}},
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "in-use", DeletionTimestamp: &now, Finalizers: []string{"kubernetes.io/pvc-protection"}},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: str("vsphere")}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "db"}, Spec: corev1.PodSpec{Volumes: []corev1.Volume{
			{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "in-use"}}}}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "bystander"}},
	)
	ctx := context.Background()
	claims, err := vsphereClaims(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range claims {
		got[c.Namespace+"/"+c.Name] = true
		if err := deleteClaim(ctx, cs, c); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 3 || !got["a/pending"] || !got["a/static"] || !got["b/in-use"] {
		t.Fatalf("vSphere claims = %v", got)
	}
	if _, err := cs.CoreV1().PersistentVolumeClaims("a").Get(ctx, "other", metav1.GetOptions{}); err != nil {
		t.Errorf("the claim of another class was deleted: %v", err)
	}
	for _, name := range []string{"pending", "static"} {
		if _, err := cs.CoreV1().PersistentVolumeClaims("a").Get(ctx, name, metav1.GetOptions{}); !notFound(err) {
			t.Errorf("claim %s not deleted: %v", name, err)
		}
	}
	if _, err := cs.CoreV1().Pods("b").Get(ctx, "db", metav1.GetOptions{}); !notFound(err) {
		t.Errorf("the pod keeping the claim was not deleted: %v", err)
	}
	if _, err := cs.CoreV1().Pods("b").Get(ctx, "bystander", metav1.GetOptions{}); err != nil {
		t.Errorf("an unrelated pod was deleted: %v", err)
	}
}
