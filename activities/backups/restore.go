package backups

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/domain"
)

// Restoring a backup: CheckRestore refuses what may not be restored, UploadSnapshot
// puts the decrypted snapshot on each control-plane node, RestoreSnapshot turns it into
// the node's etcd data directory (the control plane stopped meanwhile, see
// nodes.StopControlPlane and StartControlPlane) and RemoveRestoreFiles cleans up.

// ErrTypeRestoreRefused: the backup may not be restored into the cluster (another
// cluster's, another Kubernetes minor, deleted, unknown, its target or key not
// configured here). Not retryable; nothing was changed.
const ErrTypeRestoreRefused = "RestoreRefused"

// Where a restore works on a node.
const (
	// nodeRestoreDir holds the uploaded snapshot and the restored data directory
	// until they are swapped in.
	nodeRestoreDir = "/var/lib/clusterwright/restore"
	// etcdDataDir is etcd's data directory on a kubeadm node (etcd.local.dataDir's
	// default), where the kubelet's etcd static Pod finds it.
	etcdDataDir = "/var/lib/etcd"
	// etcdPeerPort is the port of etcd's peer URL on a kubeadm node.
	etcdPeerPort = "2380"
	// bumpRevision is how far a restore moves etcd's revision beyond the snapshot's, so
	// that watchers (kubelets, controllers) never see a revision go back (etcd's
	// advice for restoring a Kubernetes cluster, with --mark-compacted).
	bumpRevision = "1000000000"
)

// RestoreCheckInput names the cluster and the backup to restore into it.
type RestoreCheckInput struct {
	ClusterID string `json:"cluster_id"`
	BackupID  string `json:"backup_id"`
}

// RestoreMember is a control-plane node whose etcd member a restore recreates.
type RestoreMember struct {
	Node nodes.NodeRef `json:"node"`
	// PeerURL is the member's etcd peer URL (https://<ip>:2380).
	PeerURL string `json:"peer_url"`
}

// RestorePlan is what a restore of a backup into a cluster works on.
type RestorePlan struct {
	ClusterName string `json:"cluster_name"`
	// Members are the cluster's control-plane nodes, by name.
	Members []RestoreMember `json:"members"`
	// Nodes are all the cluster's nodes, waited for after the restore.
	Nodes []string `json:"nodes"`
}

// InitialCluster is etcd's --initial-cluster of the plan's members: name=peer URL, ...
func (p RestorePlan) InitialCluster() string {
	list := make([]string, len(p.Members))
	for i, m := range p.Members {
		list[i] = m.Node.Node + "=" + m.PeerURL
	}
	return strings.Join(list, ",")
}

func refused(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeRestoreRefused, nil)
}

// CheckRestore checks that the backup may be restored into the cluster (see
// domain.CheckRestore), that its target is configured here and its key is this
// service's, and returns the plan of the restore. It changes nothing.
func (a *Activities) CheckRestore(ctx context.Context, in RestoreCheckInput) (RestorePlan, error) {
	c, err := a.Store.GetClusterByID(ctx, in.ClusterID)
	if err != nil {
		return RestorePlan{}, fmt.Errorf("restore: read cluster %s: %w", in.ClusterID, err)
	}
	b, err := a.backup(ctx, in.BackupID)
	if err != nil {
		return RestorePlan{}, err
	}
	var refusal *domain.RestoreRefusedError
	if err := domain.CheckRestore(c, b); errors.As(err, &refusal) {
		return RestorePlan{}, refused("%s", refusal.Reason)
	}
	if _, err := a.targetOf(b); err != nil {
		return RestorePlan{}, err
	}
	if a.keyOf(b.KeyID) == nil {
		return RestorePlan{}, refused("backup %s is encrypted with key %s, not with this service's key %s (nor an old one it holds)", b.ID, b.KeyID, a.Key.ID())
	}
	plan := RestorePlan{ClusterName: c.Name}
	for _, n := range c.Nodes {
		plan.Nodes = append(plan.Nodes, n.Name)
		if n.Role != domain.RoleNameControlPlane {
			continue
		}
		if n.IP == "" || !safeWord.MatchString(n.Name) || net.ParseIP(n.IP) == nil {
			return RestorePlan{}, refused("control-plane node %q of cluster %s has no usable name and address (%q)", n.Name, c.Name, n.IP)
		}
		plan.Members = append(plan.Members, RestoreMember{
			Node:    nodes.NodeRef{ClusterID: c.ID, Node: n.Name, Address: n.IP},
			PeerURL: "https://" + net.JoinHostPort(n.IP, etcdPeerPort),
		})
	}
	if len(plan.Members) == 0 {
		return RestorePlan{}, refused("cluster %s has no recorded control-plane node", c.Name)
	}
	return plan, nil
}

