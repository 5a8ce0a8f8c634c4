package backups

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/domain"
)

// HeartbeatInterval is how often the activities heartbeat; workflows set
// their heartbeat timeout to a few times this.
const HeartbeatInterval = nodes.HeartbeatInterval

// Timeouts of the commands on the node.
const (
	// SnapshotTimeout bounds etcdctl snapshot save.
	SnapshotTimeout = 10 * time.Minute
	// TransferTimeout bounds streaming the snapshot or the PKI off the node.
	TransferTimeout = 30 * time.Minute
)

// Store is the inventory the activities record backups in;
// inventory.Store implements it.
type Store interface {
	RecordBackup(ctx context.Context, b domain.Backup) (domain.Backup, error)
	// GetBackup and GetClusterByID read what a restore checks.
	GetBackup(ctx context.Context, id string) (domain.Backup, error)
	GetClusterByID(ctx context.Context, id string) (domain.Cluster, error)
	backupstore.Records
}

// Activities take and prune etcd backups.
type Activities struct {
	// Nodes logs in to the clusters' nodes.
	Nodes *nodes.Activities
	Store Store
	// Key encrypts the backups (backupstore.DeriveKey of the master key).
	Key *backupstore.Key
	// OldKeys decrypt backups taken before the master key was rotated (derived
	// from the old master keys); new backups are always encrypted with Key.
	OldKeys []*backupstore.Key
	// Targets are the configured backup targets by name; a backup input
	// naming none goes to DefaultTarget.
	Targets       map[string]backupstore.Target
	DefaultTarget string
	// Logger receives a line per backup; nil means slog.Default().
	Logger *slog.Logger
}

func (a *Activities) logger() *slog.Logger {
	if a.Logger == nil {
		return slog.Default()
	}
	return a.Logger
}

// keyOf returns the key a backup recorded as encrypted with id was encrypted with:
// Key or one of OldKeys; nil when the service holds none.
func (a *Activities) keyOf(id string) *backupstore.Key {
	if a.Key.ID() == id {
		return a.Key
	}
	for _, k := range a.OldKeys {
		if k.ID() == id {
			return k
		}
	}
	return nil
}

// targets lists the configured targets in a stable order.
func (a *Activities) targets() []backupstore.Target {
	names := make([]string, 0, len(a.Targets))
	for name := range a.Targets {
		names = append(names, name)
	}
	slices.Sort(names)
	list := make([]backupstore.Target, 0, len(names))
	for _, name := range names {
		list = append(list, a.Targets[name])
	}
	return list
}
