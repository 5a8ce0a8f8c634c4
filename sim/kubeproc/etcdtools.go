package kubeproc

import (
	"fmt"
	"os"
	"path/filepath"
)

// EtcdTools are the absolute paths of the etcd command-line tools that
// sim/kubebin builds next to a version's control-plane binaries: etcdctl
// (client: snapshot save, member list) and etcdutl (offline: snapshot
// status and restore).
type EtcdTools struct {
	Etcdctl string
	Etcdutl string
}

// FindEtcdTools locates the cached etcdctl and etcdutl of a Kubernetes
// version (like "v1.35.1"). Its error says how to build them when one is
// missing.
func FindEtcdTools(version string) (EtcdTools, error) {
	dir, err := CacheDir()
	if err != nil {
		return EtcdTools{}, err
	}
	dir, err = filepath.Abs(filepath.Join(dir, version))
	if err != nil {
		return EtcdTools{}, fmt.Errorf("kubeproc: locate binary cache: %w", err)
	}
	t := EtcdTools{Etcdctl: filepath.Join(dir, "etcdctl"), Etcdutl: filepath.Join(dir, "etcdutl")}
	for _, path := range []string{t.Etcdctl, t.Etcdutl} {
		fi, err := os.Stat(path)
		if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			continue
		}
		return EtcdTools{}, fmt.Errorf("kubeproc: %s is not built; run `make kubebin KUBE_VERSIONS=%s` (or set %s)",
			path, version, EnvCacheDir)
	}
	return t, nil
}
