package kube_test

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// kubeconfigs gives one kubeconfig for every cluster.
type kubeconfigs []byte

func (k kubeconfigs) AdminKubeconfig(context.Context, string) ([]byte, error) { return k, nil }

// TestServingAndAdminCertificates reads the certificate a TLS server presents when the
// kubeconfig trusts it, refuses one of another CA without retry, and reads the client
// certificate of an admin kubeconfig.
func TestServingAndAdminCertificates(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	served := srv.Certificate()
	servedPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: served.Raw})

	ca, err := pki.NewCA("kubernetes", 10*365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pki.AdminKubeconfig("c1", srv.URL, ca)
	if err != nil {
		t.Fatal(err)
	}
	// The cluster CA did not sign the server's certificate: someone else answers.
	acts := &kube.Activities{Clusters: kubeconfigs(admin)}
	_, err = acts.ServingCertificate(ctx, kube.ServingCertificateInput{ClusterID: "c1"})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != kube.ErrTypeUntrustedServer || !app.NonRetryable() {
		t.Fatalf("server of another CA: %v", err)
	}

	// A kubeconfig that trusts the server's certificate reads it.
	trusting, err := pki.Kubeconfig("c1", srv.URL, servedPEM, "u", ca.CertPEM, []byte("unused key"))
	if err != nil {
		t.Fatal(err)
	}
	acts = &kube.Activities{Clusters: kubeconfigs(trusting)}
	got, err := acts.ServingCertificate(ctx, kube.ServingCertificateInput{ClusterID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if !got.NotAfter.Equal(served.NotAfter.UTC()) || got.Source != domain.CertSourceAPIServerTLS || got.Name != kube.ServingCertificateName || got.CheckedAt.IsZero() {
		t.Errorf("served certificate %+v, want not_after %v", got, served.NotAfter)
	}

	// The admin kubeconfig's client certificate: a year from the cluster CA.
	acts = &kube.Activities{Clusters: kubeconfigs(admin)}
	cert, err := acts.AdminClientCertificate(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject != pki.AdminUser || cert.Source != domain.CertSourceServiceKubeconfig || cert.DaysLeft < 364 || cert.DaysLeft > 365 {
		t.Errorf("admin certificate %+v", cert)
	}
}
