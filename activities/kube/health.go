package kube

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// probeTimeout bounds each request of a health probe: a health check must not hang on
// a cluster that does not answer.
const probeTimeout = 5 * time.Second

// APIHealth is what a health probe saw of a cluster's API server.
type APIHealth struct {
	// Answering: /readyz answered "ok" with a certificate of the cluster CA.
	Answering bool `json:"answering"`
	// Problem says why the API server is not answering, or why its nodes could not be
	// listed.
	Problem string      `json:"problem,omitempty"`
	Nodes   []NodeState `json:"nodes,omitempty"`
}

// ProbeHealth asks the cluster's API server once, with a short timeout, for /readyz
// (verifying its certificate against the cluster CA) and for its nodes. A server that
// does not answer is not an error: it is what the result says.
func (a *Activities) ProbeHealth(ctx context.Context, clusterID string) (APIHealth, error) {
	kubeconfig, err := a.Clusters.AdminKubeconfig(ctx, clusterID)
	if err != nil {
		return APIHealth{}, fmt.Errorf("kubeconfig of cluster %s: %w", clusterID, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return APIHealth{}, fmt.Errorf("the admin kubeconfig of cluster %s does not load", clusterID)
	}
	cfg.Timeout = probeTimeout
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return APIHealth{}, fmt.Errorf("client of cluster %s: %w", clusterID, err)
	}
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	switch {
	case untrusted(err):
		return APIHealth{Problem: "API server does not present a certificate of the cluster CA"}, nil
	case apierrors.IsInternalError(err) || (err == nil && string(body) != "ok"):
		return APIHealth{Problem: "API server not ready"}, nil
	case err != nil:
		return APIHealth{Problem: "API server not answering"}, nil
	}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return APIHealth{Answering: true, Problem: "nodes could not be listed"}, nil
	}
	out := APIHealth{Answering: true}
	for _, n := range list.Items {
		out.Nodes = append(out.Nodes, stateOf(n))
	}
	return out, nil
}
