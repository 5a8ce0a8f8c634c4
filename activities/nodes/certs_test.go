package nodes

import (
	"strings"
	"testing"
	"time"
)

// TestParseCertificateExpiration parses kubeadm's JSON (the form the
// simulator prints, residual time in seconds, and the one of kubeadm's Go
// types, in nanoseconds: the residual comes from the expiration date).
func TestParseCertificateExpiration(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	out := `{"kind":"CertificateExpirationInfo","apiVersion":"output.kubeadm.k8s.io/v1alpha3",
	  "certificates":[
	    {"name":"apiserver","expirationDate":"2027-12-02T11:00:00Z","residualTime":31532400000000000,"externallyManaged":false,"caName":"ca","missing":false},
	    {"name":"etcd-peer","expirationDate":"2026-11-30T12:00:00Z","residualTime":-172800,"externallyManaged":true,"caName":"etcd-ca","missing":false},
	    {"name":"super-admin.conf","expirationDate":null,"residualTime":0,"externallyManaged":false,"missing":true}],
	  "certificateAuthorities":[
	    {"name":"ca","expirationDate":"2036-11-30T12:00:00Z","residualTime":315360000,"externallyManaged":false,"missing":false}]}`
	certs, err := parseCertificateExpiration([]byte(out), now)
	if err != nil {
		t.Fatal(err)
	}
	want := []CertificateInfo{
		{Name: "apiserver", CAName: "ca", NotAfter: now.Add(365*24*time.Hour - time.Hour), Residual: 365*24*time.Hour - time.Hour, DaysLeft: 364},
		{Name: "etcd-peer", CAName: "etcd-ca", NotAfter: now.Add(-48 * time.Hour), Residual: -48 * time.Hour, DaysLeft: -2, ExternallyManaged: true},
		{Name: "super-admin.conf", Missing: true},
		{Name: "ca", Authority: true, NotAfter: now.Add(3651 * 24 * time.Hour), Residual: 3651 * 24 * time.Hour, DaysLeft: 3651},
	}
	if len(certs) != len(want) {
		t.Fatalf("certs = %+v", certs)
	}
	for i := range want {
		if certs[i] != want[i] {
			t.Errorf("cert %d = %+v, want %+v", i, certs[i], want[i])
		}
	}
	for _, bad := range []string{"[check-expiration] Reading configuration", `{"kind":"Status"}`} {
		if _, err := parseCertificateExpiration([]byte(bad), now); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	// Output quoted in an error is redacted.
	if _, err := parseCertificateExpiration([]byte("token abcdef.0123456789abcdef"), now); err == nil || strings.Contains(err.Error(), "abcdef.0123456789abcdef") {
		t.Errorf("error %v", err)
	}
}

func TestParseEtcd(t *testing.T) {
	h, err := parseEtcdHealth([]byte(`[{"endpoint":"https://127.0.0.1:2379","health":false,"took":"5.002s","error":"context deadline exceeded"}]`))
	if err != nil || h.Healthy || h.Error != "context deadline exceeded" || h.Took != 5002*time.Millisecond {
		t.Errorf("unhealthy = %+v, %v", h, err)
	}
	if _, err := parseEtcdHealth([]byte(`[]`)); err == nil {
		t.Error("no endpoint parsed")
	}
	status := `[{"Endpoint":"https://127.0.0.1:2379","Status":{"header":{"cluster_id":1,"member_id":18172786488849120842,"revision":350,"raft_term":2},
	  "version":"3.6.5","dbSize":512000,"leader":18172786488849120842,"raftIndex":360,"raftTerm":2,"dbSizeInUse":256000,"isLearner":false}}]`
	h = EtcdHealth{Healthy: true}
	if err := parseEtcdStatus([]byte(status), &h); err != nil {
		t.Fatal(err)
	}
	if h.MemberID != "fc32b5072edebe4a" || !h.IsLeader || h.Version != "3.6.5" || h.Revision != 350 || h.DBSizeBytes != 512000 || h.DBInUse != 256000 || h.RaftIndex != 360 {
		t.Errorf("status = %+v", h)
	}
	if lastLine("a\nError: unhealthy cluster\n\n") != "Error: unhealthy cluster" {
		t.Error("lastLine")
	}
}
