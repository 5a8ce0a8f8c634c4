package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// SecretJoinToken is the cluster secret holding the bootstrap token of the nodes that
// join a running cluster (scaling, replacing): made fresh for each such operation and
// deleted after it, never the day-0 token, which has long expired.
const SecretJoinToken = "join-token"

// plannedNode is the node vmName of cluster c: a node of one of its spec's pools, of
// any index (a provision's, or one a Day-2 operation adds), named as VMName names it;
// a node of a pool the spec does not list yet (being added by a scale) is a worker.
// Day-2 operations never make index 0 of the control plane again (see
// domain.NextNodeIndex), so only a provision's first control plane runs kubeadm init.
func (s *Source) plannedNode(_ context.Context, c domain.Cluster, vmName string) (domain.PlannedNode, error) {
	if n, ok := domain.PlanNode(c.Spec, vmName); ok {
		return n, nil
	}
	if pool, i, ok := domain.ParseNodeName(c.Name, vmName); ok && pool != domain.ControlPlanePool {
		return domain.PlannedNode{Name: vmName, Pool: pool, Role: domain.RoleNameWorker, Index: i}, nil
	}
	return domain.PlannedNode{}, fmt.Errorf("cluster %s plans no node %s: %w", c.Name, vmName, domain.ErrNotFound)
}

// withJoinToken returns m with the cluster's current join token in place of the
// day-0 token, when a Day-2 operation made one.
func (s *Source) withJoinToken(ctx context.Context, clusterID string, m *Material) (*Material, error) {
	tok, err := s.JoinToken(ctx, clusterID)
	if errors.Is(err, domain.ErrNotFound) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	out := *m
	out.Token = tok
	return &out, nil
}

// PutJoinToken stores (or replaces) the cluster's join token, sealed. It implements
// the Kubernetes activities' JoinTokens.
func (s *Source) PutJoinToken(ctx context.Context, clusterID string, token pki.BootstrapToken) error {
	text, err := token.MarshalText()
	if err != nil {
		return fmt.Errorf("join token of cluster %s: %w", clusterID, err)
	}
	return s.Store.PutClusterSecret(ctx, clusterID, SecretJoinToken, text)
}

// JoinToken returns the cluster's join token; an error wrapping domain.ErrNotFound
// when it has none.
func (s *Source) JoinToken(ctx context.Context, clusterID string) (pki.BootstrapToken, error) {
	raw, err := s.Store.ClusterSecret(ctx, clusterID, SecretJoinToken)
	if err != nil {
		return pki.BootstrapToken{}, err
	}
	tok, err := pki.ParseBootstrapToken(string(raw))
	if err != nil {
		return pki.BootstrapToken{}, fmt.Errorf("join token of cluster %s: %w", clusterID, err)
	}
	return tok, nil
}

// DeleteJoinToken removes the cluster's join token; none is no error.
func (s *Source) DeleteJoinToken(ctx context.Context, clusterID string) error {
	return s.Store.DeleteClusterSecret(ctx, clusterID, SecretJoinToken)
}
