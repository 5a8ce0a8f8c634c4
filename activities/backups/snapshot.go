package backups

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/domain"
)

// Temporal error types of the activities besides those of activities/nodes.
const (
	// ErrTypeInvalidInput: no or a malformed backup id, an unknown target,
	// a retention keeping nothing. Not retryable.
	ErrTypeInvalidInput = "BackupInvalidInput"
	// ErrTypeSnapshotCorrupt: the snapshot copied off the node is not the
	// one etcdutl checked (another digest). Retryable: the next try takes a
	// new snapshot.
	ErrTypeSnapshotCorrupt = "BackupSnapshotCorrupt"
)

// Where the snapshot is written on the node, under the backup's id, and
// the PKI archived from.
const (
	nodeBackupDir = "/var/lib/clusterwright/backup"
	pkiParent     = "/etc/kubernetes"
)

// SnapshotInput says which backup to take, of which node, to where.
type SnapshotInput struct {
	// BackupID is the backup's id (a UUID), chosen by the caller: a retried
	// activity with the same id finishes the same backup.
	BackupID string `json:"backup_id"`
	// Node is a control-plane node of the cluster with a healthy etcd member.
	Node nodes.NodeRef `json:"node"`
	// Target names a configured target; empty means the default.
	Target string `json:"target,omitempty"`
	// OperationID is the operation taking the backup, if any.
	OperationID string `json:"operation_id,omitempty"`
}

// SnapshotResult is the backup taken.
type SnapshotResult struct {
	BackupID string `json:"backup_id"`
	// SizeBytes and SHA256 are of the encrypted snapshot at the target.
	SizeBytes    int64  `json:"size_bytes"`
	SHA256       string `json:"sha256"`
	EtcdRevision int64  `json:"etcd_revision"`
	// SnapshotSizeBytes is the size of the plain snapshot.
	SnapshotSizeBytes int64  `json:"snapshot_size_bytes"`
	KubernetesVersion string `json:"kubernetes_version"`
	TargetKind        string `json:"target_kind"`
	TargetLocation    string `json:"target_location"`
	ObjectKey         string `json:"object_key"`
	PKIObjectKey      string `json:"pki_object_key"`
}

// Object keys of a backup at its target.
func snapshotKey(clusterID, backupID string) string {
	return clusterID + "/" + backupID + "/etcd-snapshot.db.age"
}

func pkiKey(clusterID, backupID string) string {
	return clusterID + "/" + backupID + "/pki.tar.gz.age"
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func invalid(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeInvalidInput, nil)
}

// SnapshotEtcd takes an etcd backup on a control-plane node: etcdctl
// snapshot save with the etcd client certificate, etcdutl snapshot status
// for its revision, the file streamed off the node through the encryption
// into the target (no plaintext on the worker's disk) and compared with
// sha256sum on the node, the file removed from the node, /etc/kubernetes/pki
// archived and stored the same way, and the backup recorded.
func (a *Activities) SnapshotEtcd(ctx context.Context, in SnapshotInput) (SnapshotResult, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	if !uuidPattern.MatchString(in.BackupID) {
		return SnapshotResult{}, invalid("backup id %q is not a lower-case UUID", in.BackupID)
	}
	name := in.Target
	if name == "" {
		name = a.DefaultTarget
	}
	target, ok := a.Targets[name]
	if !ok {
		return SnapshotResult{}, invalid("no backup target %q is configured", name)
	}
	s, err := nodes.OpenSession(ctx, a.Nodes, in.Node)
	if err != nil {
		return SnapshotResult{}, nodes.Classify(err)
	}
	defer s.Close()
	res, err := a.snapshot(ctx, s, in, target)
	if err != nil {
		return SnapshotResult{}, nodes.Classify(err)
	}
	return res, nil
}

