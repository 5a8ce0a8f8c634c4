package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// kubeadm's static Pod manifests. kubeadm init and join write one manifest
// per control-plane component into /etc/kubernetes/manifests, named for the
// component (etcd.yaml, kube-apiserver.yaml, ...). The simulator has no
// container runtime: besides the Pod (its image and command, as kubeadm
// writes them), each manifest carries the simulated control plane's
// configuration in an annotation, which is what the kubelet needs to start
// the component. Other manifests in the directory (kube-vip.yaml) are not
// the simulated kubelet's business and are left alone.
const (
	manifestsDir = "/etc/kubernetes/manifests"
	// legacyControlPlaneManifest is where simulated nodes of earlier
	// versions kept their whole control plane in one file; it is replaced by
	// the per-component manifests at the next boot or kubelet start.
	legacyControlPlaneManifest = "/etc/kubernetes/manifests/control-plane.json"
	// annotationSimControlPlane holds the simulated control plane's
	// configuration (JSON of kubeproc.ControlPlaneConfig) in a manifest.
	annotationSimControlPlane = "sim.clusterwright.io/control-plane"
)

// manifestPath is the node path of a component's static Pod manifest.
func manifestPath(component string) string {
	return path.Join(manifestsDir, component+".yaml")
}

// staticPodManifest is the static Pod kubeadm writes for component.
func staticPodManifest(component string, cfg kubeproc.ControlPlaneConfig) ([]byte, error) {
	conf, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	image := defaultImageRepository + "/" + component + ":" + cfg.Version
	command := []string{component}
	switch component {
	case kubeproc.Etcd:
		image = defaultImageRepository + "/etcd:" + etcdVersion
		command = append(command, "--name="+cfg.Name, "--data-dir="+defaultEtcdDataDir,
			"--advertise-client-urls=https://"+cfg.IP+":2379")
	case kubeproc.APIServer:
		command = append(command, "--advertise-address="+cfg.IP, "--etcd-servers=https://"+cfg.IP+":2379")
	case kubeproc.ControllerManager:
		command = append(command, "--kubeconfig=/etc/kubernetes/controller-manager.conf", "--leader-elect=true")
	case kubeproc.Scheduler:
		command = append(command, "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true")
	}
	pod := corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        component,
			Namespace:   metav1.NamespaceSystem,
			Labels:      map[string]string{"component": component, "tier": "control-plane"},
			Annotations: map[string]string{annotationSimControlPlane: string(conf)},
		},
		Spec: corev1.PodSpec{
			HostNetwork:       true,
			PriorityClassName: "system-node-critical",
			Containers: []corev1.Container{{
				Name: component, Image: image, ImagePullPolicy: corev1.PullIfNotPresent, Command: command,
			}},
		},
	}
	return yaml.Marshal(pod)
}

// writeStaticPodManifests writes the manifests of every control-plane
// component for cfg (kubeadm's [control-plane] and [etcd] phases, and
// kubeadm upgrade).
func (n *Node) writeStaticPodManifests(cfg kubeproc.ControlPlaneConfig) error {
	cfg.Etcd.OnStarted = nil
	for _, c := range kubeproc.Components {
		b, err := staticPodManifest(c, cfg)
		if err != nil {
			return fmt.Errorf("manifest of %s: %w", c, err)
		}
		if err := writeFile(n.path(manifestPath(c)), b, 0o600); err != nil {
			return fmt.Errorf("manifest of %s: %w", c, err)
		}
	}
	if err := os.Remove(n.path(legacyControlPlaneManifest)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// readStaticPods reads the control-plane manifests in the manifest
// directory: the control plane's configuration and the components whose
// manifests are there, in start order. A node of an earlier simulator
// version has its one legacy manifest replaced by the per-component ones.
func (n *Node) readStaticPods() (kubeproc.ControlPlaneConfig, []string, error) {
	var cfg kubeproc.ControlPlaneConfig
	var present []string
	for _, c := range kubeproc.Components {
		b, err := os.ReadFile(n.path(manifestPath(c)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return cfg, nil, err
		}
		if len(present) == 0 {
			if cfg, err = parseStaticPod(b); err != nil {
				return cfg, nil, fmt.Errorf("%s: %w", manifestPath(c), err)
			}
		}
		present = append(present, c)
	}
	if len(present) > 0 {
		return cfg, present, nil
	}
	ok, err := readJSON(n.path(legacyControlPlaneManifest), &cfg)
	if err != nil || !ok {
		return cfg, nil, err
	}
	if err := n.writeStaticPodManifests(cfg); err != nil {
		return cfg, nil, err
	}
	return cfg, kubeproc.Components, nil
}

// staticPodConfig is the node's control-plane configuration, from any of its
// manifests; ok is false on a node without one (a worker).
func (n *Node) staticPodConfig() (cfg kubeproc.ControlPlaneConfig, ok bool, err error) {
	cfg, present, err := n.readStaticPods()
	return cfg, len(present) > 0, err
}

// parseStaticPod reads the simulated control plane's configuration from a
// static Pod manifest.
func parseStaticPod(b []byte) (kubeproc.ControlPlaneConfig, error) {
	var cfg kubeproc.ControlPlaneConfig
	var pod corev1.Pod
	if err := yaml.Unmarshal(b, &pod); err != nil {
		return cfg, err
	}
	conf, ok := pod.Annotations[annotationSimControlPlane]
	if !ok {
		return cfg, fmt.Errorf("no annotation %s: not a manifest the simulated kubelet can run", annotationSimControlPlane)
	}
	if err := json.Unmarshal([]byte(conf), &cfg); err != nil {
		return cfg, fmt.Errorf("annotation %s: %w", annotationSimControlPlane, err)
	}
	return cfg, nil
}

// startStaticPods starts the components of present (at boot, before the
// kubelet's watcher runs) and records the control plane in r, then kube-vip
// if its manifest is there, as startControlPlane does.
func (n *Node) startStaticPods(ctx context.Context, r *run, cfg kubeproc.ControlPlaneConfig, present []string) error {
	cp, err := kubeproc.StartComponents(ctx, cfg, n.cfg.Logger.With("vm", n.cfg.VM.Name), present)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.cp = cp
	r.mu.Unlock()
	return n.startKubeVIP(ctx, r, cfg)
}
