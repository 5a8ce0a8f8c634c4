package kubesphere

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/temporal"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// HeartbeatInterval is how often the activities heartbeat; workflows set
// their heartbeat timeout to a few times this.
const HeartbeatInterval = 5 * time.Second

// DefaultTimeout bounds each wait of an activity (a token issued, the
// token accepted, objects going away) unless the request says otherwise.
const DefaultTimeout = 2 * time.Minute

// ClusterAccess is what the activities read about a cluster, by its
// inventory id. bootstrap.Source (with the inventory) implements it.
type ClusterAccess interface {
	// AdminKubeconfig returns the cluster's admin kubeconfig.
	AdminKubeconfig(ctx context.Context, clusterID string) ([]byte, error)
	// ControlPlaneEndpoint returns the cluster's API endpoint, host:port.
	ControlPlaneEndpoint(ctx context.Context, clusterID string) (string, error)
}

// Activities register clusters as members of a KubeSphere host and remove
// them. Workflows pass names and inventory ids only: kubeconfigs and tokens
// are read and built inside the activities and never returned.
type Activities struct {
	Clusters ClusterAccess
	// Logger receives what the activities change; nil means slog.Default().
	Logger *slog.Logger
}

// Cluster names a cluster: a host or a member.
type Cluster struct {
	// ID is the cluster's inventory id.
	ID string `json:"id"`
	// Name is the cluster's name, the member's Cluster name on the host.
	Name string `json:"name"`
}

func (c Cluster) String() string { return c.Name }

// check checks that the cluster has an id and a name that is a DNS label.
func (c Cluster) check(role string) error {
	if c.ID == "" {
		return invalidInput("the %s cluster %q needs its inventory id", role, c.Name)
	}
	if errs := validation.IsDNS1123Label(c.Name); len(errs) > 0 {
		return invalidInput("the %s cluster's name %q: %s", role, c.Name, errs[0])
	}
	return nil
}

// clients reach one cluster's API server as its administrator.
type clients struct {
	cluster Cluster
	// caData is the cluster CA the admin kubeconfig trusts (PEM).
	caData []byte
	kube   kubernetes.Interface
	dyn    dynamic.Interface
	log    *slog.Logger
}

// connect builds the clients of a cluster from its admin kubeconfig.
func (a *Activities) connect(ctx context.Context, c Cluster) (*clients, error) {
	kubeconfig, err := a.Clusters.AdminKubeconfig(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig of cluster %s: %w", c.Name, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		// The parser's message may quote the document, keys included.
		return nil, badKubeconfig(c)
	}
	cfg.Timeout = 30 * time.Second
	cfg.QPS, cfg.Burst = 20, 40
	cfg.UserAgent = "clusterwright (kubesphere members)"
	return newClients(c, cfg, a.log())
}

// newClients builds the clients of a cluster from a REST configuration.
func newClients(c Cluster, cfg *rest.Config, log *slog.Logger) (*clients, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, badKubeconfig(c)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, badKubeconfig(c)
	}
	return &clients{cluster: c, caData: cfg.CAData, kube: kube, dyn: dyn, log: log.With("cluster", c.Name)}, nil
}

// badKubeconfig is the non-retryable ErrTypeBadKubeconfig error of a cluster.
func badKubeconfig(c Cluster) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("the admin kubeconfig of cluster %s does not load", c.Name), ErrTypeBadKubeconfig, nil)
}

func (a *Activities) log() *slog.Logger {
	if a.Logger == nil {
		return slog.Default()
	}
	return a.Logger
}
