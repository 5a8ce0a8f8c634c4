package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/domain"
)

// ErrTypeDrainBlocked: a drain did not finish within its timeout, most often because
// PodDisruptionBudgets refused the evictions; the message names the Pods still on the
// node and the budgets. It is not retried: a person decides (relax the budget, then
// retry the step, which finishes the drain).
const ErrTypeDrainBlocked = "DrainBlocked"

// DrainInput names the Node to drain. Timeout 0 means domain.DefaultDrainTimeout.
type DrainInput struct {
	ClusterID string        `json:"cluster_id"`
	Node      string        `json:"node"`
	Timeout   time.Duration `json:"timeout"`
}

// DrainResult is what a drain evicted.
type DrainResult struct {
	// Evicted are the Pods evicted, "namespace/name".
	Evicted []string `json:"evicted"`
}

// How many Pods an error, and a progress message, name at most.
const (
	maxNamedInError    = 20
	maxNamedInProgress = 5
)

// DrainNode cordons the Node and evicts its Pods through the Eviction API (policy/v1),
// as kubectl drain --ignore-daemonsets --delete-emptydir-data does, never forcing:
// Pods are never deleted directly, so PodDisruptionBudgets are respected. DaemonSet
// Pods, mirror Pods of static Pods and finished Pods stay; a Pod no controller manages
// blocks the drain, as it does kubectl's without --force. An eviction a budget
// refuses (429) is tried again every few seconds; then DrainNode waits until the
// evicted Pods are gone (deleted, or replaced by a Pod of the same name). When the
// timeout passes first it fails without retry (ErrTypeDrainBlocked) naming the Pods
// still there and the budgets that block them. A drained Node returns at once.
func (a *Activities) DrainNode(ctx context.Context, in DrainInput) (DrainResult, error) {
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = domain.DefaultDrainTimeout
	}
	cs, err := a.client(ctx, in.ClusterID)
	if err != nil {
		return DrainResult{}, err
	}
	return drainNode(ctx, cs, in, timeout)
}

// drainNode is DrainNode with the cluster's client.
func drainNode(ctx context.Context, cs kubernetes.Interface, in DrainInput, timeout time.Duration) (DrainResult, error) {
	if err := setUnschedulable(ctx, cs, NodeInput{ClusterID: in.ClusterID, Node: in.Node}, true); err != nil {
		return DrainResult{}, err
	}
	d := &drain{cs: cs, in: in, evicted: map[string]types.UID{}, order: []string{}}
	deadline := time.Now().Add(timeout)
	err := wait(ctx, func() (bool, string, error) {
		left, err := d.pass(ctx)
		switch {
		case err != nil:
			return false, "", err
		case len(left) == 0:
			return true, "", nil
		case !time.Now().Before(deadline):
			return false, "", d.blocked(ctx, timeout, left)
		}
		return false, fmt.Sprintf("draining node %s: evicted %d Pods, waiting for %d: %s",
			in.Node, len(d.order), len(left), describe(left, maxNamedInProgress)), nil
	})
	return DrainResult{Evicted: d.order}, err
}

// drain is one DrainNode's state.
type drain struct {
	cs kubernetes.Interface
	in DrainInput
	// evicted are the UIDs of the Pods this drain evicted, by "namespace/name";
	// order is their names in the order evicted.
	evicted map[string]types.UID
	order   []string
}

// podLeft is a Pod still on the node, and why.
type podLeft struct {
	pod string // namespace/name
	why string
	// budgets are the PodDisruptionBudgets ("namespace/name") that refused its eviction.
	budgets []string
}

// pass evicts the node's Pods that are to go and not evicted yet, and returns those
// still there.
func (d *drain) pass(ctx context.Context) ([]podLeft, error) {
	pods, err := d.cs.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", d.in.Node).String(),
	})
	if err != nil {
		return nil, apiError(err, d.in.ClusterID, "list the pods of node "+d.in.Node)
	}
	budgets := budgetCache{cs: d.cs}
	var left []podLeft
	for _, p := range pods.Items {
		key := p.Namespace + "/" + p.Name
		if p.Spec.NodeName != d.in.Node {
			continue
		}
		if uid, ok := d.evicted[key]; ok {
			// Evicted: wait until it is gone; another Pod of its name replaced it.
			if uid == p.UID {
				left = append(left, podLeft{pod: key, why: "evicted, terminating"})
			}
			continue
		}
		if !evictable(p) {
			continue
		}
		if metav1.GetControllerOf(&p) == nil && p.DeletionTimestamp == nil {
			// As kubectl drain without --force: nothing would make it again.
			left = append(left, podLeft{pod: key, why: "not managed by a controller, so evicting it would lose it: delete or move it yourself"})
			continue
		}
		if p.DeletionTimestamp != nil {
			left = append(left, podLeft{pod: key, why: "terminating"})
			continue
		}
		l, err := d.evict(ctx, p, &budgets)
		if err != nil {
			return nil, err
		}
		if l != nil {
			left = append(left, *l)
		}
	}
	return left, nil
}

