package kube

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// appErr returns err's Temporal application error of type typ, failing the test
// when it is not one, or is retryable.
func appErr(t *testing.T, err error, typ string) *temporal.ApplicationError {
	t.Helper()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != typ || !app.NonRetryable() {
		t.Fatalf("error %v, want a non-retryable %s", err, typ)
	}
	return app
}

func pod(name, node string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID("uid-" + name)},
		Spec:       corev1.PodSpec{NodeName: node},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func ownedBy(kind, apiVersion string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: kind, APIVersion: apiVersion, Name: "owner", Controller: new(true)}}
	}
}

// evictions makes the fake clientset answer evictions as an API server whose
// kubelet stops Pods at once: the Pod is deleted, unless refuse says a budget
// forbids it (429 with the budget's cause). It counts the evictions asked for.
func evictions(cs *fake.Clientset, refuse func(name string) bool, count *atomic.Int32) {
	cs.PrependReactor("create", "pods", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		count.Add(1)
		ev := action.(k8stesting.CreateAction).GetObject().(*policyv1.Eviction)
		if refuse(ev.Name) {
			err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
			err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{
				Type: policyv1.DisruptionBudgetCause, Message: "The disruption budget db needs 1 healthy pods and has 1 currently"})
			return true, nil, err
		}
		gvr := corev1.SchemeGroupVersion.WithResource("pods")
		return true, nil, cs.Tracker().Delete(gvr, action.GetNamespace(), ev.Name)
	})
}

