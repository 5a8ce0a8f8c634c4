package antrea

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// HeartbeatInterval is how often the activities heartbeat; workflows set
// their heartbeat timeout to a few times this.
const HeartbeatInterval = 5 * time.Second

// ClusterAccess is what the activities read about a cluster, by its
// inventory id. bootstrap.Source (with the inventory) implements it.
type ClusterAccess interface {
	// AdminKubeconfig returns the cluster's admin kubeconfig.
	AdminKubeconfig(ctx context.Context, clusterID string) ([]byte, error)
	// ControlPlaneEndpoint returns the cluster's API endpoint, host:port.
	ControlPlaneEndpoint(ctx context.Context, clusterID string) (string, error)
}

// Activities are the side effects of forming, joining, leaving and
// disbanding an Antrea Multi-cluster ClusterSet. Workflows pass names and
// inventory ids only: kubeconfigs and tokens are read and copied inside the
// activities and never returned.
type Activities struct {
	Clusters ClusterAccess
	// ImageRegistry is the registry of the multi-cluster controller's image
	// (a mirror); empty means Docker Hub.
	ImageRegistry string
	// Logger receives what the activities change; nil means slog.Default().
	Logger *slog.Logger
}

// Cluster names a cluster of a ClusterSet.
type Cluster struct {
	// ID is the cluster's inventory id.
	ID string `json:"id"`
	// Name is the cluster's name, its ClusterID in the ClusterSet.
	Name string `json:"name"`
}

func (c Cluster) String() string { return c.Name }

// clients reach one cluster's API server as its administrator.
type clients struct {
	cluster Cluster
	kube    kubernetes.Interface
	dyn     dynamic.Interface
	log     *slog.Logger
}

// connect builds the clients of a cluster from its admin kubeconfig.
func (a *Activities) connect(ctx context.Context, c Cluster) (*clients, error) {
	if c.ID == "" || c.Name == "" {
		return nil, invalidInput("a cluster needs its id and name (got id %q, name %q)", c.ID, c.Name)
	}
	kubeconfig, err := a.Clusters.AdminKubeconfig(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig of cluster %s: %w", c.Name, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		// The parser's message may quote the document, keys included.
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("the admin kubeconfig of cluster %s does not load", c.Name), ErrTypeBadKubeconfig, nil)
	}
	cfg.Timeout = 30 * time.Second
	cfg.QPS, cfg.Burst = 20, 40
	cfg.UserAgent = "clusterwright (antrea multi-cluster)"
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("client of cluster %s", c.Name), ErrTypeBadKubeconfig, nil)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("client of cluster %s", c.Name), ErrTypeBadKubeconfig, nil)
	}
	return &clients{cluster: c, kube: kube, dyn: dyn, log: a.log().With("cluster", c.Name)}, nil
}

// image is the controller's image reference.
func (a *Activities) image() string {
	if a.ImageRegistry == "" {
		return ControllerImage
	}
	return strings.TrimSuffix(a.ImageRegistry, "/") + "/" + ControllerImage
}

func (a *Activities) log() *slog.Logger {
	if a.Logger == nil {
		return slog.Default()
	}
	return a.Logger
}