// snapshot runs the backup in session s.
func (a *Activities) snapshot(ctx context.Context, s *nodes.Session, in SnapshotInput, target backupstore.Target) (SnapshotResult, error) {
	began := time.Now()
	file := nodeBackupDir + "/" + in.BackupID + ".db"
	// Whatever happens, the snapshot does not stay on the node.
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_, _ = s.Run(cctx, nodes.Command{Line: "sudo rm -f " + file + " " + file + ".part"})
	}()

	version, err := s.Run(ctx, nodes.Command{Line: "sudo kubeadm version -o short"})
	if err != nil {
		return SnapshotResult{}, err
	}
	_, err = s.Run(ctx, nodes.Command{Timeout: SnapshotTimeout, Line: "sudo mkdir -p " + nodeBackupDir +
		" && sudo rm -f " + file + " && sudo ETCDCTL_API=3 etcdctl " + nodes.EtcdctlFlags + " snapshot save " + file})
	if err != nil {
		return SnapshotResult{}, err
	}
	out, err := s.Run(ctx, nodes.Command{Line: "sudo etcdutl snapshot status " + file + " -w json"})
	if err != nil {
		return SnapshotResult{}, err
	}
	status, err := parseSnapshotStatus(out.Stdout)
	if err != nil {
		return SnapshotResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("etcdutl snapshot status on node %s: %v", in.Node.Node, err), nodes.ErrTypeBadOutput, nil)
	}
	out, err = s.Run(ctx, nodes.Command{Line: "sudo sha256sum " + file})
	if err != nil {
		return SnapshotResult{}, err
	}
	nodeSum, _, _ := strings.Cut(string(out.Stdout), " ")

	snap, err := backupstore.Upload(ctx, target, a.Key, snapshotKey(in.Node.ClusterID, in.BackupID), func(w io.Writer) error {
		_, err := s.Stream(ctx, nodes.Command{Line: "sudo cat " + file, Timeout: TransferTimeout}, w)
		return err
	})
	if err != nil {
		return SnapshotResult{}, err
	}
	if snap.PlainSHA256 != nodeSum {
		return SnapshotResult{}, temporal.NewApplicationError(fmt.Sprintf(
			"the snapshot copied off node %s has sha256 %s, the file on the node %q", in.Node.Node, snap.PlainSHA256, nodeSum),
			ErrTypeSnapshotCorrupt)
	}
	if _, err := s.Run(ctx, nodes.Command{Line: "sudo rm -f " + file}); err != nil {
		return SnapshotResult{}, err
	}
	pki, err := backupstore.Upload(ctx, target, a.Key, pkiKey(in.Node.ClusterID, in.BackupID), func(w io.Writer) error {
		_, err := s.Stream(ctx, nodes.Command{Line: "sudo tar -C " + pkiParent + " -czf - pki", Timeout: TransferTimeout}, w)
		return err
	})
	if err != nil {
		return SnapshotResult{}, err
	}

	b, err := a.Store.RecordBackup(ctx, domain.Backup{
		ID: in.BackupID, ClusterID: in.Node.ClusterID, TargetKind: target.Kind(), TargetLocation: target.Location(),
		ObjectKey: snap.Key, SizeBytes: snap.Size, SHA256: snap.SHA256,
		SnapshotSizeBytes: snap.PlainSize, SnapshotSHA256: snap.PlainSHA256,
		EtcdRevision: status.Revision, EtcdHash: status.Hash, KubernetesVersion: strings.TrimSpace(string(version.Stdout)),
		Node: in.Node.Node, Encryption: backupstore.Scheme, KeyID: a.Key.ID(),
		PKIObjectKey: pki.Key, PKISizeBytes: pki.Size, PKISHA256: pki.SHA256, OperationID: in.OperationID,
	})
	if err != nil {
		return SnapshotResult{}, err
	}
	a.logger().Info("etcd backup stored", "cluster_id", b.ClusterID, "backup_id", b.ID, "node", b.Node,
		"target", b.TargetLocation, "size_bytes", b.SizeBytes, "revision", b.EtcdRevision, "took", time.Since(began).Round(time.Millisecond))
	return SnapshotResult{BackupID: b.ID, SizeBytes: b.SizeBytes, SHA256: b.SHA256, EtcdRevision: b.EtcdRevision,
		SnapshotSizeBytes: b.SnapshotSizeBytes, KubernetesVersion: b.KubernetesVersion, TargetKind: b.TargetKind,
		TargetLocation: b.TargetLocation, ObjectKey: b.ObjectKey, PKIObjectKey: b.PKIObjectKey}, nil
}

// SnapshotStatus is what `etcdutl snapshot status -w json` prints.
type SnapshotStatus struct {
	Hash      int64  `json:"hash"`
	Revision  int64  `json:"revision"`
	TotalKey  int64  `json:"totalKey"`
	TotalSize int64  `json:"totalSize"`
	Version   string `json:"version"`
}

// parseSnapshotStatus parses and checks etcdutl's status of a snapshot.
func parseSnapshotStatus(stdout []byte) (SnapshotStatus, error) {
	var st SnapshotStatus
	if err := json.Unmarshal(stdout, &st); err != nil {
		return st, fmt.Errorf("want etcdutl's JSON status: %v; output: %q", err, nodes.Redact(string(head(stdout, 512))))
	}
	if st.Revision <= 0 || st.TotalKey <= 0 {
		return st, fmt.Errorf("snapshot without revision or keys: %+v", st)
	}
	return st, nil
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
