package csi

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// provision makes the disk of a claim (or finds the one an earlier pass
// made) and creates its PersistentVolume, pre-bound to the claim. The
// controller-manager's PersistentVolume controller completes the binding.
func (p *provisioner) provision(ctx context.Context, vc *vcenter, dss []datastore, claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass) error {
	for _, k := range slices.Sorted(maps.Keys(class.Parameters)) {
		if !knownParameters[k] {
			return fmt.Errorf("rpc error: code = InvalidArgument desc = volume parameter %s is not a valid parameter", k)
		}
	}
	request, ok := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	if !ok || request.Sign() <= 0 {
		return fmt.Errorf("claim %s/%s: spec.resources.requests.storage must be a positive size", claim.Namespace, claim.Name)
	}
	const mib = 1 << 20
	sizeMB := (request.Value() + mib - 1) / mib
	name := volumeName(string(claim.UID))
	p.events.Eventf(claim, corev1.EventTypeNormal, "Provisioning", "External provisioner is provisioning volume for claim %q", claim.Namespace+"/"+claim.Name)

	id, _, found, err := vc.findDisk(ctx, dss, name)
	if err != nil {
		return err
	}
	if !found {
		ds, err := pickDatastore(dss, class.Parameters["datastoreurl"], sizeMB)
		if err != nil {
			return fmt.Errorf("rpc error: code = Internal desc = failed to create volume: %w", err)
		}
		if id, err = vc.createDisk(ctx, ds, name, sizeMB); err != nil {
			return fmt.Errorf("rpc error: code = Internal desc = failed to create volume: %w", err)
		}
		p.log.Info("disk created", "disk", name, "id", id, "datastore", ds.name, "sizeMB", sizeMB)
	}

	reclaim := corev1.PersistentVolumeReclaimDelete
	if class.ReclaimPolicy != nil {
		reclaim = *class.ReclaimPolicy
	}
	fsType := class.Parameters["csi.storage.k8s.io/fstype"]
	if fsType == "" {
		fsType = "ext4" // the sidecar's --default-fstype in the chart
	}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{annProvisionedBy: Driver},
			Finalizers:  []string{Finalizer},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: *resource.NewQuantity(sizeMB*mib, resource.BinarySI)},
			AccessModes: claim.Spec.AccessModes,
			ClaimRef: &corev1.ObjectReference{
				Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: claim.Namespace, Name: claim.Name, UID: claim.UID, ResourceVersion: claim.ResourceVersion,
			},
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              class.Name,
			MountOptions:                  class.MountOptions,
			VolumeMode:                    claim.Spec.VolumeMode,
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver:       Driver,
				VolumeHandle: id,
				FSType:       fsType,
				VolumeAttributes: map[string]string{
					"storage.kubernetes.io/csiProvisionerIdentity": p.identity,
					"type": volumeType,
				},
			}},
		},
	}
	if _, err := p.kube.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create volume %s: %w", name, err)
	}
	p.events.Eventf(claim, corev1.EventTypeNormal, "ProvisioningSucceeded", "Successfully provisioned volume %s", name)
	return nil
}

// delete deletes the disk of a released volume, then the volume, as the
// sidecar does: its finalizer goes once the disk is gone.
func (p *provisioner) delete(ctx context.Context, vc *vcenter, dss []datastore, pv *corev1.PersistentVolume) error {
	if err := vc.deleteDisk(ctx, dss, pv.Spec.CSI.VolumeHandle); err != nil {
		return fmt.Errorf("rpc error: code = Internal desc = failed to delete volume %s: %w", pv.Name, err)
	}
	p.log.Info("disk deleted", "volume", pv.Name, "id", pv.Spec.CSI.VolumeHandle)
	volumes := p.kube.CoreV1().PersistentVolumes()
	if err := volumes.Delete(ctx, pv.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete volume %s: %w", pv.Name, err)
	}
	current, err := volumes.Get(ctx, pv.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read volume %s: %w", pv.Name, err)
	}
	if i := slices.Index(current.Finalizers, Finalizer); i >= 0 {
		current.Finalizers = slices.Delete(current.Finalizers, i, i+1)
		if _, err := volumes.Update(ctx, current, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("remove finalizer of volume %s: %w", pv.Name, err)
		}
	}
	return nil
}
