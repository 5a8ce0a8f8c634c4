package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// Annotations of mirror Pods (kubelet's and kubeadm's).
const (
	annotationConfigMirror = "kubernetes.io/config.mirror"
	annotationConfigHash   = "kubernetes.io/config.hash"
	annotationConfigSource = "kubernetes.io/config.source"
	annotationConfigSeen   = "kubernetes.io/config.seen"
	// annotationEtcdClientURLs is where kubeadm join finds the etcd members.
	annotationEtcdClientURLs = "kubeadm.kubernetes.io/etcd.advertise-client-urls"
	annotationAPIEndpoint    = "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"
	// etcdVersion is the etcd image tag kubeadm deploys.
	etcdVersion = "3.6.5-0"
)

// syncMirrorPods makes sure that the mirror Pods of the node's static Pods
// (the control-plane components) exist and belong to the current Node, and
// that those whose manifests went away are gone.
func (k *kubelet) syncMirrorPods(ctx context.Context) {
	if k.cfg.StaticPods == nil {
		return
	}
	pods := k.client.CoreV1().Pods(metav1.NamespaceSystem)
	present, watched := k.staticPodsPresent()
	for _, want := range k.mirrorPods() {
		if c := want.Labels["component"]; watched && slices.Contains(kubeproc.Components, c) && !slices.Contains(present, c) {
			// The manifest went away: so does the mirror Pod (kube-vip's is
			// not the watcher's).
			if _, err := k.pods.Pods(metav1.NamespaceSystem).Get(want.Name); apierrors.IsNotFound(err) {
				continue
			}
			zero := int64(0)
			err := pods.Delete(ctx, want.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
			if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
				k.log.Debug("delete mirror pod", "pod", want.Name, "err", err)
			}
			continue
		}
		// The Node authorizer lets a kubelet read only Pods bound to it, so
		// it looks in its own watch cache.
		have, err := k.pods.Pods(metav1.NamespaceSystem).Get(want.Name)
		switch {
		case err == nil && len(have.OwnerReferences) == 1 && have.OwnerReferences[0].UID == want.OwnerReferences[0].UID:
			continue
		case err == nil:
			// The Node was registered again: replace the orphan.
			zero := int64(0)
			err = pods.Delete(ctx, have.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
			if err != nil && !apierrors.IsNotFound(err) {
				k.log.Warn("delete stale mirror pod", "pod", have.Name, "err", err)
				continue
			}
		case !apierrors.IsNotFound(err):
			continue
		}
		if _, err := pods.Create(ctx, want, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) && ctx.Err() == nil {
			k.log.Warn("create mirror pod", "pod", want.Name, "err", err)
		}
	}
}

// mirrorPods are the mirror Pods of the control-plane static Pods, as the
// kubelet creates them from kubeadm's manifests.
func (k *kubelet) mirrorPods() []*corev1.Pod {
	sp := k.cfg.StaticPods
	k.mu.Lock()
	uid := k.nodeUID
	k.mu.Unlock()
	repo := sp.ImageRepository
	type component struct {
		name, image string
		annotations map[string]string
		// kubeVIP: kube-vip's manifest has no labels and runs `kube-vip manager`.
		kubeVIP bool
	}
	components := []component{
		{"etcd", repo + "/etcd:" + etcdVersion, map[string]string{annotationEtcdClientURLs: sp.EtcdClientURL}, false},
		{"kube-apiserver", repo + "/kube-apiserver:" + sp.Version, map[string]string{annotationAPIEndpoint: sp.APIServerEndpoint}, false},
		{"kube-controller-manager", repo + "/kube-controller-manager:" + sp.Version, nil, false},
		{"kube-scheduler", repo + "/kube-scheduler:" + sp.Version, nil, false},
	}
	if sp.KubeVIPImage != "" {
		components = append(components, component{"kube-vip", sp.KubeVIPImage, nil, true})
	}
	seen := time.Now().UTC().Format(time.RFC3339Nano)
	var out []*corev1.Pod
	for _, c := range components {
		sum := sha256.Sum256([]byte(c.name + "\x00" + c.image + "\x00" + k.cfg.NodeName))
		hash := hex.EncodeToString(sum[:16])
		annotations := map[string]string{
			annotationConfigHash: hash, annotationConfigMirror: hash,
			annotationConfigSource: "file", annotationConfigSeen: seen,
		}
		for key, v := range c.annotations {
			annotations[key] = v
		}
		labels := map[string]string{"component": c.name, "tier": "control-plane"}
		container := corev1.Container{Name: c.name, Image: c.image, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{c.name}}
		if c.kubeVIP {
			labels, container.Command, container.Args = nil, nil, []string{"manager"}
		}
		out = append(out, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name:        c.name + "-" + k.cfg.NodeName,
				Namespace:   metav1.NamespaceSystem,
				Labels:      labels,
				Annotations: annotations,
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: "v1", Kind: "Node", Name: k.cfg.NodeName, UID: uid, Controller: new(true),
				}},
			},
			Spec: corev1.PodSpec{
				NodeName:          k.cfg.NodeName,
				HostNetwork:       true,
				PriorityClassName: "system-node-critical",
				Containers:        []corev1.Container{container},
				Tolerations:       []corev1.Toleration{{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}},
			},
		})
	}
	return out
}
