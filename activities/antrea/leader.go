package antrea

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	coreac "k8s.io/client-go/applyconfigurations/core/v1"
)

// DefaultTimeout bounds each wait of an activity (a controller rolling out,
// a token issued, objects going away) unless the request says otherwise.
const DefaultTimeout = 3 * time.Minute

// LeaderRequest names a ClusterSet and its leader.
type LeaderRequest struct {
	Set    string  `json:"set"`
	Leader Cluster `json:"leader"`
	// Timeout bounds each wait; default DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// EnsureLeader makes the leader's side of a ClusterSet: namespace
// antrea-multicluster, the leader controller (ServiceAccount, ConfigMap,
// Deployment, its Role and RoleBinding), the Role members are bound to, and
// the leader's ClusterSet. It returns once the controller is rolled out.
// Repeating it changes nothing.
func (a *Activities) EnsureLeader(ctx context.Context, req LeaderRequest) error {
	if err := checkSet(req.Set); err != nil {
		return err
	}
	c, err := a.connect(ctx, req.Leader)
	if err != nil {
		return classify(err)
	}
	l := labels(req.Set, PartLeader, "")
	if err := c.ensureNamespace(ctx, LeaderNamespace, l); err != nil {
		return classify(err)
	}
	if err := applyLeaderRBAC(ctx, c, l); err != nil {
		return classify(err)
	}
	config, err := MemberConfig{}.normalize()
	if err != nil {
		return err
	}
	doc, err := config.render()
	if err != nil {
		return err
	}
	ctrl := controllerObjects{namespace: LeaderNamespace, role: roleLeader, labels: l, image: a.image(), config: doc}
	if err := ctrl.apply(ctx, c); err != nil {
		return classify(err)
	}
	cs := newCR("ClusterSet", LeaderNamespace, req.Set, l)
	cs.Object["spec"] = map[string]any{
		"clusterID": req.Leader.Name,
		"leaders":   []any{map[string]any{"clusterID": req.Leader.Name}},
	}
	if err := c.applyCR(ctx, clusterSetGVR, cs); err != nil {
		return classify(err)
	}
	return classify(c.waitRollout(ctx, LeaderNamespace, orDefault(req.Timeout, DefaultTimeout)))
}

// DisbandLeader removes the leader's side of a ClusterSet: its ClusterSet,
// the leader controller and the Roles, what members left behind on the
// leader (their announcements, exports, ServiceAccounts and tokens), and
// the namespace when Clusterwright made it. Members leave first
// (LeaveMember, the leader's own membership included). Repeating it
// changes nothing.
func (a *Activities) DisbandLeader(ctx context.Context, req LeaderRequest) error {
	if err := checkSet(req.Set); err != nil {
		return err
	}
	c, err := a.connect(ctx, req.Leader)
	if err != nil {
		return classify(err)
	}
	timeout := orDefault(req.Timeout, DefaultTimeout)
	ns := LeaderNamespace
	// Members that did not leave: their announcements go while the leader
	// controller still runs and releases them.
	if err := c.withdrawAll(ctx, timeout); err != nil {
		return classify(err)
	}
	if err := c.sweep(ctx, ns, selector(labels(req.Set, PartLeader, "")), controllerKinds, timeout); err != nil {
		return classify(err)
	}
	// The leader controller registered its admission webhook; it goes with it.
	err = c.kube.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, ns+webhookConfigSuffix, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return classify(fmt.Errorf("delete the leader's webhook configuration in cluster %s: %w", c.cluster, err))
	}
	// With no controller left, what the controllers made goes too.
	for _, k := range []kind{{memberClusterAnnounceGVR, true}, {resourceExportGVR, true}, {resourceImportGVR, true}} {
		if err := c.purge(ctx, k, ns); err != nil {
			return classify(err)
		}
	}
	if err := c.sweep(ctx, ns, selector(map[string]string{LabelManagedBy: managedBy, LabelClusterSet: req.Set, LabelPart: PartMemberAccess}),
		[]kind{roleBindingsKind, secretsKind, serviceAccountsKind}, timeout); err != nil {
		return classify(err)
	}
	return classify(c.sweep(ctx, "", selector(labels(req.Set, PartLeader, "")), []kind{namespacesKind}, timeout))
}

// checkSet checks a ClusterSet name: a DNS label, like a cluster's.
func checkSet(set string) error {
	if errs := validation.IsDNS1123Label(set); len(errs) > 0 {
		return invalidInput("ClusterSet name %q: %s", set, errs[0])
	}
	return nil
}

// ensureNamespace creates namespace with labels when missing; one that
// exists and was not made by Clusterwright is left alone (and stays when
// the set goes).
func (c *clients) ensureNamespace(ctx context.Context, name string, l map[string]string) error {
	ns, err := c.kube.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("get Namespace %s in cluster %s: %w", name, c.cluster, err)
	case ns.Labels[LabelManagedBy] != managedBy:
		return nil
	}
	if _, err := c.kube.CoreV1().Namespaces().Apply(ctx, coreac.Namespace(name).WithLabels(l), applyOptions); err != nil {
		return fmt.Errorf("apply Namespace %s in cluster %s: %w", name, c.cluster, err)
	}
	return nil
}

// waitRollout waits until the controller Deployment of namespace runs its
// current template.
func (c *clients) waitRollout(ctx context.Context, namespace string, timeout time.Duration) error {
	progress, err := poll(ctx, timeout, func(ctx context.Context) (bool, string, error) {
		d, err := c.kube.AppsV1().Deployments(namespace).Get(ctx, controllerName, metav1.GetOptions{})
		if err != nil {
			return false, "", fmt.Errorf("get Deployment %s/%s in cluster %s: %w", namespace, controllerName, c.cluster, err)
		}
		s := d.Status
		done := s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == 1 && s.AvailableReplicas == 1 && s.Replicas == 1
		return done, fmt.Sprintf("waiting for Deployment %s/%s in cluster %s to roll out: %d updated, %d available",
			namespace, controllerName, c.cluster, s.UpdatedReplicas, s.AvailableReplicas), nil
	})
	if err == errTimeout {
		return timedOut(ErrTypeControllerNotReady, progress)
	}
	return err
}

// purge deletes every object of a kind in namespace, with its finalizers:
// for what a controller made once the controller is gone.
func (c *clients) purge(ctx context.Context, k kind, namespace string) error {
	items, err := c.list(ctx, k, namespace, "")
	if err != nil {
		return err
	}
	for _, o := range items {
		if err := c.dropFinalizers(ctx, k, namespace, o.GetName()); err != nil {
			return err
		}
		err := c.resource(k, namespace).Delete(ctx, o.GetName(), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete %s %s/%s in cluster %s: %w", k.gvr.Resource, namespace, o.GetName(), c.cluster, err)
		}
		c.log.Info("deleted what the multi-cluster controller left", "kind", k.gvr.Resource, "namespace", namespace, "name", o.GetName())
	}
	return nil
}

// newCR is a multicluster.crd.antrea.io object to apply.
func newCR(kind, namespace, name string, l map[string]string) *unstructured.Unstructured {
	version := "v1alpha1"
	if kind == "ClusterSet" {
		version = "v1alpha2"
	}
	o := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "multicluster.crd.antrea.io/" + version,
		"kind":       kind,
	}}
	o.SetNamespace(namespace)
	o.SetName(name)
	o.SetLabels(l)
	return o
}
