package kubesphere

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
)

func TestParseRole(t *testing.T) {
	c := Cluster{ID: "1", Name: "c"}
	for _, tc := range []struct{ doc, want string }{
		{"multicluster:\n  clusterRole: \"host\"\n  hostClusterName: \"c\"\n", "host"},
		{"authentication:\n  issuer:\n    jwtSecret: \"x\"\nmulticluster:\n  clusterRole: member\n", "member"},
		{"multicluster:\n  clusterRole: none\n", "none"},
		{"", ""},
	} {
		got, err := parseRole(c, tc.doc)
		if err != nil || got != tc.want {
			t.Errorf("parseRole(%q) = %q, %v; want %q", tc.doc, got, err, tc.want)
		}
	}
	_, err := parseRole(c, "authentication:\n  jwtSecret: s3cr3t-value\nmulticluster: [")
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrTypeBadConfig || !appErr.NonRetryable() || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("a configuration that does not parse: %v, want a non-retryable %s quoting nothing", err, ErrTypeBadConfig)
	}
}

func TestBuildKubeconfig(t *testing.T) {
	member := Cluster{ID: "1", Name: "east"}
	ca := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	a, err := buildKubeconfig(member, "10.0.0.5:6443", "kubesphere-member-hq", ca, []byte("tok-1"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := buildKubeconfig(member, "10.0.0.5:6443", "kubesphere-member-hq", ca, []byte("tok-1"))
	if !bytes.Equal(a, b) {
		t.Error("the same input gives different kubeconfigs: applying it again would write")
	}
	cfg, err := clientcmd.Load(a)
	if err != nil {
		t.Fatal(err)
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	if ctx == nil || cfg.Clusters[ctx.Cluster] == nil || cfg.AuthInfos[ctx.AuthInfo] == nil {
		t.Fatalf("kubeconfig without a complete current context:\n%s", a)
	}
	cl, user := cfg.Clusters[ctx.Cluster], cfg.AuthInfos[ctx.AuthInfo]
	if cl.Server != "https://10.0.0.5:6443" || !bytes.Equal(cl.CertificateAuthorityData, ca) || user.Token != "tok-1" {
		t.Errorf("kubeconfig: server %s, CA %q, token %q", cl.Server, cl.CertificateAuthorityData, user.Token)
	}
}

func TestMemberRequestCheck(t *testing.T) {
	host, member := Cluster{ID: "1", Name: "hq"}, Cluster{ID: "2", Name: "east"}
	for _, tc := range []struct {
		what string
		req  MemberRequest
		ok   bool
	}{
		{"host and member", MemberRequest{Host: host, Member: member}, true},
		{"the same id", MemberRequest{Host: host, Member: Cluster{ID: "1", Name: "east"}}, false},
		{"the same name", MemberRequest{Host: host, Member: Cluster{ID: "2", Name: "hq"}}, false},
		{"no id", MemberRequest{Host: host, Member: Cluster{Name: "east"}}, false},
		{"no DNS label", MemberRequest{Host: Cluster{ID: "1", Name: "HQ"}, Member: member}, false},
	} {
		err := tc.req.check()
		var appErr *temporal.ApplicationError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.what, err)
		case !tc.ok && (!errors.As(err, &appErr) || appErr.Type() != ErrTypeInvalidInput || !appErr.NonRetryable()):
			t.Errorf("%s: %v, want a non-retryable %s", tc.what, err, ErrTypeInvalidInput)
		}
	}
}

func TestSensitiveErrorQuotesNothing(t *testing.T) {
	gr := schema.GroupResource{Group: "cluster.kubesphere.io", Resource: "clusters"}
	invalid := apierrors.NewBadRequest("spec.connection.kubeconfig: Invalid value: \"dG9rZW4tc2VjcmV0\"")
	err := sensitiveError("apply", "Cluster east", invalid)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrTypeRejected || strings.Contains(err.Error(), "dG9rZW4tc2VjcmV0") {
		t.Errorf("a rejected write: %v, want %s quoting nothing", err, ErrTypeRejected)
	}
	if err := sensitiveError("read", "Cluster east", apierrors.NewNotFound(gr, "east")); !strings.Contains(err.Error(), "NotFound") {
		t.Errorf("a missing object: %v, want its reason", err)
	}
}
