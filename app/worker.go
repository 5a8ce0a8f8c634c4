package app

import (
	"context"
	"fmt"
	"path/filepath"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/activities/antrea"
	"github.com/clusterwright/clusterwright/activities/backups"
	"github.com/clusterwright/clusterwright/activities/health"
	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/activities/kubesphere"
	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/activities/schedules"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/steptrack"
	"github.com/clusterwright/clusterwright/workflows"
)

// NewWorker returns a worker on the Clusterwright task queue with every workflow and
// activity registered: the one place where registration happens. While it runs, it
// also reconciles the operations with their workflows (see reconcilingWorker).
func (a *App) NewWorker() (worker.Worker, error) {
	interceptors := append([]interceptor.WorkerInterceptor{a.Metrics.WorkerInterceptor(), steptrack.NewInterceptor(a.Store, a.Logger)}, a.Interceptors...)
	w := worker.New(a.Temporal, workflows.TaskQueue, worker.Options{Interceptors: interceptors})
	if err := Register(w, a); err != nil {
		return nil, err
	}
	return &reconcilingWorker{Worker: w, app: a}, nil
}

// Register registers every workflow and activity of Clusterwright on r.
func Register(r worker.Registry, a *App) error {
	sources, err := addons.MirroredSources(a.Config.ChartMirror)
	if err != nil {
		return fmt.Errorf("chart-mirror: %w", err)
	}
	cacheDir := a.Config.CacheDir
	if cacheDir != "" {
		cacheDir = filepath.Join(cacheDir, "addons")
	}
	boot := &bootstrap.Source{Store: a.Store, Logger: a.Logger}

	for _, w := range append(workflows.All(), a.Workflows...) {
		r.RegisterWorkflow(w)
	}
	concurrency, err := a.Config.scheduleConcurrency()
	if err != nil {
		return err
	}

	r.RegisterActivity(&invacts.Activities{Store: a.Store})
	r.RegisterActivity(&invacts.ClusterActivities{Store: a.Store, Bootstrap: boot})
	r.RegisterActivity(&invacts.ClusterSetActivities{Store: a.Store})
	vsphereActs := &vsphere.Activities{Sessions: a.Sessions, Store: a.Store, Budget: a.Budget, GuestInfo: boot}
	kubeActs := &kube.Activities{Clusters: boot, Bindings: boot, Tokens: boot, Certs: boot}
	r.RegisterActivity(vsphereActs)
	r.RegisterActivity(kubeActs)
	addonActs := &addons.Activities{
		Installer:               &addons.Installer{Sources: sources, CacheDir: cacheDir, Logger: a.Logger},
		Clusters:                clusterAccess{Source: boot, accounts: a.Store},
		KubeSphereImageRegistry: a.Config.KubeSphereImageRegistry,
	}
	r.RegisterActivity(&health.Activities{Store: a.Store, VMs: vsphereActs, API: kubeActs, Releases: addonActs, Logger: a.Logger})
	r.RegisterActivity(addonActs)
	r.RegisterActivity(&antrea.Activities{
		Clusters:      antreaAccess{boot},
		ImageRegistry: a.Config.AntreaImageRegistry,
		Logger:        a.Logger,
	})
	r.RegisterActivity(&kubesphere.Activities{Clusters: antreaAccess{boot}, Logger: a.Logger})
	nodeActs := &nodes.Activities{Keys: boot, HostKeys: a.Store, Logger: a.Logger}
	r.RegisterActivity(nodeActs)
	r.RegisterActivity(&backups.Activities{Nodes: nodeActs, Store: a.Store, Key: a.Backups.Key, OldKeys: a.Backups.OldKeys,
		Targets: a.Backups.Targets, DefaultTarget: a.Backups.DefaultTarget, Logger: a.Logger})
	r.RegisterActivity(&schedules.Activities{Store: a.Store, Starter: a.Schedules, Metrics: a.Metrics, Concurrency: concurrency})
	return nil
}

// antreaAccess gives the ClusterSet and KubeSphere member activities what
// they read of a cluster.
type antreaAccess struct{ *bootstrap.Source }

// ControlPlaneEndpoint returns the cluster's API endpoint (host:port).
func (c antreaAccess) ControlPlaneEndpoint(ctx context.Context, clusterID string) (string, error) {
	cl, err := c.Store.GetClusterByID(ctx, clusterID)
	if err != nil {
		return "", err
	}
	return cl.ControlPlaneEndpoint, nil
}

// clusterAccess gives the add-on activities what they read of a cluster.
type clusterAccess struct {
	*bootstrap.Source
	accounts clusterAccounts
}

// clusterAccounts reads the account a vCenter's clusters get.
type clusterAccounts interface {
	ClusterAccountCredentials(ctx context.Context, vcenterID string) (domain.ClusterAccountCredentials, error)
}

// VCenterConn returns the address of the cluster's vCenter and the account its vSphere
// drivers get: the vCenter's cluster account, or the service's own only when the
// registration shares it on purpose. A vCenter with neither is an error: the service
// never puts its own account into a cluster unasked.
func (c clusterAccess) VCenterConn(ctx context.Context, clusterID string) (addons.VCenterConn, error) {
	cl, err := c.Store.GetClusterByID(ctx, clusterID)
	if err != nil {
		return addons.VCenterConn{}, err
	}
	creds, err := c.accounts.ClusterAccountCredentials(ctx, cl.VCenterID)
	if err != nil {
		return addons.VCenterConn{}, fmt.Errorf("cluster account of vCenter %s: %w", cl.VCenter, err)
	}
	return addons.VCenterConn{Host: creds.Server, Username: creds.Username, Password: creds.Password,
		Insecure: creds.Insecure, Thumbprint: creds.Thumbprint}, nil
}