// backup reads a backup's record; an unknown one is refused.
func (a *Activities) backup(ctx context.Context, id string) (domain.Backup, error) {
	if !uuidPattern.MatchString(id) {
		return domain.Backup{}, refused("backup id %q is not a lower-case UUID", id)
	}
	b, err := a.Store.GetBackup(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Backup{}, refused("there is no backup %s", id)
	}
	if err != nil {
		return domain.Backup{}, fmt.Errorf("restore: read backup %s: %w", id, err)
	}
	return b, nil
}

// targetOf is the configured target the backup was stored at.
func (a *Activities) targetOf(b domain.Backup) (backupstore.Target, error) {
	t := backupstore.FindTarget(a.targets(), b.TargetKind, b.TargetLocation)
	if t == nil {
		return nil, refused("backup %s is stored at the %s target %s, which is not configured on this worker", b.ID, b.TargetKind, b.TargetLocation)
	}
	return t, nil
}

// UploadInput names the backup whose snapshot goes to a control-plane node.
type UploadInput struct {
	BackupID string        `json:"backup_id"`
	Node     nodes.NodeRef `json:"node"`
}

// snapshotFile is where a backup's snapshot is uploaded to on a node.
func snapshotFile(backupID string) string { return nodeRestoreDir + "/" + backupID + ".db" }

// UploadSnapshot puts a backup's snapshot on a control-plane node: the object streamed
// from its target through the decryption into `sudo tee` on the node (no plaintext on
// the worker's disk), compared with sha256sum on the node against the snapshot's
// recorded digest, then moved into place. Uploading it again replaces it.
func (a *Activities) UploadSnapshot(ctx context.Context, in UploadInput) error {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	b, err := a.backup(ctx, in.BackupID)
	if err != nil {
		return err
	}
	target, err := a.targetOf(b)
	if err != nil {
		return err
	}
	s, err := nodes.OpenSession(ctx, a.Nodes, in.Node)
	if err != nil {
		return nodes.Classify(err)
	}
	defer s.Close()
	return nodes.Classify(a.upload(ctx, s, b, target))
}

// upload runs the upload in session s.
func (a *Activities) upload(ctx context.Context, s *nodes.Session, b domain.Backup, target backupstore.Target) error {
	file := snapshotFile(b.ID)
	if _, err := s.Run(ctx, nodes.Command{Line: "sudo mkdir -p " + nodeRestoreDir + " && sudo rm -f " + file + ".part"}); err != nil {
		return err
	}
	obj, err := target.Get(ctx, b.ObjectKey)
	if errors.Is(err, backupstore.ErrNotFound) {
		return refused("the snapshot of backup %s is gone from %s (%s)", b.ID, target.Location(), b.ObjectKey)
	}
	if err != nil {
		return fmt.Errorf("read the snapshot of backup %s: %w", b.ID, err)
	}
	defer obj.Close()
	key := a.keyOf(b.KeyID)
	if key == nil {
		return refused("backup %s is encrypted with key %s, which this service does not hold", b.ID, b.KeyID)
	}
	plain, err := key.Decrypt(obj)
	if errors.Is(err, backupstore.ErrWrongKey) {
		return refused("the snapshot of backup %s does not decrypt with this service's key", b.ID)
	}
	if err != nil {
		return fmt.Errorf("decrypt the snapshot of backup %s: %w", b.ID, err)
	}
	sum := sha256.New()
	if _, err := s.Stream(ctx, nodes.Command{Line: "sudo tee " + file + ".part", Stdin: io.TeeReader(plain, sum),
		Timeout: TransferTimeout}, io.Discard); err != nil {
		return err
	}
	sent := hex.EncodeToString(sum.Sum(nil))
	want := b.SnapshotSHA256
	if want == "" { // not recorded: the bytes sent are the bar
		want = sent
	}
	out, err := s.Run(ctx, nodes.Command{Line: "sudo sha256sum " + file + ".part"})
	if err != nil {
		return err
	}
	onNode, _, _ := strings.Cut(string(out.Stdout), " ")
	if sent != want || onNode != want {
		return temporal.NewApplicationError(fmt.Sprintf(
			"the snapshot of backup %s uploaded to node %s has sha256 %s on the node (%s sent); the backup's snapshot has %s",
			b.ID, s.Node().Node, onNode, sent, want), ErrTypeSnapshotCorrupt)
	}
	_, err = s.Run(ctx, nodes.Command{Line: "sudo mv " + file + ".part " + file})
	return err
}

