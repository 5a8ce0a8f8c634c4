package kube

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
)

// budgetCache lists each namespace's PodDisruptionBudgets once.
type budgetCache struct {
	cs          kubernetes.Interface
	byNamespace map[string][]policyv1.PodDisruptionBudget
}

// matching returns the budgets ("namespace/name") whose selector selects p. They
// only name what blocks a drain: a namespace whose budgets cannot be listed has none.
func (b *budgetCache) matching(ctx context.Context, p corev1.Pod) []string {
	if b.byNamespace == nil {
		b.byNamespace = map[string][]policyv1.PodDisruptionBudget{}
	}
	list, ok := b.byNamespace[p.Namespace]
	if !ok {
		if l, err := b.cs.PolicyV1().PodDisruptionBudgets(p.Namespace).List(ctx, metav1.ListOptions{}); err == nil {
			list = l.Items
		}
		b.byNamespace[p.Namespace] = list
	}
	var out []string
	for _, pdb := range list {
		// policy/v1: a nil selector selects nothing, an empty one every Pod.
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		out = append(out, pdb.Namespace+"/"+pdb.Name)
	}
	return out
}
