package kubeproc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EnvCacheDir names the environment variable that overrides the directory
// holding the built binaries, one subdirectory per Kubernetes version.
const EnvCacheDir = "CLUSTERWRIGHT_KUBEBIN_DIR"

// Paths are the absolute paths of one version's control-plane binaries.
type Paths struct {
	Etcd              string
	APIServer         string
	ControllerManager string
	Scheduler         string
}

// CacheDir returns the binary cache: $CLUSTERWRIGHT_KUBEBIN_DIR, or
// ~/.cache/clusterwright/kubebin, the default of sim/kubebin/build.sh.
func CacheDir() (string, error) {
	if dir := os.Getenv(EnvCacheDir); dir != "" {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kubeproc: locate binary cache: %w", err)
	}
	return filepath.Join(home, ".cache", "clusterwright", "kubebin"), nil
}

// Binaries locates the cached binaries of a Kubernetes version (like
// "v1.35.1"). Its error says how to build them when any is missing.
func Binaries(version string) (Paths, error) {
	dir, err := CacheDir()
	if err != nil {
		return Paths{}, err
	}
	dir, err = filepath.Abs(filepath.Join(dir, version))
	if err != nil {
		return Paths{}, fmt.Errorf("kubeproc: locate binary cache: %w", err)
	}
	p := Paths{
		Etcd:              filepath.Join(dir, "etcd"),
		APIServer:         filepath.Join(dir, "kube-apiserver"),
		ControllerManager: filepath.Join(dir, "kube-controller-manager"),
		Scheduler:         filepath.Join(dir, "kube-scheduler"),
	}
	var missing []error
	for _, path := range []string{p.Etcd, p.APIServer, p.ControllerManager, p.Scheduler} {
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			missing = append(missing, err)
		case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0:
			missing = append(missing, fmt.Errorf("%s is not an executable file", path))
		}
	}
	if len(missing) > 0 {
		return Paths{}, fmt.Errorf("kubeproc: Kubernetes %s binaries are not built in %s; run `make kubebin KUBE_VERSIONS=%s` (or set %s): %w",
			version, dir, version, EnvCacheDir, errors.Join(missing...))
	}
	return p, nil
}
