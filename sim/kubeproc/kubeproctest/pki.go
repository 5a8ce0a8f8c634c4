// Package kubeproctest helps tests start control planes with sim/kubeproc.
package kubeproctest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// WritePKI writes a fresh cluster PKI (pki.NewClusterPKI) into dir, laid out like
// kubeadm's /etc/kubernetes/pki, and returns where each file is.
func WritePKI(dir string) (kubeproc.PKI, error) {
	p, err := pki.NewClusterPKI("test")
	if err != nil {
		return kubeproc.PKI{}, fmt.Errorf("cluster pki: %w", err)
	}
	for name, data := range p.Files() {
		path := filepath.Join(dir, name)
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".key") {
			mode = 0o600
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return kubeproc.PKI{}, err
		}
		if err := os.WriteFile(path, data, mode); err != nil {
			return kubeproc.PKI{}, fmt.Errorf("write %s: %w", name, err)
		}
	}
	return kubeproc.KubeadmPKI(dir), nil
}