// RestoreInput says which uploaded snapshot becomes which etcd member.
type RestoreInput struct {
	BackupID string        `json:"backup_id"`
	Node     nodes.NodeRef `json:"node"`
	// PeerURL is this member's peer URL; InitialCluster lists every member as
	// name=peer URL (RestorePlan.InitialCluster).
	PeerURL        string `json:"peer_url"`
	InitialCluster string `json:"initial_cluster"`
	// Token is the new etcd cluster's token, the same for every member of one restore.
	Token string `json:"token"`
}

// safeWord matches the values a restore puts on a command line: names, URLs, lists.
var safeWord = regexp.MustCompile(`^[A-Za-z0-9._:/=,-]+$`)

// RestoreSnapshot restores the uploaded snapshot into a new etcd data directory on a
// control-plane node whose control plane is stopped (`etcdutl snapshot restore` with
// the member's name and peer URL, every member, the new cluster token, the revision
// bumped and marked compacted), then swaps it in for /var/lib/etcd. The data directory
// it replaces is kept beside it as /var/lib/etcd.before-<token> (the first time; a
// repeated restore replaces its own result).
func (a *Activities) RestoreSnapshot(ctx context.Context, in RestoreInput) error {
	for _, v := range []string{in.BackupID, in.Node.Node, in.PeerURL, in.InitialCluster, in.Token} {
		if !safeWord.MatchString(v) {
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("restore input %q is empty or has characters a restore does not take", v),
				ErrTypeInvalidInput, nil)
		}
	}
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	s, err := nodes.OpenSession(ctx, a.Nodes, in.Node)
	if err != nil {
		return nodes.Classify(err)
	}
	defer s.Close()
	return nodes.Classify(restore(ctx, s, in))
}

// restore runs the restore in session s.
func restore(ctx context.Context, s *nodes.Session, in RestoreInput) error {
	restored := nodeRestoreDir + "/etcd-" + in.Token
	kept := etcdDataDir + ".before-" + in.Token
	if _, err := s.Run(ctx, nodes.Command{Timeout: SnapshotTimeout, Line: "sudo rm -rf " + restored +
		" && sudo etcdutl snapshot restore " + snapshotFile(in.BackupID) +
		" --name " + in.Node.Node + " --initial-cluster " + in.InitialCluster +
		" --initial-cluster-token " + in.Token + " --initial-advertise-peer-urls " + in.PeerURL +
		" --data-dir " + restored + " --bump-revision " + bumpRevision + " --mark-compacted"}); err != nil {
		return err
	}
	hasKept, err := exists(ctx, s, kept)
	if err != nil {
		return err
	}
	hasData, err := exists(ctx, s, etcdDataDir)
	if err != nil {
		return err
	}
	switch {
	case hasData && !hasKept: // the data before the restore: kept
		_, err = s.Run(ctx, nodes.Command{Line: "sudo mv " + etcdDataDir + " " + kept})
	case hasData: // an earlier attempt's restore: replaced
		_, err = s.Run(ctx, nodes.Command{Line: "sudo rm -rf " + etcdDataDir})
	}
	if err != nil {
		return err
	}
	_, err = s.Run(ctx, nodes.Command{Line: "sudo mv " + restored + " " + etcdDataDir})
	return err
}

// exists reports whether path exists on the node.
func exists(ctx context.Context, s *nodes.Session, path string) (bool, error) {
	_, err := s.Run(ctx, nodes.Command{Line: "sudo test -e " + path})
	var cmdErr *nodes.CommandError
	if errors.As(err, &cmdErr) && cmdErr.ExitStatus == 1 {
		return false, nil
	}
	return err == nil, err
}

// RemoveRestoreFiles removes what a restore put on a node besides the new data
// directory: the uploaded snapshot and any unfinished restored directory.
func (a *Activities) RemoveRestoreFiles(ctx context.Context, node nodes.NodeRef) error {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	s, err := nodes.OpenSession(ctx, a.Nodes, node)
	if err != nil {
		return nodes.Classify(err)
	}
	defer s.Close()
	_, err = s.Run(ctx, nodes.Command{Line: "sudo rm -rf " + nodeRestoreDir})
	return nodes.Classify(err)
}
