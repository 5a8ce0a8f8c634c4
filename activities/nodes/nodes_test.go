package nodes_test

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"golang.org/x/crypto/ssh"

	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// The test cluster: a control plane and a worker whose SSH servers listen
// on sshPort of their addresses.
// version is the cluster's Kubernetes version: the default.
var version = domain.KubernetesVersions().Default

const (
	sshPort = 2224
	cpIP    = "127.20.77.10"
	wIP     = "127.20.77.11"
)

// syncBuffer is a buffer the logger and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// bootNode makes and powers on a simulated node from spec.
func bootNode(t *testing.T, spec cloudinit.NodeSpec, fault func() bool) *node.Node {
	t.Helper()
	md, ud, err := cloudinit.Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{
		Metadata: md, Userdata: ud,
		VM:           node.VM{Ref: "vm-" + spec.Hostname, Name: spec.Hostname, UUID: "4211" + spec.Hostname, NumCPU: 2, MemoryMB: 4096},
		RootDir:      filepath.Join(t.TempDir(), spec.Hostname),
		Logger:       slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		SSHPort:      sshPort,
		SSHExecFault: fault,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.PowerOff)
	n.PowerOn()
	return n
}

// newCluster records a cluster in the inventory with privPEM as its SSH key.
func newCluster(t *testing.T, s *inventory.Store, name string, privPEM []byte) domain.Cluster {
	t.Helper()
	ctx := t.Context()
	c, err := s.CreateCluster(ctx, domain.ClusterSpec{Name: name, VCenter: "vc1"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutClusterSecret(ctx, c.ID, bootstrap.SecretSSHPrivateKey, privPEM); err != nil {
		t.Fatal(err)
	}
	return c
}

// appError returns err's Temporal application error, failing the test when it has none.
func appError(t *testing.T, err error, wantType string, wantNonRetryable bool) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("error %v (%T) is no application error", err, err)
	}
	if appErr.Type() != wantType || appErr.NonRetryable() != wantNonRetryable {
		t.Fatalf("error of type %q, non-retryable %v: %v; want type %q, non-retryable %v",
			appErr.Type(), appErr.NonRetryable(), err, wantType, wantNonRetryable)
	}
	return appErr
}

