package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// clientTimeout bounds each API request of the node's clients.
const clientTimeout = 30 * time.Second

// restConfigFromKubeconfig loads a kubeconfig file; a non-empty server
// replaces the one in the file.
func restConfigFromKubeconfig(path, server string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags(server, path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	cfg.Timeout = clientTimeout
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, nil
}

// clientFromKubeconfig returns a clientset for a kubeconfig file (see
// restConfigFromKubeconfig).
func clientFromKubeconfig(path, server string) (kubernetes.Interface, error) {
	cfg, err := restConfigFromKubeconfig(path, server)
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// retryInterval is the pause between attempts of retry and poll.
const retryInterval = 500 * time.Millisecond

// retry calls fn until it succeeds, ctx ends or timeout has passed, and
// returns fn's last error. It is for API calls right after a control plane
// came up, which kubeadm retries too (a namespace or a role may not exist
// yet).
func retry(ctx context.Context, timeout time.Duration, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if last = fn(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %w)", last, context.Cause(ctx))
		case <-time.After(retryInterval):
		}
	}
}

// poll calls cond until it reports done or an error, or ctx ends.
func poll(ctx context.Context, interval time.Duration, cond func(ctx context.Context) (bool, error)) error {
	for {
		done, err := cond(ctx)
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// objectClient is the part of a typed client that apply needs.
type objectClient[T metav1.Object] interface {
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
}

// apply creates obj or, if it exists, replaces it (kubeadm's CreateOrUpdate).
func apply[T metav1.Object](ctx context.Context, c objectClient[T], obj T) error {
	_, err := c.Create(ctx, obj, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	existing, err := c.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if err != nil {
		return err
	}
	obj.SetResourceVersion(existing.GetResourceVersion())
	_, err = c.Update(ctx, obj, metav1.UpdateOptions{})
	return err
}

// ignoreNotFound returns nil for a NotFound error.
func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// errJoin is the base of every error that must fail a join at once
// instead of being retried.
var errJoin = errors.New("join refused")
