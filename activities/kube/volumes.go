package kube

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// CSIDriver is the vSphere CSI driver's name, the provisioner of its volumes.
const CSIDriver = "csi.vsphere.vmware.com"

// DeleteVolumes deletes the cluster's vSphere CSI volumes through the driver, which
// must still run: it deletes every claim of a vSphere StorageClass or bound to a
// vSphere volume (pending ones too, so none is provisioned behind the deletion's
// back), deletes the Pods that still mount such a claim (the cluster is going away),
// and waits until the driver has deleted the volumes, i.e. their PersistentVolumes are
// gone. Volumes whose reclaim policy is Retain are kept by design.
func (a *Activities) DeleteVolumes(ctx context.Context, clusterID string) error {
	cs, err := a.client(ctx, clusterID)
	if err != nil {
		return err
	}
	return wait(ctx, func() (bool, string, error) {
		claims, err := vsphereClaims(ctx, cs)
		if err != nil {
			return false, "", fmt.Errorf("cluster %s: %w", clusterID, err)
		}
		for _, c := range claims {
			if err := deleteClaim(ctx, cs, c); err != nil {
				return false, "", fmt.Errorf("cluster %s: %w", clusterID, err)
			}
		}
		pvs, err := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, "", fmt.Errorf("list volumes of cluster %s: %w", clusterID, err)
		}
		left := 0
		for _, pv := range pvs.Items {
			if isVSphere(pv) && pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimRetain {
				left++
			}
		}
		done := left == 0 && len(claims) == 0
		return done, "waiting for " + strconv.Itoa(len(claims)) + " claims and " + strconv.Itoa(left) + " vSphere volumes to be deleted", nil
	})
}

// vsphereClaims lists the claims of vSphere StorageClasses or bound to vSphere volumes.
func vsphereClaims(ctx context.Context, cs kubernetes.Interface) ([]corev1.PersistentVolumeClaim, error) {
	classes, err := cs.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list storage classes: %w", err)
	}
	vsphereClass := map[string]bool{}
	for _, sc := range classes.Items {
		vsphereClass[sc.Name] = sc.Provisioner == CSIDriver
	}
	pvs, err := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	vsphereVolume := map[string]bool{}
	for _, pv := range pvs.Items {
		vsphereVolume[pv.Name] = isVSphere(pv)
	}
	list, err := cs.CoreV1().PersistentVolumeClaims(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list claims: %w", err)
	}
	var out []corev1.PersistentVolumeClaim
	for _, c := range list.Items {
		class := ""
		if c.Spec.StorageClassName != nil {
			class = *c.Spec.StorageClassName
		}
		if vsphereClass[class] || vsphereVolume[c.Spec.VolumeName] {
			out = append(out, c)
		}
	}
	return out, nil
}

// deleteClaim deletes a claim, and the Pods that keep it in use.
func deleteClaim(ctx context.Context, cs kubernetes.Interface, c corev1.PersistentVolumeClaim) error {
	if c.DeletionTimestamp == nil {
		err := cs.CoreV1().PersistentVolumeClaims(c.Namespace).Delete(ctx, c.Name, metav1.DeleteOptions{})
		if err != nil && !notFound(err) {
			return fmt.Errorf("delete claim %s/%s: %w", c.Namespace, c.Name, err)
		}
		return nil
	}
	pods, err := cs.CoreV1().Pods(c.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list pods of %s: %w", c.Namespace, err)
	}
	for _, p := range pods.Items {
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == c.Name {
				err := cs.CoreV1().Pods(c.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{})
				if err != nil && !notFound(err) {
					return fmt.Errorf("delete pod %s/%s that uses claim %s: %w", c.Namespace, p.Name, c.Name, err)
				}
				break
			}
		}
	}
	return nil
}

// isVSphere reports whether pv is a volume of the vSphere CSI driver.
func isVSphere(pv corev1.PersistentVolume) bool {
	return pv.Spec.CSI != nil && pv.Spec.CSI.Driver == CSIDriver
}