// TestNodeActivities boots a control plane and a worker of the simulator
// and runs the node activities against their SSH servers with the real
// inventory: host keys pinned at first contact and checked after, a node
// presenting another key refused, command failures, timeouts and
// redaction, and the cluster's SSH key in no error, log line or result.
func TestNodeActivities(t *testing.T) {
	if _, err := kubeproc.Binaries(version); err != nil {
		t.Fatal(err)
	}
	if _, err := kubeproc.FindEtcdTools(version); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	store := inventorytest.NewStore(t)
	vin := domain.VCenterInput{Name: "vc1", Server: "vc", Username: "u", Password: "p"}
	_ = vin.Validate()
	if _, err := store.CreateVCenter(ctx, vin); err != nil {
		t.Fatal(err)
	}

	sim, err := nodetest.NewCluster("nodessh", version, cpIP)
	if err != nil {
		t.Fatal(err)
	}
	privPEM, authorized, err := pki.NewSSHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	cluster := newCluster(t, store, "nodessh", privPEM)
	cpSpec := sim.InitNode("nodessh-cp-0", cpIP)
	cpSpec.SSHAuthorizedKey = authorized
	wSpec := sim.WorkerNode("nodessh-w-0", wIP)
	wSpec.SSHAuthorizedKey = authorized
	var fault atomic.Bool // the ssh.exec fault of the control plane, armed by a subtest
	cpNode := bootNode(t, cpSpec, func() bool { return fault.CompareAndSwap(true, false) })
	wNode := bootNode(t, wSpec, nil)
	client, err := sim.AdminClient(sim.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodetest.WaitReady(ctx, client, 3*time.Minute, version, "nodessh-cp-0", "nodessh-w-0"); err != nil {
		t.Fatalf("%v; control plane %+v, worker %+v", err, cpNode.Status(), wNode.Status())
	}

	logs := &syncBuffer{}
	acts := &nodes.Activities{
		Keys:     &bootstrap.Source{Store: store},
		HostKeys: store,
		Dialer:   nodes.Dialer{Port: sshPort},
		Logger:   slog.New(slog.NewTextHandler(io.MultiWriter(logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	cp := nodes.NodeRef{ClusterID: cluster.ID, Node: "nodessh-cp-0", Address: cpIP}
	w := nodes.NodeRef{ClusterID: cluster.ID, Node: "nodessh-w-0", Address: wIP + ":2224"}
	cpHostKey, err := cpNode.SSHHostKey()
	if err != nil {
		t.Fatal(err)
	}
	wHostKey, err := wNode.SSHHostKey()
	if err != nil {
		t.Fatal(err)
	}
	// Everything the activities return, to check for the key at the end.
	var seen []any
	record := func(v any, err error) {
		seen = append(seen, v)
		if err != nil {
			seen = append(seen, err.Error())
		}
	}
	pinned := func(t *testing.T, ref nodes.NodeRef) domain.NodeHostKey {
		t.Helper()
		k, err := store.PinnedHostKey(ctx, ref.ClusterID, ref.Node)
		if err != nil {
			t.Fatalf("pinned key of %s: %v", ref.Node, err)
		}
		return k
	}

	var cpPin domain.NodeHostKey
	t.Run("FirstContactPins", func(t *testing.T) {
		if _, err := store.PinnedHostKey(ctx, cp.ClusterID, cp.Node); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("a key is pinned before the first contact: %v", err)
		}
		certs, err := acts.CertificateExpiration(ctx, cp)
		record(certs, err)
		if err != nil {
			t.Fatal(err)
		}
		checkControlPlaneCerts(t, certs, cpNode.RootDir())
		cpPin = pinned(t, cp)
		if cpPin.Fingerprint != ssh.FingerprintSHA256(cpHostKey) || cpPin.KeyType != "ssh-ed25519" ||
			cpPin.Address != "127.20.77.10:2224" || cpPin.FirstSeen.IsZero() ||
			!strings.HasPrefix(string(ssh.MarshalAuthorizedKey(cpHostKey)), cpPin.AuthorizedKey) {
			t.Errorf("pinned %+v, node's key %s", cpPin, ssh.FingerprintSHA256(cpHostKey))
		}
		if !strings.Contains(logs.String(), "ssh host key pinned at first contact") {
			t.Error("the pin was not logged")
		}
	})

	t.Run("SecondContactChecks", func(t *testing.T) {
		h, err := acts.EtcdHealth(ctx, cp)
		record(h, err)
		if err != nil {
			t.Fatal(err)
		}
		if !h.Healthy || h.Error != "" || !h.IsLeader || h.Version == "" || h.MemberID == "" || h.Revision == 0 ||
			h.RaftTerm == 0 || h.DBSizeBytes == 0 || !strings.HasSuffix(h.Endpoint, ":2379") {
			t.Errorf("etcd health %+v", h)
		}
		if got := pinned(t, cp); got != cpPin {
			t.Errorf("pin changed by a second contact: %+v, was %+v", got, cpPin)
		}
	})

	t.Run("ConcurrentFirstContacts", func(t *testing.T) {
		var wg sync.WaitGroup
		results := make([][]nodes.CertificateInfo, 3)
		errs := make([]error, 3)
		for i := range results {
			wg.Go(func() { results[i], errs[i] = acts.CertificateExpiration(ctx, w) })
		}
		wg.Wait()
		for i := range results {
			record(results[i], errs[i])
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			// A worker has none of the control plane's certificates.
			for _, c := range results[i] {
				if !c.Missing || !c.NotAfter.IsZero() {
					t.Errorf("worker certificate %+v", c)
				}
			}
		}
		if got := pinned(t, w); got.Fingerprint != ssh.FingerprintSHA256(wHostKey) || got.Address != wIP+":2224" {
			t.Errorf("worker's pin %+v, its key %s", got, ssh.FingerprintSHA256(wHostKey))
		}
	})

	// Another node answers at the control plane's address (its address
	// was given to the worker): refused, nothing re-pinned.
	impostor := nodes.NodeRef{ClusterID: cluster.ID, Node: cp.Node, Address: wIP}
	t.Run("HostKeyMismatch", func(t *testing.T) {
		certs, err := acts.CertificateExpiration(ctx, impostor)
		record(certs, err)
		appErr := appError(t, err, nodes.ErrTypeHostKeyMismatch, true)
		for _, want := range []string{cp.Node, ssh.FingerprintSHA256(cpHostKey), ssh.FingerprintSHA256(wHostKey), wIP + ":2224"} {
			if !strings.Contains(appErr.Error(), want) {
				t.Errorf("mismatch error %q does not name %q", appErr.Error(), want)
			}
		}
		if certs != nil {
			t.Errorf("result %+v with the error", certs)
		}
		if _, err := acts.EtcdHealth(ctx, impostor); err == nil {
			t.Error("a second try was let in")
		}
		if got := pinned(t, cp); got != cpPin {
			t.Errorf("pin changed by a mismatch: %+v, was %+v", got, cpPin)
		}
		if !strings.Contains(logs.String(), "ssh host key mismatch: refused") {
			t.Error("the mismatch was not logged")
		}
	})

	// A replaced node: once its key is forgotten, the next contact pins
	// the key the new node presents.
	t.Run("ForgetAndRepin", func(t *testing.T) {
		if forgot, err := store.ForgetHostKey(ctx, cp.ClusterID, cp.Node); err != nil || !forgot {
			t.Fatalf("forget = %v, %v", forgot, err)
		}
		certs, err := acts.CertificateExpiration(ctx, impostor)
		record(certs, err)
		if err != nil {
			t.Fatal(err)
		}
		if got := pinned(t, cp); got.Fingerprint != ssh.FingerprintSHA256(wHostKey) {
			t.Errorf("pin after forgetting %+v, want the worker's key", got)
		}
		// Back to the real control plane, which is now refused in turn.
		if _, err := acts.EtcdHealth(ctx, cp); err == nil {
			t.Fatal("the node whose key was replaced was let in")
		}
		if _, err := store.ForgetHostKey(ctx, cp.ClusterID, cp.Node); err != nil {
			t.Fatal(err)
		}
		if _, err := acts.EtcdHealth(ctx, cp); err != nil {
			t.Fatal(err)
		}
		if got := pinned(t, cp); got.Fingerprint != ssh.FingerprintSHA256(cpHostKey) {
			t.Errorf("pin %+v, want the control plane's key", got)
		}
	})

	t.Run("WrongKey", func(t *testing.T) {
		otherPEM, _, err := pki.NewSSHKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		other := newCluster(t, store, "nodessh-other", otherPEM)
		ref := nodes.NodeRef{ClusterID: other.ID, Node: cp.Node, Address: cpIP}
		h, err := acts.EtcdHealth(ctx, ref)
		record(h, err)
		appError(t, err, nodes.ErrTypeAuthFailed, true)
		// Only a host that let the cluster's key in gets pinned.
		if _, err := store.PinnedHostKey(ctx, other.ID, cp.Node); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("pinned after a refused login: %v", err)
		}
		if _, err := acts.EtcdHealth(ctx, nodes.NodeRef{ClusterID: cluster.ID, Node: cp.Node}); err == nil {
			t.Error("a node without address was accepted")
		} else {
			appError(t, err, nodes.ErrTypeInvalidInput, true)
		}
	})

	t.Run("CommandFails", func(t *testing.T) {
		fault.Store(true) // kubeadm fails once, as with an API server that does not answer
		certs, err := acts.CertificateExpiration(ctx, cp)
		record(certs, err)
		appErr := appError(t, err, nodes.ErrTypeCommandFailed, false)
		for _, want := range []string{"sudo kubeadm certs check-expiration -o json", "exited with status 1", "TLS handshake timeout"} {
			if !strings.Contains(appErr.Error(), want) {
				t.Errorf("error %q does not say %q", appErr.Error(), want)
			}
		}
		certs, err = acts.CertificateExpiration(ctx, cp) // the retry
		record(certs, err)
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Session", func(t *testing.T) { testSession(t, acts, cp, privPEM, record) })
	t.Run("ControlPlane", func(t *testing.T) { testControlPlane(t, acts, cp, w, cpNode, client) })

	// The cluster's SSH key, whole or any line of it, is nowhere.
	results, err := json.Marshal(seen)
	if err != nil {
		t.Fatal(err)
	}
	everything := logs.String() + "\n" + string(results)
	for line := range strings.Lines(string(privPEM)) {
		line = strings.TrimSpace(line)
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") && strings.Contains(everything, line) {
			t.Errorf("a line of the SSH private key appears in a log, error or result: %q", line)
		}
	}
	if strings.Contains(everything, "PRIVATE KEY-----\n") || strings.Contains(everything, "PRIVATE KEY-----\\n") {
		t.Error("a PEM private key appears in a log, error or result")
	}
}

// checkControlPlaneCerts compares the certificates listed with the files
// of the node.
func checkControlPlaneCerts(t *testing.T, certs []nodes.CertificateInfo, root string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "etc/kubernetes/pki/apiserver.crt"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	apiserver, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]nodes.CertificateInfo{}
	for _, c := range certs {
		names[c.Name] = c
		switch {
		case c.Missing:
			t.Errorf("certificate %s missing", c.Name)
		case c.Authority && (c.DaysLeft < 3600 || c.CAName != ""):
			t.Errorf("CA %+v", c)
		case !c.Authority && (c.DaysLeft < 364 || c.DaysLeft > 365 || c.CAName == "" || c.ExternallyManaged):
			t.Errorf("certificate %+v", c)
		}
		if c.Residual <= 0 || c.DaysLeft != int(c.Residual/(24*time.Hour)) {
			t.Errorf("certificate %s: residual %s, %d days left", c.Name, c.Residual, c.DaysLeft)
		}
	}
	if len(certs) != 14 || len(names) != 14 {
		t.Errorf("%d certificates, want 11 and 3 CAs: %+v", len(certs), certs)
	}
	if c := names["apiserver"]; !c.NotAfter.Equal(apiserver.NotAfter.Truncate(time.Second)) || c.CAName != "ca" {
		t.Errorf("apiserver %+v; its file expires %s", c, apiserver.NotAfter)
	}
	if c := names["etcd-server"]; c.CAName != "etcd-ca" {
		t.Errorf("etcd-server %+v", c)
	}
	if c := names["etcd-ca"]; !c.Authority {
		t.Errorf("etcd-ca %+v", c)
	}
}

// testSession runs commands in one login: the connection is reused, a
// command that outlives its timeout is ended and reported, and output
// that holds secrets is redacted in errors.
func testSession(t *testing.T, acts *nodes.Activities, ref nodes.NodeRef, privPEM []byte, record func(any, error)) {
	ctx := t.Context()
	s, err := nodes.OpenSession(ctx, acts, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	out, err := s.Run(ctx, nodes.Command{Line: "hostname && sudo whoami && sudo mkdir -p /var/tmp"})
	if err != nil || string(out.Stdout) != ref.Node+"\nroot\n" {
		t.Fatalf("hostname: %q, %v", out.Stdout, err)
	}

	// tee waits for the end of its input, which never comes.
	stdin, feed := io.Pipe()
	defer feed.Close()
	_, err = s.Run(ctx, nodes.Command{Line: "sudo tee /var/tmp/never", Stdin: stdin, Timeout: time.Second})
	record(nil, err)
	var cmdErr *nodes.CommandError
	if !errors.As(err, &cmdErr) || !cmdErr.TimedOut || cmdErr.ExitStatus != -1 ||
		!strings.Contains(err.Error(), `command "sudo tee /var/tmp/never" on node nodessh-cp-0 (127.20.77.10:2224) timed out after 1s`) {
		t.Fatalf("timed-out command: %v", err)
	}
	// The login outlives the command.
	if out, err := s.Run(ctx, nodes.Command{Line: "hostname"}); err != nil || string(out.Stdout) != ref.Node+"\n" {
		t.Fatalf("after the timeout: %q, %v", out.Stdout, err)
	}

	// Output holding the cluster's key, a bootstrap token and a password.
	const token, password = "abcdef.0123456789abcdef", "hunter2-Password-42"
	leak := string(privPEM) + "token " + token + "\npassword " + password + "\n"
	if _, err := s.Run(ctx, nodes.Command{Line: "sudo tee /var/tmp/leak", Stdin: strings.NewReader(leak)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(ctx, nodes.Command{Line: "echo " + password + " && sudo cat /var/tmp/leak /var/tmp/missing", Redact: []string{password}})
	record(nil, err)
	if !errors.As(err, &cmdErr) || cmdErr.ExitStatus != 1 {
		t.Fatalf("cat of a missing file: %v", err)
	}
	msg := err.Error()
	for _, secret := range []string{token, password, "PRIVATE KEY"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error shows %q: %s", secret, msg)
		}
	}
	for _, want := range []string{`command "echo [REDACTED] && sudo cat /var/tmp/leak /var/tmp/missing"`, "exited with status 1",
		"token [REDACTED]\npassword [REDACTED]\n", "cat: /var/tmp/missing: No such file or directory"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}

	// Stream copies more than MaxStdout off the node, and never into an error.
	big := bytes.Repeat([]byte("streamed-secret-bytes\n"), nodes.MaxStdout/22+1000)
	if _, err := s.Run(ctx, nodes.Command{Line: "sudo tee /var/tmp/big", Stdin: bytes.NewReader(big)}); err != nil {
		t.Fatal(err)
	}
	var streamed bytes.Buffer
	out, err = s.Stream(ctx, nodes.Command{Line: "sudo cat /var/tmp/big"}, &streamed)
	if err != nil || !bytes.Equal(streamed.Bytes(), big) || len(out.Stdout) != 0 {
		t.Fatalf("streamed %d of %d bytes (output %d bytes): %v", streamed.Len(), len(big), len(out.Stdout), err)
	}
	streamed.Reset()
	_, err = s.Stream(ctx, nodes.Command{Line: "sudo cat /var/tmp/big /var/tmp/missing"}, &streamed)
	record(nil, err)
	if !errors.As(err, &cmdErr) || cmdErr.ExitStatus != 1 || strings.Contains(err.Error(), "streamed-secret-bytes") ||
		!strings.Contains(err.Error(), "cat: /var/tmp/missing: No such file or directory") || streamed.Len() != len(big) {
		t.Fatalf("failed stream (%d bytes): %v", streamed.Len(), err)
	}

	// A long output is cut to its end in the error.
	long := strings.Repeat("0123456789abcdef\n", 2048) + "the last line\n"
	if _, err := s.Run(ctx, nodes.Command{Line: "sudo tee /var/tmp/long", Stdin: strings.NewReader(long)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(ctx, nodes.Command{Line: "cat /var/tmp/long && false"})
	record(nil, err)
	if !errors.As(err, &cmdErr) || len(cmdErr.Output) != nodes.OutputTail || cmdErr.OutputBytes != int64(len(long)) ||
		!strings.HasSuffix(cmdErr.Output, "the last line\n") || !strings.Contains(err.Error(), "output (the last 8192 of 34830 bytes)") {
		t.Errorf("long output: %d bytes of %d in the error: %v", len(cmdErr.Output), cmdErr.OutputBytes, err)
	}
}
