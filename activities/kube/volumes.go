package kube

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CSIDriver is the vSphere CSI driver's name, the provisioner of its volumes.
const CSIDriver = "csi.vsphere.vmware.com"

// DeleteVolumes deletes the claims of every vSphere CSI volume of the
// cluster and waits until the driver has deleted the volumes (their
// PersistentVolumes are gone). Volumes whose reclaim policy is Retain are
// kept by design; the wait does not count them.
func (a *Activities) DeleteVolumes(ctx context.Context, clusterID string) error {
	cs, err := a.client(ctx, clusterID)
	if err != nil {
		return err
	}
	return wait(ctx, func() (bool, string, error) {
		pvs, err := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, "", fmt.Errorf("list volumes of cluster %s: %w", clusterID, err)
		}
		left := 0
		for _, pv := range pvs.Items {
			if pv.Spec.CSI == nil || pv.Spec.CSI.Driver != CSIDriver || pv.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimRetain {
				continue
			}
			left++
			if ref := pv.Spec.ClaimRef; ref != nil {
				err := cs.CoreV1().PersistentVolumeClaims(ref.Namespace).Delete(ctx, ref.Name, metav1.DeleteOptions{})
				if err != nil && !notFound(err) {
					return false, "", fmt.Errorf("delete claim %s/%s: %w", ref.Namespace, ref.Name, err)
				}
			}
		}
		return left == 0, "waiting for " + strconv.Itoa(left) + " vSphere volumes to be deleted", nil
	})
}
