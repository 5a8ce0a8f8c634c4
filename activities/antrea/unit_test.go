package antrea

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func node(name string, ready, controlPlane bool, annotations map[string]string) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}, Annotations: annotations}}
	if controlPlane {
		n.Labels[controlPlaneLabel] = ""
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}}
	return n
}

func TestChooseCandidates(t *testing.T) {
	nodes := []corev1.Node{
		node("cp-0", true, true, nil),
		node("w-2", true, false, nil),
		node("w-1", false, false, nil),
		node("w-0", true, false, nil),
		node("cp-1", true, true, nil),
	}
	for _, c := range []struct {
		name  string
		nodes []corev1.Node
		count int
		want  []string
	}{
		{"Ready workers by name first", nodes, 2, []string{"w-0", "w-2"}},
		{"then control planes", nodes, 4, []string{"w-0", "w-2", "cp-0", "cp-1"}},
		{"no more than there are", nodes, 9, []string{"w-0", "w-2", "cp-0", "cp-1"}},
		{"candidates already annotated stay", append(slices.Clone(nodes), node("w-9", true, false, map[string]string{GatewayAnnotation: "true"})),
			2, []string{"w-9", "w-0"}},
		{"a one-node cluster", nodes[:1], 2, []string{"cp-0"}},
		{"none Ready", nodes[2:3], 2, []string{}},
	} {
		if got := chooseCandidates(c.nodes, c.count); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestWantedCandidates(t *testing.T) {
	nodes := []corev1.Node{
		node("cp-0", true, true, nil),
		node("w-0", true, false, map[string]string{GatewayAnnotation: "true"}),
		node("w-1", true, false, map[string]string{GatewayAnnotation: "true"}),
		node("w-2", true, false, nil),
	}
	for _, c := range []struct {
		name string
		req  GatewaysRequest
		want []string
	}{
		{"chosen: the annotated ones", GatewaysRequest{}, []string{"w-0", "w-1"}},
		{"chosen, one leaving: a worker takes its place", GatewaysRequest{Exclude: []string{"w-0"}}, []string{"w-1", "w-2"}},
		{"chosen, all workers leaving: the control plane", GatewaysRequest{Exclude: []string{"w-0", "w-1", "w-2"}}, []string{"cp-0"}},
		{"named", GatewaysRequest{Nodes: []string{"w-2", "cp-0"}}, []string{"w-2", "cp-0"}},
		{"named, one leaving: topped up", GatewaysRequest{Nodes: []string{"w-2", "w-0"}, Exclude: []string{"w-0"}}, []string{"w-2", "w-1"}},
		{"more than there are", GatewaysRequest{Count: 9, Exclude: []string{"w-1"}}, []string{"w-0", "w-2", "cp-0"}},
	} {
		if got := wantedCandidates(nodes, c.req); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestMemberConfig(t *testing.T) {
	cfg, err := MemberConfig{PodCIDRs: []string{"10.244.0.0/16"}, ServiceCIDR: "10.96.0.0/12"}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := cfg.render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"apiVersion: multicluster.crd.antrea.io/v1alpha1\n", "kind: MultiClusterConfig\n", "podCIDRs:\n- 10.244.0.0/16\n",
		"serviceCIDR: 10.96.0.0/12\n", "gatewayIPPrecedence: private\n", "endpointIPType: ClusterIP\n",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("MultiClusterConfig lacks %q:\n%s", want, doc)
		}
	}
	again, _ := cfg.render()
	if again != doc || configHash(again) != configHash(doc) {
		t.Error("rendering twice differs")
	}
	for _, bad := range []MemberConfig{
		{GatewayIPPrecedence: "sideways"}, {EndpointIPType: "NodeIP"}, {PodCIDRs: []string{"10.244.0.0"}}, {ServiceCIDR: "ten"},
	} {
		_, err := bad.normalize()
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != ErrTypeInvalidInput || !appErr.NonRetryable() {
			t.Errorf("%+v: %v, want a non-retryable %s", bad, err, ErrTypeInvalidInput)
		}
	}
}

func TestClassify(t *testing.T) {
	gr := schema.GroupResource{Resource: "secrets"}
	for _, c := range []struct {
		err          error
		typ          string
		nonRetryable bool
	}{
		{apierrors.NewForbidden(gr, "x", errors.New("no")), ErrTypeForbidden, true},
		{apierrors.NewInvalid(schema.GroupKind{Kind: "Secret"}, "x", nil), ErrTypeRejected, true},
		{apierrors.NewServiceUnavailable("busy"), "", false},
	} {
		err := classify(c.err)
		var appErr *temporal.ApplicationError
		switch {
		case c.typ == "" && errors.As(err, &appErr):
			t.Errorf("%v: classified as %s, want a plain retryable error", c.err, appErr.Type())
		case c.typ != "" && (!errors.As(err, &appErr) || appErr.Type() != c.typ || appErr.NonRetryable() != c.nonRetryable):
			t.Errorf("%v: %v, want type %s", c.err, err, c.typ)
		}
	}
	// A Secret's error says the reason only: the API server's message may
	// quote the data.
	leaky := apierrors.NewInvalid(schema.GroupKind{Kind: "Secret"}, "x", nil)
	leaky.ErrStatus.Message = "data[token]: Invalid value: \"s3cr3t\""
	if err := secretError("apply", "ns", "x", leaky); strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("secret error shows the data: %v", err)
	}
}
