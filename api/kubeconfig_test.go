package api_test

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// checkPersonalKubeconfigs issues kubeconfigs of the Ready cluster for the admin token
// and the viewer token (whose names and roles byName gives) and checks that each is a
// new certificate of the cluster CA for its caller (CN clusterwright:<token>, O the
// role's group), valid for the ttl asked, never the service's own, audited with its
// serial and expiry; and that a bad or too long ttl is 400 naming ttl.
func checkPersonalKubeconfigs(t *testing.T, env *apptest.Env, cluster string, byName map[string]domain.Role, viewer string) {
	t.Helper()
	path := "/api/v1/clusters/" + cluster + "/kubeconfig"
	issue := func(token, query string) (*x509.Certificate, []byte) {
		t.Helper()
		r := env.Do("GET", path+query, token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("kubeconfig%s: %d %s", query, r.Status, r.Body)
		}
		if ct, cc := r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"); ct != "application/yaml" || cc != "no-store" {
			t.Errorf("kubeconfig reply: Content-Type %q, Cache-Control %q", ct, cc)
		}
		cert, err := bootstrap.KubeconfigClientCertificate(r.Body)
		if err != nil {
			t.Fatalf("kubeconfig%s: %v", query, err)
		}
		return cert, r.Body
	}
	var c domain.Cluster
	env.Do("GET", "/api/v1/clusters/"+cluster, env.AdminToken, nil).JSON(t, &c)
	m, err := (&bootstrap.Source{Store: env.App.Store}).Material(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(m.PKI.CA.Cert)

	start := time.Now()
	adminCert, adminKC := issue(env.AdminToken, "")
	viewerCert, viewerKC := issue(viewer, "?ttl=90m")
	again, _ := issue(env.AdminToken, "?ttl=1m")
	for name, tc := range map[string]struct {
		cert *x509.Certificate
		role domain.Role
		ttl  time.Duration
	}{"admin": {adminCert, domain.RoleAdmin, 8 * time.Hour}, "view": {viewerCert, byName["view"], 90 * time.Minute}, "admin again": {again, domain.RoleAdmin, time.Minute}} {
		token := strings.TrimSuffix(name, " again")
		if tc.cert.Subject.CommonName != "clusterwright:"+token || len(tc.cert.Subject.Organization) != 1 ||
			tc.cert.Subject.Organization[0] != "clusterwright:"+string(tc.role)+"s" {
			t.Errorf("%s: subject %v", name, tc.cert.Subject)
		}
		if tc.cert.NotAfter.Before(start.Add(tc.ttl-time.Second)) || tc.cert.NotAfter.After(time.Now().Add(tc.ttl+time.Second)) {
			t.Errorf("%s: NotAfter %s, want %s from now", name, tc.cert.NotAfter, tc.ttl)
		}
		if _, err := tc.cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			CurrentTime: time.Now()}); err != nil {
			t.Errorf("%s: not a client certificate of the cluster CA: %v", name, err)
		}
	}
	if adminCert.SerialNumber.Cmp(viewerCert.SerialNumber) == 0 || adminCert.SerialNumber.Cmp(again.SerialNumber) == 0 ||
		string(adminKC) == string(viewerKC) {
		t.Error("two issues gave the same certificate")
	}
	service, err := env.App.Store.ClusterSecret(t.Context(), c.ID, bootstrap.SecretAdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(adminKC), pki.ServiceUser) || string(service) == string(adminKC) {
		t.Error("the caller got the service's own identity")
	}
	if !strings.Contains(string(viewerKC), "server: https://"+c.ControlPlaneEndpoint) && c.ControlPlaneEndpoint != "" {
		t.Errorf("viewer kubeconfig does not point at %s", c.ControlPlaneEndpoint)
	}

	// Each issue is audited with its serial, expiry, role and ttl, never the key.
	details := map[string]map[string]string{}
	for _, e := range auditEvents(t, env, "cluster.kubeconfig") {
		if e.Outcome != domain.OutcomeSuccess {
			continue
		}
		var d map[string]string
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatalf("audit detail %s: %v", e.Detail, err)
		}
		if strings.Contains(string(e.Detail), "PRIVATE KEY") || strings.Contains(string(e.Detail), "client-key") {
			t.Errorf("audit detail holds a key: %s", e.Detail)
		}
		details[d["serial"]] = d
	}
	for name, tc := range map[string]struct {
		cert      *x509.Certificate
		role, ttl string
	}{"admin": {adminCert, "admin", "8h0m0s"}, "view": {viewerCert, "viewer", "1h30m0s"}, "admin again": {again, "admin", "1m0s"}} {
		d := details[fmt.Sprintf("%x", tc.cert.SerialNumber)]
		if d == nil || d["role"] != tc.role || d["ttl"] != tc.ttl || d["not_after"] != tc.cert.NotAfter.UTC().Format(time.RFC3339) {
			t.Errorf("%s: audit detail %v", name, d)
		}
	}

	// A ttl that is not a duration, too short or longer than the maximum is 400 naming it.
	for _, bad := range []string{"soon", "30s", "25h", "-1h"} {
		p := readProblem(t, env.Do("GET", path+"?ttl="+bad, viewer, nil), http.StatusBadRequest)
		if got := p.fieldNames(t); len(got) != 1 || got[0] != "ttl" {
			t.Errorf("ttl=%s: fields %v", bad, got)
		}
	}
}
