package addons

import (
	"context"
	"fmt"

	"helm.sh/helm/v3/pkg/action"
)

// Status returns the newest revision of release name in namespace, or an
// error wrapping ErrReleaseNotFound when there is none.
func (i *Installer) Status(ctx context.Context, kubeconfig []byte, name, namespace string) (Status, error) {
	log := i.logger().With("release", name, "namespace", namespace)
	if err := validateRelease(name, namespace, 0); err != nil {
		return Status{}, fmt.Errorf("addons: status of release %s/%s: %w", namespace, name, err)
	}
	c, err := i.connect(ctx, kubeconfig, namespace, log, newRedactor())
	if err != nil {
		return Status{}, fmt.Errorf("addons: status of release %s/%s: %w", namespace, name, err)
	}
	op := &operation{conn: c, rel: Release{Name: name, Namespace: namespace}, log: log}
	r, err := op.last()
	switch {
	case err != nil:
		return Status{}, fmt.Errorf("addons: status of release %s/%s: %w", namespace, name, err)
	case r == nil:
		return Status{}, fmt.Errorf("addons: status of release %s/%s: %w", namespace, name, ErrReleaseNotFound)
	}
	return statusOf(r), nil
}

// Uninstall removes release name from namespace with its objects (Helm keeps
// the CRDs of a chart's crds/ directory) and its history. A missing release
// is not an error, so Uninstall may be repeated.
func (i *Installer) Uninstall(ctx context.Context, kubeconfig []byte, name, namespace string) error {
	log := i.logger().With("release", name, "namespace", namespace)
	if err := validateRelease(name, namespace, 0); err != nil {
		return fmt.Errorf("addons: uninstall release %s/%s: %w", namespace, name, err)
	}
	c, err := i.connect(ctx, kubeconfig, namespace, log, newRedactor())
	if err != nil {
		return fmt.Errorf("addons: uninstall release %s/%s: %w", namespace, name, err)
	}
	unlock, err := i.locks.lock(ctx, c.key+"/"+namespace+"/"+name)
	if err != nil {
		return err
	}
	defer unlock()
	un := action.NewUninstall(c.cfg)
	un.IgnoreNotFound = true
	un.Timeout = DefaultTimeout
	res, err := un.Run(name)
	if err != nil {
		return fmt.Errorf("addons: uninstall release %s/%s: %w", namespace, name, classifyKube(err))
	}
	if res != nil {
		log.Info("release uninstalled")
	}
	return nil
}
