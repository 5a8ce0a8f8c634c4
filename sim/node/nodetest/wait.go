package nodetest

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Eventually calls cond every 200 ms until it returns true or timeout has
// passed; the error names what was waited for and cond's last error.
func Eventually(ctx context.Context, timeout time.Duration, what string, cond func(ctx context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s (last error: %v)", what, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// NodeReady reports whether the Node's Ready condition is True.
func NodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// WaitReady waits until the named Nodes exist and are Ready, with
// kubeletVersion version.
func WaitReady(ctx context.Context, c kubernetes.Interface, timeout time.Duration, version string, names ...string) error {
	return Eventually(ctx, timeout, fmt.Sprintf("Nodes %v Ready", names), func(ctx context.Context) (bool, error) {
		for _, name := range names {
			node, err := c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if !NodeReady(node) {
				return false, fmt.Errorf("node %s is not Ready", name)
			}
			if got := node.Status.NodeInfo.KubeletVersion; got != version {
				return false, fmt.Errorf("node %s: kubelet version %s, want %s", name, got, version)
			}
		}
		return true, nil
	})
}