// TestDrainNode drains a node of a fake API server: it is cordoned; Pods of
// Deployments are evicted, never DaemonSet Pods, mirror Pods, finished Pods, other
// nodes' Pods or bare Pods (nothing would make them again: they block the drain, as
// with kubectl drain without --force); a Pod whose budget refuses its eviction makes
// the drain fail at its timeout naming the Pod and the budget; once the budget allows
// it and the bare Pod is gone the drain completes, and a drain of a drained node
// evicts nothing.
func TestDrainNode(t *testing.T) {
	defer func(d time.Duration) { pollInterval = d }(pollInterval)
	pollInterval = 20 * time.Millisecond
	ctx := context.Background()
	cs := fake.NewClientset(
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w-0"}},
		pod("web-1", "w-0", ownedBy("ReplicaSet", "apps/v1")),
		pod("bare", "w-0"),
		pod("db-0", "w-0", ownedBy("StatefulSet", "apps/v1"), func(p *corev1.Pod) { p.Labels = map[string]string{"app": "db"} }),
		pod("proxy-x", "w-0", ownedBy("DaemonSet", "apps/v1")),
		pod("etcd-w-0", "w-0", func(p *corev1.Pod) { p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "abc"} }),
		pod("job-done", "w-0", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
		pod("web-2", "w-1", ownedBy("ReplicaSet", "apps/v1")),
		&policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "db"},
			Spec: policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}},
		&policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "nothing"}},
	)
	var budgetAllows atomic.Bool
	var asked atomic.Int32
	evictions(cs, func(name string) bool { return name == "db-0" && !budgetAllows.Load() }, &asked)
	in := DrainInput{ClusterID: "c1", Node: "w-0"}

	began := time.Now()
	_, err := drainNode(ctx, cs, in, 200*time.Millisecond)
	app := appErr(t, err, ErrTypeDrainBlocked)
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("the blocked drain took %s, with a timeout of 200ms", took)
	}
	msg := app.Error()
	for _, want := range []string{"node w-0 is not drained after 200ms", "default/db-0 (PodDisruptionBudget default/db refuses its eviction",
		"needs 1 healthy pods", "the PodDisruptionBudgets default/db forbid", "default/bare (not managed by a controller"} {
		if !strings.Contains(msg, want) {
			t.Errorf("blocked drain's error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "default/nothing") || strings.Contains(msg, "web-1") {
		t.Errorf("blocked drain's error %q names what does not block it", msg)
	}
	if n := asked.Load(); n < 4 {
		t.Errorf("%d evictions asked for in the blocked drain, want the refused one asked again", n)
	}
	node, err := cs.CoreV1().Nodes().Get(ctx, "w-0", metav1.GetOptions{})
	if err != nil || !node.Spec.Unschedulable {
		t.Fatalf("node not cordoned by the drain: %v", err)
	}

	budgetAllows.Store(true)
	res, err := drainNode(ctx, cs, in, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "default/bare") || !slices.Equal(res.Evicted, []string{"default/db-0"}) {
		t.Fatalf("drain with a bare Pod on the node = %+v, %v; want db-0 evicted and blocked by the bare Pod", res, err)
	}
	if err := cs.CoreV1().Pods("default").Delete(ctx, "bare", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if res, err = drainNode(ctx, cs, in, time.Second); err != nil {
		t.Fatalf("drain after the budget allows it and the bare Pod went: %+v, %v", res, err)
	}
	list, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, p := range list.Items {
		left = append(left, p.Name)
	}
	slices.Sort(left)
	if want := []string{"etcd-w-0", "job-done", "proxy-x", "web-2"}; !slices.Equal(left, want) {
		t.Errorf("pods after the drain: %v, want %v", left, want)
	}

	asked.Store(0)
	res, err = drainNode(ctx, cs, in, time.Second)
	if err != nil || len(res.Evicted) != 0 || asked.Load() != 0 {
		t.Errorf("drain of a drained node: %+v, %v, %d evictions", res, err, asked.Load())
	}
}

// TestDrainWaitsForEvictedPods: an evicted Pod that is still terminating keeps the
// drain waiting; one replaced by a Pod of its name (another UID) is gone.
func TestDrainWaitsForEvictedPods(t *testing.T) {
	defer func(d time.Duration) { pollInterval = d }(pollInterval)
	pollInterval = 20 * time.Millisecond
	ctx := context.Background()
	cs := fake.NewClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w-0"}},
		pod("slow", "w-0", ownedBy("ReplicaSet", "apps/v1")), pod("db-0", "w-0", ownedBy("StatefulSet", "apps/v1")))
	gvr := corev1.SchemeGroupVersion.WithResource("pods")
	cs.PrependReactor("create", "pods", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		name := action.(k8stesting.CreateAction).GetObject().(*policyv1.Eviction).Name
		obj, err := cs.Tracker().Get(gvr, "default", name)
		if err != nil {
			return true, nil, err
		}
		p := obj.(*corev1.Pod).DeepCopy()
		now := metav1.Now()
		p.DeletionTimestamp = &now
		if name == "db-0" {
			if p.UID != "uid-db-0" {
				return true, nil, cs.Tracker().Delete(gvr, "default", name)
			}
			// The StatefulSet puts it back at once, with another UID.
			p = pod("db-0", "w-0", ownedBy("StatefulSet", "apps/v1"), func(p *corev1.Pod) { p.UID = "uid-db-0-new" })
		}
		return true, nil, cs.Tracker().Update(gvr, p, "default")
	})
	_, err := drainNode(ctx, cs, DrainInput{ClusterID: "c1", Node: "w-0"}, 150*time.Millisecond)
	app := appErr(t, err, ErrTypeDrainBlocked)
	if msg := app.Error(); !strings.Contains(msg, "still on it: default/slow (evicted, terminating);") || strings.Contains(msg, "db-0") {
		t.Errorf("blocked drain's error %q, want only the terminating Pod", msg)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = cs.Tracker().Delete(gvr, "default", "slow")
	}()
	res, err := drainNode(ctx, cs, DrainInput{ClusterID: "c1", Node: "w-0"}, 5*time.Second)
	// A new drain evicts the Pod that replaced db-0 (a real one would not be put on
	// a cordoned node) and waits for the terminating one.
	if err != nil || !slices.Equal(res.Evicted, []string{"default/db-0"}) {
		t.Errorf("drain once the terminating Pod is gone: %+v, %v", res, err)
	}
}

// TestCordon: cordoning and uncordoning are idempotent, a missing node is a
// non-retryable NodeNotFound, and NodeState says whether a node is cordoned.
func TestCordon(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w-0"}})
	in := NodeInput{ClusterID: "c1", Node: "w-0"}
	for _, on := range []bool{true, true, false, false} {
		if err := setUnschedulable(ctx, cs, in, on); err != nil {
			t.Fatal(err)
		}
		node, err := cs.CoreV1().Nodes().Get(ctx, "w-0", metav1.GetOptions{})
		if err != nil || node.Spec.Unschedulable != on || stateOf(*node).Unschedulable != on {
			t.Fatalf("unschedulable %v after setting it to %v (%v)", node.Spec.Unschedulable, on, err)
		}
	}
	err := setUnschedulable(ctx, cs, NodeInput{ClusterID: "c1", Node: "w-9"}, true)
	if app := appErr(t, err, ErrTypeNodeNotFound); !strings.Contains(app.Error(), "no node w-9") {
		t.Errorf("missing node: %v", err)
	}
}
