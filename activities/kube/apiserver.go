package kube

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// WaitAPIServer waits until the cluster's API server at its control-plane
// endpoint answers /readyz with a certificate signed by the cluster CA, and
// returns its version; then it installs the RBAC bindings of the service's identity
// and of the API roles' groups (idempotent), so that every provision, restore and
// certificate renewal leaves them in place. A server with another certificate fails
// without retry.
func (a *Activities) WaitAPIServer(ctx context.Context, clusterID string) (string, error) {
	cs, err := a.client(ctx, clusterID)
	if err != nil {
		return "", err
	}
	var version string
	err = wait(ctx, func() (bool, string, error) {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if untrusted(err) {
			return false, "", temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("the API server of cluster %s does not present a certificate of the cluster CA", clusterID),
				ErrTypeUntrustedServer, err)
		}
		if err != nil || string(body) != "ok" {
			return false, "waiting for the API server", nil
		}
		v, err := cs.Discovery().ServerVersion()
		if err != nil {
			return false, "waiting for the API server version", nil
		}
		version = v.GitVersion
		return true, "", nil
	})
	if err != nil || a.Bindings == nil {
		return version, err
	}
	if err := a.Bindings.EnsureAccess(ctx, clusterID); err != nil {
		return "", fmt.Errorf("RBAC bindings of cluster %s: %w", clusterID, err)
	}
	return version, nil
}
