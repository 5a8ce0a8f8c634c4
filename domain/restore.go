package domain

import (
	"fmt"
	"strings"
)

// OpRestoreCluster restores a cluster's etcd from one of its backups: the control plane
// is stopped on every control-plane node, the snapshot restored on each, and the
// control plane started again.
const OpRestoreCluster = "cluster.restore"

// RestoreRefusedError says why a backup may not be restored into a cluster; nothing was
// stopped or changed. Field names what is wrong ("backup" or "kubernetes_version").
type RestoreRefusedError struct {
	Field  string
	Reason string
}

func (e *RestoreRefusedError) Error() string { return e.Reason }

// KubernetesMinor is the minor version of a Kubernetes version: "1.34" of "v1.34.2";
// empty when v is no such version.
func KubernetesMinor(v string) string {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return ""
	}
	return parts[0] + "." + parts[1]
}

// CheckRestore checks that backup b may be restored into cluster c: a Completed backup
// of that very cluster, taken at the Kubernetes minor version the cluster runs (an etcd
// snapshot holds objects in the storage versions of its release). It returns a
// *RestoreRefusedError otherwise.
func CheckRestore(c Cluster, b Backup) error {
	switch {
	case b.ClusterID != c.ID:
		return &RestoreRefusedError{Field: "backup", Reason: fmt.Sprintf("backup %s is a backup of another cluster, not of %s", b.ID, c.Name)}
	case b.State != BackupCompleted:
		return &RestoreRefusedError{Field: "backup", Reason: fmt.Sprintf("backup %s is %s, not %s", b.ID, b.State, BackupCompleted)}
	}
	have, want := KubernetesMinor(b.KubernetesVersion), KubernetesMinor(c.Spec.KubernetesVersion)
	if have == "" || have != want {
		return &RestoreRefusedError{Field: "kubernetes_version", Reason: fmt.Sprintf(
			"backup %s was taken at Kubernetes %s; cluster %s runs %s: a backup is restored at the minor version it was taken at",
			b.ID, b.KubernetesVersion, c.Name, c.Spec.KubernetesVersion)}
	}
	return nil
}
