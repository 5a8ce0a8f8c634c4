package domain

import (
	"slices"
	"time"
)

// Backup states.
const (
	// BackupCompleted: the encrypted snapshot and PKI are at the target.
	BackupCompleted = "Completed"
	// BackupDeleted: the objects were removed from the target (retention);
	// the row stays as history.
	BackupDeleted = "Deleted"
)

// Backup target kinds.
const (
	TargetDirectory = "directory"
	TargetS3        = "s3"
	TargetVSphere   = "vsphere"
)

// Backup is an etcd backup of a cluster: an encrypted snapshot and an
// encrypted archive of the control plane's PKI at a target. It names where
// they are, never a credential of the target, and which key encrypts them.
type Backup struct {
	ID        string    `json:"id"`
	ClusterID string    `json:"cluster_id"`
	CreatedAt time.Time `json:"created_at"`
	State     string    `json:"state"`
	// DeletedAt is set once the objects were removed.
	DeletedAt *time.Time `json:"deleted_at,omitempty"`

	// TargetKind is one of the Target* kinds; TargetLocation says which
	// directory, bucket or datastore folder (no credentials).
	TargetKind     string `json:"target_kind"`
	TargetLocation string `json:"target_location"`

	// ObjectKey is the encrypted snapshot's key at the target; SizeBytes
	// and SHA256 (hex) are of that encrypted object.
	ObjectKey string `json:"object_key"`
	SizeBytes int64  `json:"size_bytes"`
	SHA256    string `json:"sha256"`
	// SnapshotSizeBytes and SnapshotSHA256 are of the plain snapshot.
	SnapshotSizeBytes int64  `json:"snapshot_size_bytes"`
	SnapshotSHA256    string `json:"snapshot_sha256"`

	// EtcdRevision and EtcdHash are what etcdutl snapshot status says.
	EtcdRevision      int64  `json:"etcd_revision"`
	EtcdHash          int64  `json:"etcd_hash"`
	KubernetesVersion string `json:"kubernetes_version"`
	// Node is the control-plane node the snapshot was taken on.
	Node string `json:"node"`

	// Encryption is the scheme (e.g. "age-scrypt-v1") and KeyID the public
	// id of the key the objects are encrypted to.
	Encryption string `json:"encryption"`
	KeyID      string `json:"key_id"`

	// PKIObjectKey is the encrypted tar.gz of /etc/kubernetes/pki.
	PKIObjectKey string `json:"pki_object_key,omitempty"`
	PKISizeBytes int64  `json:"pki_size_bytes,omitempty"`
	PKISHA256    string `json:"pki_sha256,omitempty"`

	// OperationID is the operation that took the backup, if any.
	OperationID string `json:"operation_id,omitempty"`
}

// OpBackupCluster takes an etcd backup of a cluster (workflow BackupCluster);
// the cluster stays Ready meanwhile.
const OpBackupCluster = "cluster.backup"

// BackupRequest is the optional body of POST /api/v1/clusters/{name}/backups.
type BackupRequest struct {
	// Target names a configured backup target; empty means the service's
	// default target.
	Target string `json:"target,omitempty"`
	// Retention keeps this many newest backups of the cluster after this one
	// (at least 1); 0 means the service's default (setting backup-retention).
	Retention int `json:"retention,omitempty"`
}

// Validate checks the request against the configured target names.
func (r BackupRequest) Validate(targets []string) error {
	var v ValidationError
	if r.Target != "" && !slices.Contains(targets, r.Target) {
		v.Add("target", "is no configured backup target (have %v)", targets)
	}
	if r.Retention < 0 || r.Retention > MaxBackupRetention {
		v.Add("retention", "must be from 1 to %d (0 or absent: the default)", MaxBackupRetention)
	}
	return v.Err()
}

// MaxBackupRetention bounds how many backups of a cluster a retention keeps.
const MaxBackupRetention = 1000
