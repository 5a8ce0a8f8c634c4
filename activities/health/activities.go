// Package health holds the activity of the cluster-health schedule: it looks at what a
// cluster really is (its VMs in vCenter, its API server and nodes, its add-ons' Helm releases,
// its certificates' expiry) and records the phase Ready, Degraded or Unreachable with
// the reasons. It starts no operation and never takes a cluster that is in one.
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/domain"
)

// Store is what the check reads and writes in the inventory (inventory.Store).
type Store interface {
	GetClusterByID(ctx context.Context, id string) (domain.Cluster, error)
	SetHealthPhase(ctx context.Context, id, phase, reason string) (bool, error)
}

// VMLister lists the VMs vCenter has marked for a cluster, in one property-collector
// query (vsphere.Activities).
type VMLister interface {
	ListClusterVMs(ctx context.Context, ref vsphere.ClusterRef) ([]vsphere.VMInfo, error)
}

// APIProber asks a cluster's API server whether it answers, and for its nodes
// (kube.Activities).
type APIProber interface {
	ProbeHealth(ctx context.Context, clusterID string) (kube.APIHealth, error)
}

// Activities check clusters' health.
type Activities struct {
	Store Store
	VMs   VMLister
	API   APIProber
	// Releases, when set, reads the add-ons' releases in the cluster; without it the
	// check trusts the add-on records.
	Releases ReleaseReader
	Logger   *slog.Logger
	// Now is the clock of the certificate check (time.Now when nil).
	Now func() time.Time
}

// Input names the cluster to check.
type Input struct {
	ClusterID string
	Name      string
}

// Result is what a check found and recorded. Skipped, when set, says why the cluster
// was not judged (deleted, in an operation, not in a health phase); then Phase is empty.
type Result struct {
	Phase   string
	Reason  string
	Skipped string
}

// CheckCluster checks one cluster and records its phase with a conditional update that
// gives way to any operation started meanwhile.
func (a *Activities) CheckCluster(ctx context.Context, in Input) (Result, error) {
	defer heartbeat.Every(ctx, vsphere.HeartbeatInterval)()
	c, err := a.Store.GetClusterByID(ctx, in.ClusterID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && c.Phase == domain.PhaseDeleted) {
		return Result{Skipped: "cluster was deleted"}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("read cluster %s: %w", in.Name, err)
	}
	if skip := notEligible(c); skip != "" {
		return Result{Skipped: skip}, nil
	}
	facts := Facts{Nodes: c.Nodes, Addons: c.Addons, CertificateExpiry: c.CertificateExpiry, Now: a.now()}
	facts.VMs, err = a.VMs.ListClusterVMs(ctx, vsphere.ClusterRef{VCenterID: c.VCenterID, ClusterID: c.ID})
	if err != nil {
		facts.VMsProblem = "vCenter " + c.VCenter + ": " + err.Error()
	}
	if facts.API, err = a.API.ProbeHealth(ctx, c.ID); err != nil {
		return Result{}, fmt.Errorf("probe the API server of cluster %s: %w", c.Name, err)
	}
	if facts.API.Answering && a.Releases != nil {
		facts.Addons = a.liveAddons(ctx, c)
	}
	v := Classify(facts)
	recorded, err := a.Store.SetHealthPhase(ctx, c.ID, v.Phase, v.Reason)
	if err != nil {
		return Result{}, err
	}
	if !recorded {
		return Result{Skipped: "an operation started on the cluster during the check"}, nil
	}
	if v.Phase != c.Phase || v.Reason != c.PhaseReason {
		a.logger().Info("cluster health changed", "cluster", c.Name, "from", c.Phase, "to", v.Phase, "reason", v.Reason)
	}
	return Result{Phase: v.Phase, Reason: v.Reason}, nil
}

// notEligible says why a cluster is not checked now, or "".
func notEligible(c domain.Cluster) string {
	switch {
	case !slices.Contains(domain.HealthPhases, c.Phase):
		return "cluster is " + c.Phase
	case c.Operation != nil:
		return "cluster is busy with operation " + c.Operation.ID + " (" + c.Operation.Kind + ")"
	}
	return ""
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Activities) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}
