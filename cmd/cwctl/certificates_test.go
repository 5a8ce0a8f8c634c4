package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestCertificates: the table of a cluster's recorded certificates (and the JSON as the
// API sent it), a cluster never checked, and check and renew starting their operations
// with the decision flags; a busy cluster is exit 2 with the API's message.
func TestCertificates(t *testing.T) {
	f := newFakeAPI(t)
	f.script("GET", "/api/v1/clusters/beta/certificates", http.StatusOK, map[string]any{
		"cluster": "beta", "checked_at": "2026-12-02T10:00:00Z", "certificate_expiry": "2027-12-02T09:55:00Z",
		"certificates": []any{
			map[string]any{"name": "apiserver", "subject": "kube-apiserver", "ca_name": "ca", "not_after": "2027-12-02T09:58:00Z",
				"days_left": 364, "source": "apiserver-tls", "checked_at": "2026-12-02T10:00:00Z"},
			map[string]any{"node": "beta-cp-0", "name": "admin.conf", "ca_name": "ca", "not_after": "2027-12-02T09:55:00Z",
				"days_left": 364, "source": "kubeadm", "checked_at": "2026-12-02T10:00:00Z"},
			map[string]any{"node": "beta-cp-0", "name": "etcd-ca", "ca_name": "etcd-ca", "authority": true, "not_after": "2036-11-30T09:55:00Z",
				"days_left": 3649, "source": "kubeadm", "checked_at": "2026-12-02T10:00:00Z"},
		}})
	r := ok(t, "clusters", "certificates", "beta")
	want := "cluster:      beta\nchecked:      2026-12-02T10:00:00Z\nfirst expiry: 2027-12-02T09:55:00Z\n\n" +
		"NODE       NAME        NOT AFTER             DAYS LEFT  CA           SOURCE\n" +
		"(cluster)  apiserver   2027-12-02T09:58:00Z  364        ca           apiserver-tls\n" +
		"beta-cp-0  admin.conf  2027-12-02T09:55:00Z  364        ca           kubeadm\n" +
		"beta-cp-0  etcd-ca     2036-11-30T09:55:00Z  3649       (authority)  kubeadm\n"
	if r.stdout != want {
		t.Errorf("clusters certificates:\n%s\nwant:\n%s", r.stdout, want)
	}
	if r = ok(t, "certs", "list", "beta"); r.stdout != want {
		t.Errorf("certs list:\n%s\nwant:\n%s", r.stdout, want)
	}
	var list certificateList
	decode(t, ok(t, "clusters", "certs", "beta", "-o", "json"), &list)
	if len(list.Certificates) != 3 || list.Certificates[2].DaysLeft != 3649 || !list.Certificates[2].Authority {
		t.Errorf("-o json: %+v", list)
	}

	f.script("GET", "/api/v1/clusters/fresh/certificates", http.StatusOK, map[string]any{"cluster": "fresh", "certificates": []any{}})
	if r = ok(t, "clusters", "certificates", "fresh"); !strings.Contains(r.stdout, "no certificate check yet") {
		t.Errorf("a cluster never checked:\n%s", r.stdout)
	}

	for _, verb := range []string{"check", "renew"} {
		path := "/api/v1/clusters/beta/certificates/" + verb
		f.script("POST", path, http.StatusAccepted, map[string]any{"operation": map[string]any{"id": opID,
			"kind": "cluster.certificate-" + map[string]string{"check": "check", "renew": "renewal"}[verb], "state": "Pending", "actor": "admin",
			"target": map[string]any{"kind": "cluster", "id": "c1", "name": "beta"}, "steps": []any{}}})
		r = ok(t, "clusters", "certificates", verb, "beta", "--on-failure", "compensate")
		if !strings.HasPrefix(r.stdout, "operation "+opID+": cluster.certificate-") {
			t.Errorf("certificates %s:\n%s", verb, r.stdout)
		}
		if r = ok(t, "certs", verb, "beta"); !strings.HasPrefix(r.stdout, "operation "+opID+": cluster.certificate-") {
			t.Errorf("certs %s:\n%s", verb, r.stdout)
		}
		reqs := f.requestsTo("POST", path)
		if len(reqs) != 2 || reqs[0].query != "on_failure=compensate" {
			t.Errorf("certificates %s sent %+v", verb, reqs)
		}
	}

	f.script("POST", "/api/v1/clusters/beta/certificates/renew", http.StatusConflict, map[string]any{
		"type": "https://clusterwright.dev/problems/busy", "title": "Busy", "status": 409,
		"detail": "cluster beta is busy with operation " + opID, "operation": opID})
	if r = cwctl(t, "clusters", "certificates", "renew", "beta"); r.code != 2 || !strings.Contains(r.stderr, "busy with operation "+opID) {
		t.Errorf("a busy cluster: exit %d %q", r.code, r.stderr)
	}
}
