package app_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestCertificateCheckAndRenewal provisions a three-control-plane cluster, checks its
// certificates (kubeadm's on the node over SSH, the API server's over TLS, the service's
// kubeconfig), renews them and checks that every renewable certificate now expires
// later, that the API server serves the new one, that the cluster stayed Ready and that
// the re-issued admin kubeconfig works.
func TestCertificateCheckAndRenewal(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	env := apptest.StartDatacenter(t, "93", nil)
	spec := apptest.ClusterSpec("crt", 3, 0)
	spec.Addons.KubeSphere = nil
	if op := env.WaitOperationFor(apptest.StartProvision(t, env, spec).ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s", op.State, op.Error)
	}
	viewer := env.Token("crt-viewer", domain.RoleViewer)
	operator := env.Token("crt-operator", domain.RoleOperator)

	// Before any check: an empty set.
	if list := certificates(t, env, viewer); len(list.Certificates) != 0 || list.CheckedAt != nil {
		t.Fatalf("certificates before a check = %+v", list)
	}
	if r := env.Do("POST", "/api/v1/clusters/crt/certificates/check", viewer, nil); r.Status != http.StatusForbidden {
		t.Errorf("a viewer starts a check: %d %s", r.Status, r.Body)
	}

	check := startCertificates(t, env, operator, "check", http.StatusAccepted)
	if check.Kind != domain.OpCheckCertificates {
		t.Errorf("kind %q", check.Kind)
	}
	check = env.WaitOperationFor(check.ID, 3*time.Minute)
	if check.State != domain.OpSucceeded {
		t.Fatalf("check = %s: %s; steps %+v", check.State, check.Error, check.Steps)
	}
	c := apptest.GetCluster(t, env, "crt")
	var cps, checkSteps, renewSteps []string
	for _, n := range c.Nodes {
		cps = append(cps, n.Name)
		checkSteps = append(checkSteps, "check-"+n.Name)
		renewSteps = append(renewSteps, "renew-"+n.Name)
	}
	if len(cps) != 3 {
		t.Fatalf("nodes %+v", c.Nodes)
	}
	checkSteps = append(checkSteps, workflows.StepCheckAPIServer, workflows.StepCheckServiceKubeconfig, workflows.StepRecordCertificates)
	wantSteps(t, check, append([]string{workflows.StepReadNodes}, checkSteps...)...)
	before := certificates(t, env, viewer)
	checkCertificateSet(t, before, cps)
	if first, _ := domain.EarliestExpiry(before.Certificates); c.CertificateExpiry == nil || !c.CertificateExpiry.Equal(first) {
		t.Errorf("cluster certificate_expiry %v, earliest recorded %v", c.CertificateExpiry, first)
	}
	oldKubeconfig := env.Do("GET", "/api/v1/clusters/crt/kubeconfig", env.AdminToken, nil).Body
	servedBefore := servedCertificate(t, oldKubeconfig)

	stopProbe := probeAPIServers(t, oldKubeconfig, c.Nodes)
	renew := startCertificates(t, env, operator, "renew", http.StatusAccepted)
	if renew.Kind != domain.OpRenewCertificates {
		t.Errorf("kind %q", renew.Kind)
	}
	// One operation per cluster: a second one while the renewal runs is busy.
	if r := env.Do("POST", "/api/v1/clusters/crt/certificates/check", operator, nil); r.Status != http.StatusConflict {
		t.Errorf("a check during the renewal: %d %s", r.Status, r.Body)
	}
	sawUpdating := false
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && !sawUpdating; time.Sleep(100 * time.Millisecond) {
		cl := apptest.GetCluster(t, env, "crt")
		sawUpdating = cl.Phase == domain.PhaseUpdating
		if cl.Phase == domain.PhaseReady && cl.Operation == nil {
			break // already done
		}
	}
	renew = env.WaitOperationFor(renew.ID, 5*time.Minute)
	if renew.State != domain.OpSucceeded {
		t.Fatalf("renewal = %s: %s; steps %+v", renew.State, renew.Error, renew.Steps)
	}
	if probes, down := stopProbe(); probes == 0 || len(down) > 0 {
		t.Errorf("during the renewal no API server answered at %v (%d probes)", down, probes)
	} else {
		t.Logf("an API server answered each of %d probes during the renewal", probes)
	}
	if !sawUpdating {
		t.Error("the cluster was never Updating during the renewal")
	}
	wantSteps(t, renew, slices.Concat([]string{workflows.StepReadNodes, workflows.StepReadServingCertificate}, renewSteps,
		[]string{workflows.StepReissueKubeconfig, workflows.StepVerifyRenewal}, checkSteps)...)
	if c := apptest.GetCluster(t, env, "crt"); c.Phase != domain.PhaseReady || c.PhaseReason != "" {
		t.Errorf("after the renewal: phase %s (%q)", c.Phase, c.PhaseReason)
	}

	after := certificates(t, env, viewer)
	checkCertificateSet(t, after, cps)
	if !after.CheckedAt.After(*before.CheckedAt) {
		t.Errorf("checked at %v, before %v", after.CheckedAt, before.CheckedAt)
	}
	old := map[string]domain.Certificate{}
	for _, c := range before.Certificates {
		old[c.Source+"/"+c.Node+"/"+c.Name] = c
	}
	for _, c := range after.Certificates {
		was, ok := old[c.Source+"/"+c.Node+"/"+c.Name]
		switch {
		case !ok:
			t.Errorf("certificate %s/%s/%s is new", c.Source, c.Node, c.Name)
		case c.Authority && !c.NotAfter.Equal(was.NotAfter):
			t.Errorf("CA %s changed: %v, was %v", c.Name, c.NotAfter, was.NotAfter)
		case !c.Authority && !c.NotAfter.After(was.NotAfter):
			t.Errorf("%s/%s/%s expires %v, not later than before (%v)", c.Source, c.Node, c.Name, c.NotAfter, was.NotAfter)
		}
	}

	// The API server presents the new certificate, and the service's kubeconfig was
	// replaced by one that works.
	newKubeconfig := env.Do("GET", "/api/v1/clusters/crt/kubeconfig", env.AdminToken, nil).Body
	if servedAfter := servedCertificate(t, newKubeconfig); !servedAfter.NotAfter.After(servedBefore.NotAfter) {
		t.Errorf("served certificate expires %v, before the renewal %v", servedAfter.NotAfter, servedBefore.NotAfter)
	}
	oldCert, err := bootstrap.KubeconfigClientCertificate(oldKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	newCert, err := bootstrap.KubeconfigClientCertificate(newKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if newCert.SerialNumber.Cmp(oldCert.SerialNumber) == 0 || !newCert.NotAfter.After(oldCert.NotAfter) {
		t.Errorf("admin kubeconfig not re-issued: serial %v (was %v), expires %v (was %v)",
			newCert.SerialNumber, oldCert.SerialNumber, newCert.NotAfter, oldCert.NotAfter)
	}
	nodes, err := apptest.KubeClient(t, env, "crt").CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil || len(nodes.Items) != 3 {
		t.Fatalf("nodes through the new kubeconfig: %v, %v", nodes, err)
	}

	env.CheckReplay("certificate-check", check)
	env.CheckReplay("certificate-renewal", renew)

	// On schedules (nobody there to decide): a renewal is not due with a year left and
	// skips the cluster saying so; a scheduled check runs the real check operation.
	renewal := apptest.CreateSchedule(t, env, operator, map[string]any{"kind": "certificate-renewal", "cluster": "crt", "cron": "0 3 * * *", "renew_before_days": 30})
	if run := apptest.TriggerSchedule(t, env, operator, renewal.ID); run.Counts != (domain.RunCounts{Skipped: 1}) ||
		len(run.Targets) != 1 || !strings.Contains(run.Targets[0].Reason, "renewal at fewer than 30") {
		t.Errorf("scheduled renewal with a year left = %+v", run)
	}
	scheduledCheck := apptest.CreateSchedule(t, env, operator, map[string]any{"kind": "certificate-check", "cluster": "*", "every": "24h"})
	run := apptest.TriggerSchedule(t, env, operator, scheduledCheck.ID)
	if run.Outcome != domain.RunSucceeded || run.Counts != (domain.RunCounts{Succeeded: 1}) || len(run.Operations) != 1 {
		t.Fatalf("scheduled check = %+v", run)
	}
	op := env.WaitOperationFor(run.Operations[0], time.Minute)
	if op.Kind != domain.OpCheckCertificates || op.Actor != "schedule:"+scheduledCheck.ID || op.FailurePolicy.OnFailure != domain.OnFailureCompensate {
		t.Errorf("scheduled check operation = %s by %s, policy %+v", op.Kind, op.Actor, op.FailurePolicy)
	}
}

// certificates reads the cluster crt's recorded certificates.
func certificates(t *testing.T, env *apptest.Env, token string) api.CertificatesReply {
	t.Helper()
	r := env.Do("GET", "/api/v1/clusters/crt/certificates", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET certificates: %d %s", r.Status, r.Body)
	}
	var reply api.CertificatesReply
	r.JSON(t, &reply)
	return reply
}

// startCertificates posts …/certificates/<verb> and returns the operation started.
func startCertificates(t *testing.T, env *apptest.Env, token, verb string, want int) domain.Operation {
	t.Helper()
	r := env.Do("POST", "/api/v1/clusters/crt/certificates/"+verb, token, nil)
	if r.Status != want {
		t.Fatalf("POST certificates/%s: %d %s", verb, r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	return reply.Operation
}

// wantSteps checks that the operation ran exactly these steps, all succeeded, in order.
func wantSteps(t *testing.T, op domain.Operation, names ...string) {
	t.Helper()
	var got []string
	for _, s := range op.Steps {
		got = append(got, s.Name)
		if s.State != domain.StepSucceeded {
			t.Errorf("step %s is %s", s.Name, s.State)
		}
	}
	if !slices.Equal(got, names) {
		t.Errorf("steps %v, want %v", got, names)
	}
}

// checkCertificateSet checks a fresh set of a cluster with control planes cps: kubeadm's
// certificates of each with about a year left, its CAs with about ten, and the
// cluster-wide two.
func checkCertificateSet(t *testing.T, list api.CertificatesReply, cps []string) {
	t.Helper()
	if list.CheckedAt == nil || time.Since(*list.CheckedAt) > 10*time.Minute {
		t.Errorf("checked at %v", list.CheckedAt)
	}
	bySource := map[string][]string{}
	for _, c := range list.Certificates {
		bySource[c.Source] = append(bySource[c.Source], c.Node+"/"+c.Name)
		want := 364
		if c.Authority {
			want = 3649
		}
		if c.DaysLeft < want || c.DaysLeft > want+1 {
			t.Errorf("%s %s/%s: %d days left, want about %d", c.Source, c.Node, c.Name, c.DaysLeft, want+1)
		}
		if c.CAName == "" || c.CheckedAt.IsZero() {
			t.Errorf("%s %s/%s: CA %q, checked %v", c.Source, c.Node, c.Name, c.CAName, c.CheckedAt)
		}
	}
	for _, node := range cps {
		for _, name := range []string{"apiserver", "admin.conf", "etcd-server", "etcd-peer", "front-proxy-client", "ca", "etcd-ca", "front-proxy-ca"} {
			if !slices.Contains(bySource[domain.CertSourceKubeadm], node+"/"+name) {
				t.Errorf("no kubeadm certificate %s of %s in %v", name, node, bySource[domain.CertSourceKubeadm])
			}
		}
	}
	if got := bySource[domain.CertSourceAPIServerTLS]; !slices.Equal(got, []string{"/apiserver"}) {
		t.Errorf("serving certificates %v", got)
	}
	if got := bySource[domain.CertSourceServiceKubeconfig]; !slices.Equal(got, []string{"/admin-kubeconfig"}) {
		t.Errorf("service kubeconfig certificates %v", got)
	}
}

// servedCertificate dials the API server of a kubeconfig and returns the serving
// certificate it presents, verified against the kubeconfig's CA.
func servedCertificate(t *testing.T, kubeconfig []byte) *x509.Certificate {
	t.Helper()
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(cfg.CAData)
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: roots, ServerName: u.Hostname()})
	if err != nil {
		t.Fatalf("TLS to the API server: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// probeAPIServers asks the control planes' API servers for /readyz, one after the other
// until one answers, again and again until stop is called; stop returns how many
// rounds ran and when none answered.
func probeAPIServers(t *testing.T, kubeconfig []byte, nodes []domain.Node) (stop func() (int, []time.Time)) {
	t.Helper()
	var clients []rest.Interface
	for _, n := range nodes {
		cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(cfg.Host)
		cfg.Host, cfg.Timeout = "https://"+net.JoinHostPort(n.IP, u.Port()), 5*time.Second
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, cs.Discovery().RESTClient())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var rounds int
	var down []time.Time
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			up := false
			for _, c := range clients {
				if body, err := c.Get().AbsPath("/readyz").DoRaw(ctx); err == nil && string(body) == "ok" {
					up = true
					break
				}
			}
			if ctx.Err() != nil {
				return
			}
			rounds++
			if !up {
				down = append(down, time.Now())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	return func() (int, []time.Time) {
		cancel()
		<-done
		return rounds, down
	}
}