// evict asks the Eviction API to evict p and returns it as a Pod left, unless it is
// gone already.
func (d *drain) evict(ctx context.Context, p corev1.Pod, budgets *budgetCache) (*podLeft, error) {
	key := p.Namespace + "/" + p.Name
	err := d.cs.PolicyV1().Evictions(p.Namespace).Evict(ctx, &policyv1.Eviction{
		ObjectMeta:    metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
		DeleteOptions: &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}},
	})
	switch {
	case err == nil:
		d.evicted[key] = p.UID
		d.order = append(d.order, key)
		return &podLeft{pod: key, why: "evicted, terminating"}, nil
	case notFound(err):
		return nil, nil
	case apierrors.IsConflict(err):
		// Another Pod of its name, or a budget changed under the eviction: next pass.
		return &podLeft{pod: key, why: "eviction to be tried again"}, nil
	case apierrors.IsTooManyRequests(err):
		names := budgets.matching(ctx, p)
		why := "eviction refused: " + refusal(err)
		if len(names) > 0 {
			why = "PodDisruptionBudget " + strings.Join(names, ", ") + " refuses its eviction: " + refusal(err)
		}
		return &podLeft{pod: key, why: why, budgets: names}, nil
	case apierrors.IsInternalError(err):
		// The Eviction API refuses a Pod that several budgets select.
		if names := budgets.matching(ctx, p); len(names) > 1 {
			return &podLeft{pod: key, why: "eviction refused: several PodDisruptionBudgets select it (" +
				strings.Join(names, ", ") + ")", budgets: names}, nil
		}
	}
	return nil, apiError(err, d.in.ClusterID, "evict pod "+key+" from node "+d.in.Node)
}

// blocked is the error of a drain whose timeout passed with Pods left.
func (d *drain) blocked(ctx context.Context, timeout time.Duration, left []podLeft) error {
	var budgets []string
	for _, l := range left {
		budgets = append(budgets, l.budgets...)
	}
	slices.Sort(budgets)
	budgets = slices.Compact(budgets)
	msg := fmt.Sprintf("node %s is not drained after %s; still on it: %s",
		d.in.Node, timeout, describe(left, maxNamedInError))
	if len(budgets) > 0 {
		msg += "; the PodDisruptionBudgets " + strings.Join(budgets, ", ") +
			" forbid evicting them: relax them (or scale their workloads up), then retry"
	}
	if node, err := d.cs.CoreV1().Nodes().Get(ctx, d.in.Node, metav1.GetOptions{}); err == nil && !stateOf(*node).Ready {
		msg += "; the node is not Ready, so its kubelet cannot finish the Pods it is asked to stop"
	}
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeDrainBlocked, nil)
}

// describe names at most max Pods left, each with why.
func describe(left []podLeft, max int) string {
	var parts []string
	for i, l := range left {
		if i == max {
			parts = append(parts, "and "+strconv.Itoa(len(left)-max)+" more")
			break
		}
		parts = append(parts, l.pod+" ("+l.why+")")
	}
	return strings.Join(parts, ", ")
}

// evictable reports whether a drain evicts p: not a DaemonSet's Pod (the DaemonSet
// would put it back), not the mirror of a static Pod (the kubelet runs it from a
// file), not finished.
func evictable(p corev1.Pod) bool {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false
	}
	if _, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return false
	}
	if c := metav1.GetControllerOf(&p); c != nil && c.Kind == "DaemonSet" && strings.HasPrefix(c.APIVersion, "apps/") {
		return false
	}
	return true
}

// refusal is why the API server refused an eviction: the causes it gives of type
// DisruptionBudget, else its message.
func refusal(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		if details := status.Status().Details; details != nil {
			var msgs []string
			for _, c := range details.Causes {
				if c.Type == policyv1.DisruptionBudgetCause {
					msgs = append(msgs, c.Message)
				}
			}
			if len(msgs) > 0 {
				return strings.Join(msgs, "; ")
			}
		}
	}
	return err.Error()
}
