package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// Versions of the SSH test: the cluster starts at sshFromVersion and is
// upgraded to sshToVersion, the default, with kubeadm; each runs the binaries
// of its own Kubernetes release. sshToPackage is sshToVersion's package
// version without the Debian revision ("1.37.2").
var (
	sshToVersion   = domain.KubernetesVersions().Default
	sshFromVersion = domain.PreviousVersion(sshToVersion)
	sshToPackage   = strings.TrimPrefix(sshToVersion, "v")
)

const sshTestPort = 2222

// sshNode is a node of the SSH test with a client that logs in to it.
type sshNode struct {
	*Node
	hostKey ssh.PublicKey
	client  *ssh.Client
}

// newSSHNode makes a node from spec with its SSH server on sshTestPort.
func newSSHNode(t *testing.T, spec cloudinit.NodeSpec, fault func() bool) *Node {
	t.Helper()
	md, ud, err := cloudinit.Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(Config{
		Metadata: md, Userdata: ud,
		VM:           VM{Ref: "vm-" + spec.Hostname, Name: spec.Hostname, UUID: "4211" + spec.Hostname, NumCPU: 2, MemoryMB: 4096},
		RootDir:      filepath.Join(t.TempDir(), spec.Hostname),
		Logger:       slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
		SSHPort:      sshTestPort,
		SSHExecFault: fault,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.PowerOff)
	return n
}

// dialSSH logs in as user with key, pinning hostKey.
func dialSSH(addr, user string, key ssh.Signer, hostKey ssh.PublicKey) (*ssh.Client, error) {
	return ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback: ssh.FixedHostKey(hostKey),
		Timeout:         5 * time.Second,
	})
}

// result is what a command run over SSH gave.
type result struct {
	stdout, stderr string
	status         int
}

func (r result) String() string {
	return fmt.Sprintf("status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
}

// runSSH runs one command in a new session with stdin.
func runSSH(t *testing.T, c *ssh.Client, cmd, stdin string) result {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatalf("new session for %q: %v", cmd, err)
	}
	defer s.Close()
	var stdout, stderr bytes.Buffer
	s.Stdout, s.Stderr, s.Stdin = &stdout, &stderr, strings.NewReader(stdin)
	err = s.Run(cmd)
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *ssh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.status = exitErr.ExitStatus()
	default:
		t.Fatalf("run %q: %v", cmd, err)
	}
	return r
}

// mustRun runs cmd and fails the test unless it exits 0.
func mustRun(t *testing.T, c *ssh.Client, cmd, stdin string) result {
	t.Helper()
	r := runSSH(t, c, cmd, stdin)
	if r.status != 0 {
		t.Fatalf("%q: %v", cmd, r)
	}
	return r
}

// servingCert returns the certificate the API server at addr serves.
func servingCert(t *testing.T, addr string, ca *x509.CertPool) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS dial %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// TestSSHDay2 boots a control plane (at sshFromVersion) and a worker and
// runs every Day-2 node command over SSH against them, checking the real
// effects: certificates, etcd snapshots and restores, files, packages and
// a kubeadm upgrade to sshToVersion.
func TestSSHDay2(t *testing.T) {
	for _, v := range []string{sshFromVersion, sshToVersion} {
		if _, err := kubeproc.Binaries(v); err != nil {
			t.Fatal(err)
		}
		if _, err := kubeproc.FindEtcdTools(v); err != nil {
			t.Fatal(err)
		}
	}
	ctx := t.Context()
	c, err := nodetest.NewCluster("sshday2", sshFromVersion, "127.20.60.10")
	if err != nil {
		t.Fatal(err)
	}
	privPEM, authorized, err := pki.NewSSHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	var fault atomic.Bool // the ssh.exec fault, armed by a subtest
	cpSpec := c.InitNode("sshday2-cp-0", "127.20.60.10")
	cpSpec.SSHAuthorizedKey = authorized
	wSpec := c.WorkerNode("sshday2-w-0", "127.20.60.11")
	wSpec.SSHAuthorizedKey = authorized
	cpNode := newSSHNode(t, cpSpec, func() bool { return fault.CompareAndSwap(true, false) })
	wNode := newSSHNode(t, wSpec, nil)

	began := time.Now()
	cpNode.PowerOn()
	wNode.PowerOn()
	client, err := c.AdminClient(c.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodetest.WaitReady(ctx, client, 3*time.Minute, sshFromVersion, "sshday2-cp-0", "sshday2-w-0"); err != nil {
		t.Fatalf("%v; control plane %+v, worker %+v", err, cpNode.Status(), wNode.Status())
	}
	t.Logf("cluster of 2 nodes Ready %s after power-on", time.Since(began).Round(time.Millisecond))

	login := func(n *Node) *sshNode {
		t.Helper()
		hostKey, err := n.SSHHostKey()
		if err != nil {
			t.Fatal(err)
		}
		sc, err := dialSSH(n.SSHAddr(), cloudinit.DefaultSSHUser, key, hostKey)
		if err != nil {
			t.Fatalf("ssh %s: %v", n.SSHAddr(), err)
		}
		t.Cleanup(func() { sc.Close() })
		return &sshNode{Node: n, hostKey: hostKey, client: sc}
	}
	cp, w := login(cpNode), login(wNode)
	caPool := x509.NewCertPool()
	caPool.AddCert(c.PKI.CA.Cert)

	t.Run("Login", func(t *testing.T) { testSSHLogin(t, cp, key) })
	t.Run("Shell", func(t *testing.T) { testSSHShell(t, cp) })
	t.Run("Files", func(t *testing.T) { testSSHFiles(t, cp) })
	t.Run("Tar", func(t *testing.T) { testSSHTar(t, cp) })
	t.Run("CheckExpiration", func(t *testing.T) { testCheckExpiration(t, cp, w) })
	t.Run("RenewAll", func(t *testing.T) { testRenewAll(t, cp, client, caPool) })
	t.Run("StaticPods", func(t *testing.T) { testStaticPods(t, cp, w, client, caPool) })
	t.Run("EtcdSnapshotRestore", func(t *testing.T) { testEtcdSnapshotRestore(t, cp, client) })
	t.Run("ExecFault", func(t *testing.T) {
		fault.Store(true)
		r := runSSH(t, cp.client, "sudo kubeadm certs check-expiration", "")
		if r.status != 1 || !strings.Contains(r.stderr, "TLS handshake timeout") {
			t.Errorf("faulted command: %v; want status 1 and kubeadm's error", r)
		}
		mustRun(t, cp.client, "sudo kubeadm certs check-expiration", "") // once only
	})
	t.Run("Upgrade", func(t *testing.T) { testUpgrade(t, cp, w, client) })
	t.Run("PowerCycle", func(t *testing.T) { testSSHPowerCycle(t, w, key) })

	t.Logf("whole test: %s; control-plane processes' RSS at the end: %s", time.Since(began).Round(time.Millisecond), rssOf(cpNode))
}

// testSSHLogin checks what the server refuses: other keys, other users, a
// host key that is not the pinned one, shells.
func testSSHLogin(t *testing.T, n *sshNode, key ssh.Signer) {
	other, _, err := pki.NewSSHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := ssh.ParsePrivateKey(other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dialSSH(n.SSHAddr(), cloudinit.DefaultSSHUser, otherKey, n.hostKey); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("login with a key not in the userdata: %v", err)
	}
	if _, err := dialSSH(n.SSHAddr(), "root", key, n.hostKey); err == nil {
		t.Error("login as root succeeded")
	}
	if _, err := dialSSH(n.SSHAddr(), cloudinit.DefaultSSHUser, key, otherKey.PublicKey()); err == nil || !strings.Contains(err.Error(), "host key mismatch") {
		t.Errorf("login with another host key pinned: %v", err)
	}
	s, err := n.client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Shell(); err == nil {
		t.Error("a shell was granted")
	}
}

// testSSHShell checks the shell's parsing and exit statuses.
func testSSHShell(t *testing.T, n *sshNode) {
	for _, tc := range []struct {
		cmd            string
		stdout, stderr string
		status         int
	}{
		{cmd: "nosuchcommand --flag", stderr: "bash: nosuchcommand: command not found\n", status: 127},
		{cmd: "sudo nosuchcommand", stderr: "sudo: nosuchcommand: command not found\n", status: 1},
		{cmd: `echo 'single  quoted' "double \"quoted\"" plain\ word`, stdout: "single  quoted double \"quoted\" plain word\n"},
		{cmd: "false || echo fallback", stdout: "fallback\n"},
		{cmd: "true && false", status: 1},
		{cmd: "false; echo next", stdout: "next\n"},
		{cmd: "whoami; sudo whoami", stdout: "clusterwright\nroot\n"},
		{cmd: "hostname", stdout: n.Hostname() + "\n"},
		{cmd: "echo 'unterminated", stderr: "bash: syntax error: unexpected EOF while looking for matching `''\n", status: 2},
		{cmd: "cat /etc/hostname | wc -l", stderr: "bash: syntax error: \"|\" is not supported by the simulated node's shell\n", status: 2},
		{cmd: "bash -c 'echo inner && sudo whoami'", stdout: "inner\nroot\n"},
	} {
		r := runSSH(t, n.client, tc.cmd, "")
		if r.stdout != tc.stdout || r.stderr != tc.stderr || r.status != tc.status {
			t.Errorf("%q: %v; want status %d, stdout %q, stderr %q", tc.cmd, r, tc.status, tc.stdout, tc.stderr)
		}
	}
}

// testSSHFiles checks the file commands on the node's disk, and that no
// path reaches the host's files.
func testSSHFiles(t *testing.T, n *sshNode) {
	const content = "backup manifest\nline two\n"
	mustRun(t, n.client, "sudo mkdir -p /var/backups/clusterwright/pki", "")
	if r := mustRun(t, n.client, "sudo tee /var/backups/clusterwright/note.txt", content); r.stdout != content {
		t.Errorf("tee echoed %q", r.stdout)
	}
	onDisk, err := os.ReadFile(filepath.Join(n.RootDir(), "var/backups/clusterwright/note.txt"))
	if err != nil || string(onDisk) != content {
		t.Errorf("file on the node's disk: %q, %v", onDisk, err)
	}
	if r := mustRun(t, n.client, "cat /var/backups/clusterwright/note.txt", ""); r.stdout != content {
		t.Errorf("cat: %q, want %q", r.stdout, content)
	}
	r := mustRun(t, n.client, "sha256sum /var/backups/clusterwright/note.txt", "")
	if want := fmt.Sprintf("%x  /var/backups/clusterwright/note.txt\n", sha256.Sum256([]byte(content))); r.stdout != want {
		t.Errorf("sha256sum: %q, want %q", r.stdout, want)
	}
	mustRun(t, n.client, "sudo cp -r /etc/kubernetes/pki /var/backups/clusterwright/pki/", "")
	if r := mustRun(t, n.client, "sudo sha256sum /var/backups/clusterwright/pki/pki/ca.key /etc/kubernetes/pki/ca.key", ""); strings.Count(r.stdout, strings.Fields(r.stdout)[0]) != 2 {
		t.Errorf("copied CA key differs: %q", r.stdout)
	}
	if r := mustRun(t, n.client, "ls /var/backups/clusterwright", ""); r.stdout != "note.txt\npki\n" {
		t.Errorf("ls: %q", r.stdout)
	}
	mustRun(t, n.client, "test -f /var/backups/clusterwright/note.txt && [ -d /var/backups/clusterwright ]", "")
	mustRun(t, n.client, "sudo rm -f /var/backups/clusterwright/note.txt /var/backups/clusterwright/missing", "")
	for cmd, want := range map[string]result{
		"test -f /var/backups/clusterwright/note.txt":          {status: 1},
		"cat /var/backups/clusterwright/note.txt":              {status: 1, stderr: "cat: /var/backups/clusterwright/note.txt: No such file or directory\n"},
		"rm /var/backups/clusterwright/note.txt":               {status: 1, stderr: "rm: cannot remove '/var/backups/clusterwright/note.txt': No such file or directory\n"},
		"cat /etc/kubernetes/admin.conf":                       {status: 1, stderr: "cat: /etc/kubernetes/admin.conf: Permission denied\n"},
		"tee /etc/kubernetes/evil.conf":                        {status: 1, stdout: "x", stderr: "tee: /etc/kubernetes/evil.conf: Permission denied\n"},
		"ls /nonexistent":                                      {status: 2, stderr: "ls: cannot access '/nonexistent': No such file or directory\n"},
		"mkdir /var/backups/clusterwright/a/b":                 {status: 1, stderr: "mkdir: cannot create directory ‘/var/backups/clusterwright/a/b’: Permission denied\n"},
		"sudo mkdir /var/backups/clusterwright/a/b":            {status: 1, stderr: "mkdir: cannot create directory ‘/var/backups/clusterwright/a/b’: No such file or directory\n"},
		"sudo cat ../../../../../../etc/hostname":              {stdout: n.Hostname() + "\n"}, // the node's, not the host's
		"sudo cat /../../../etc/hostname":                      {stdout: n.Hostname() + "\n"},
		"sudo cat /var/backups/clusterwright/hostetc/hostname": {status: 1, stderr: "cat: /var/backups/clusterwright/hostetc/hostname: Permission denied\n"},
	} {
		if cmd == "sudo cat /var/backups/clusterwright/hostetc/hostname" {
			// A symbolic link on the node's disk that leads out of it.
			if err := os.Symlink("/etc", filepath.Join(n.RootDir(), "var/backups/clusterwright/hostetc")); err != nil {
				t.Fatal(err)
			}
		}
		stdin := ""
		if strings.HasPrefix(cmd, "tee") {
			stdin = "x"
		}
		if r := runSSH(t, n.client, cmd, stdin); r != want {
			t.Errorf("%q: %v; want %v", cmd, r, want)
		}
	}
	if _, err := os.Stat(filepath.Join(n.RootDir(), "..", "evil.conf")); err == nil {
		t.Error("a write escaped the node's root")
	}
}

// expirationJSON is kubeadm's CertificateExpirationInfo as a client reads it.
type expirationJSON struct {
	Kind         string `json:"kind"`
	APIVersion   string `json:"apiVersion"`
	Certificates []struct {
		Name           string    `json:"name"`
		ExpirationDate time.Time `json:"expirationDate"`
		ResidualTime   int64     `json:"residualTime"`
		CAName         string    `json:"caName"`
		Missing        bool      `json:"missing"`
	} `json:"certificates"`
	CertificateAuthorities []struct {
		Name           string    `json:"name"`
		ExpirationDate time.Time `json:"expirationDate"`
		Missing        bool      `json:"missing"`
	} `json:"certificateAuthorities"`
}

func checkExpirationJSON(t *testing.T, n *sshNode) expirationJSON {
	t.Helper()
	r := mustRun(t, n.client, "sudo kubeadm certs check-expiration -o json", "")
	var info expirationJSON
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil {
		t.Fatalf("check-expiration -o json: %v\n%s", err, r.stdout)
	}
	return info
}

// testCheckExpiration parses both outputs and compares them with the files.
func testCheckExpiration(t *testing.T, cp, w *sshNode) {
	r := mustRun(t, cp.client, "sudo kubeadm certs check-expiration", "")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	wantNames := []string{"admin.conf", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client", "controller-manager.conf",
		"etcd-healthcheck-client", "etcd-peer", "etcd-server", "front-proxy-client", "scheduler.conf", "super-admin.conf"}
	header := slices.IndexFunc(lines, func(l string) bool {
		return strings.HasPrefix(l, "CERTIFICATE ") && strings.Contains(l, "EXTERNALLY MANAGED")
	})
	if header < 0 || !strings.HasPrefix(lines[0], "[check-expiration] Reading configuration from the \"kubeadm-config\" ConfigMap") {
		t.Fatalf("check-expiration output:\n%s", r.stdout)
	}
	for i, name := range wantNames {
		f := strings.Fields(lines[header+1+i])
		// NAME Mon DD, YYYY HH:MM UTC RESIDUAL CA no
		if len(f) != 9 || f[0] != name || f[8] != "no" || (f[6] != "364d" && f[6] != "365d") {
			t.Errorf("row %q, want %s valid for a year", lines[header+1+i], name)
		}
	}
	if !strings.Contains(r.stdout, "\nCERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED\nca  ") {
		t.Errorf("no CA table:\n%s", r.stdout)
	}

	info := checkExpirationJSON(t, cp)
	if info.Kind != "CertificateExpirationInfo" || info.APIVersion != "output.kubeadm.k8s.io/v1alpha3" || len(info.Certificates) != len(wantNames) || len(info.CertificateAuthorities) != 3 {
		t.Fatalf("check-expiration -o json: %+v", info)
	}
	crt := readCert(t, filepath.Join(cp.RootDir(), "etc/kubernetes/pki/apiserver.crt"))
	for _, c := range info.Certificates {
		if c.Missing || c.ResidualTime < 364*24*3600 {
			t.Errorf("certificate %+v", c)
		}
		if c.Name == "apiserver" && (!c.ExpirationDate.Equal(crt.NotAfter.Truncate(time.Second)) || c.CAName != "ca") {
			t.Errorf("apiserver expires %s (CA %s), file says %s", c.ExpirationDate, c.CAName, crt.NotAfter)
		}
	}
	// A worker has none of the control plane's certificates.
	wInfo := checkExpirationJSON(t, w)
	for _, c := range wInfo.Certificates {
		if !c.Missing {
			t.Errorf("worker certificate %s not missing", c.Name)
		}
	}
}

// testRenewAll renews the certificates and restarts the control plane: the
// API server then serves the new certificate.
func testRenewAll(t *testing.T, n *sshNode, client kubernetes.Interface, ca *x509.CertPool) {
	addr := net.JoinHostPort(n.IP().String(), "6443")
	before := servingCert(t, addr, ca)
	time.Sleep(1100 * time.Millisecond) // a later NotBefore
	r := mustRun(t, n.client, "sudo kubeadm certs renew all", "")
	if !strings.Contains(r.stdout, "certificate for serving the Kubernetes API renewed\n") || !strings.Contains(r.stdout, "You must restart the kube-apiserver") {
		t.Errorf("renew output:\n%s", r.stdout)
	}
	onDisk := readCert(t, filepath.Join(n.RootDir(), "etc/kubernetes/pki/apiserver.crt"))
	if onDisk.SerialNumber.Cmp(before.SerialNumber) == 0 || !onDisk.NotBefore.After(before.NotBefore) {
		t.Fatalf("apiserver.crt not renewed: serial %s, not before %s", onDisk.SerialNumber, onDisk.NotBefore)
	}
	began := time.Now()
	mustRun(t, n.client, "sudo systemctl restart kubelet", "")
	t.Logf("control plane restarted in %s", time.Since(began).Round(time.Millisecond))
	if after := servingCert(t, addr, ca); after.SerialNumber.Cmp(onDisk.SerialNumber) != 0 {
		t.Errorf("serving serial %s after restart, want the renewed %s", after.SerialNumber, onDisk.SerialNumber)
	}
	if err := nodetest.WaitReady(t.Context(), client, time.Minute, sshFromVersion, n.Hostname()); err != nil {
		t.Error(err)
	}
	info := checkExpirationJSON(t, n)
	for _, c := range info.Certificates {
		if c.Name == "admin.conf" && !c.ExpirationDate.After(before.NotAfter) {
			t.Errorf("admin.conf not renewed: expires %s", c.ExpirationDate)
		}
	}
}

// testEtcdSnapshotRestore saves a snapshot with the real etcdctl, checks it
// with etcdutl and restores it the way an administrator of a kubeadm node
// does: kubelet (and with it the static Pods) stopped, the old data moved
// away, etcdutl snapshot restore into /var/lib/etcd, kubelet started.
func testEtcdSnapshotRestore(t *testing.T, n *sshNode, client kubernetes.Interface) {
	ctx := t.Context()
	cms := client.CoreV1().ConfigMaps("default")
	mkCM := func(name string) {
		t.Helper()
		if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mkCM("before-snapshot")
	mustRun(t, n.client, "sudo mkdir -p /var/backups/etcd", "")
	began := time.Now()
	r := mustRun(t, n.client, "sudo ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 "+
		"--cacert=/etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt "+
		"--key=/etc/kubernetes/pki/etcd/healthcheck-client.key snapshot save /var/backups/etcd/snap.db", "")
	t.Logf("etcdctl snapshot save took %s", time.Since(began).Round(time.Millisecond))
	if !strings.Contains(r.stdout, "Snapshot saved at /var/backups/etcd/snap.db") {
		t.Errorf("snapshot save output: %v", r)
	}
	r = mustRun(t, n.client, "sudo etcdutl snapshot status /var/backups/etcd/snap.db -w json", "")
	var status struct {
		Hash      uint32 `json:"hash"`
		Revision  int64  `json:"revision"`
		TotalKey  int    `json:"totalKey"`
		TotalSize int64  `json:"totalSize"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &status); err != nil || status.Revision == 0 || status.TotalKey < 50 {
		t.Fatalf("snapshot status: %+v, %v (%v)", status, err, r)
	}
	t.Logf("snapshot: revision %d, %d keys, %d bytes", status.Revision, status.TotalKey, status.TotalSize)
	if r := runSSH(t, n.client, "etcdctl --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key endpoint health", ""); r.status != 1 || !strings.Contains(r.stderr, "permission denied") {
		t.Errorf("etcdctl without sudo: %v", r)
	}
	mkCM("after-snapshot")

	name, ip := n.Hostname(), n.IP().String()
	began = time.Now()
	mustRun(t, n.client, "sudo systemctl stop kubelet && sudo mv /var/lib/etcd /var/lib/etcd.before-restore && "+
		"sudo etcdutl snapshot restore /var/backups/etcd/snap.db --data-dir /var/lib/etcd --name "+name+
		" --initial-cluster "+name+"=https://"+ip+":2380 --initial-advertise-peer-urls https://"+ip+":2380 && "+
		"sudo systemctl --no-block start kubelet", "")
	// --no-block returns once the start is queued: the control plane comes up after.
	for deadline := time.Now().Add(serviceStartTimeout); ; time.Sleep(200 * time.Millisecond) {
		r := runSSH(t, n.client, "systemctl is-active kubelet", "")
		if r.status == 0 && r.stdout == "active\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the kubelet started with --no-block is not active: %v", r)
		}
	}
	t.Logf("restore and control-plane start took %s", time.Since(began).Round(time.Millisecond))
	if _, err := cms.Get(ctx, "before-snapshot", metav1.GetOptions{}); err != nil {
		t.Errorf("ConfigMap made before the snapshot: %v", err)
	}
	if _, err := cms.Get(ctx, "after-snapshot", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("ConfigMap made after the snapshot: %v, want NotFound", err)
	}
	if r := runSSH(t, n.client, "sudo etcdutl snapshot restore /var/backups/etcd/snap.db --data-dir /var/lib/etcd", ""); r.status == 0 || !strings.Contains(r.stderr, "/var/lib/etcd") || strings.Contains(r.stderr, n.RootDir()) {
		t.Errorf("restore over a data directory in use: %v", r)
	}
	if err := nodetest.WaitReady(ctx, client, time.Minute, sshFromVersion, name); err != nil {
		t.Error(err)
	}
}

// testUpgrade upgrades the cluster from sshFromVersion to sshToVersion the
// way the kubeadm documentation does it on Ubuntu.
func testUpgrade(t *testing.T, cp, w *sshNode, client kubernetes.Interface) {
	ctx := t.Context()
	if r := mustRun(t, cp.client, "kubeadm version -o short", ""); r.stdout != sshFromVersion+"\n" {
		t.Errorf("kubeadm version: %q", r.stdout)
	}
	if r := runSSH(t, cp.client, "sudo kubeadm upgrade apply "+sshToVersion+" -y", ""); r.status != 1 || !strings.Contains(r.stderr, "is at least one minor release higher than the kubeadm minor release") {
		t.Errorf("upgrade with the old kubeadm: %v", r)
	}
	if r := runSSH(t, cp.client, "apt-get install -y kubeadm="+sshToPackage+"-*", ""); r.status != 100 {
		t.Errorf("apt-get without sudo: %v", r)
	}
	if r := runSSH(t, cp.client, "sudo apt-get install -y kubeadm=1.99.0-*", ""); r.status != 100 || r.stderr != "E: Version '1.99.0-*' for 'kubeadm' was not found\n" {
		t.Errorf("install of a version that does not exist: %v", r)
	}
	mustRun(t, cp.client, "sudo apt-mark unhold kubeadm && sudo apt-get update && sudo apt-get install -y kubeadm='"+sshToPackage+"-*' && sudo apt-mark hold kubeadm", "")
	if r := mustRun(t, cp.client, "kubeadm version -o short", ""); r.stdout != sshToVersion+"\n" {
		t.Errorf("kubeadm version after apt-get install: %q", r.stdout)
	}
	if r := runSSH(t, cp.client, "sudo kubeadm upgrade apply "+sshToVersion, "n\n"); r.status != 1 || !strings.Contains(r.stderr, "won't proceed") {
		t.Errorf("upgrade answered no: %v", r)
	}
	began := time.Now()
	r := mustRun(t, cp.client, "sudo kubeadm upgrade apply "+sshToVersion+" -y", "")
	t.Logf("kubeadm upgrade apply took %s", time.Since(began).Round(time.Millisecond))
	if !strings.Contains(r.stdout, `[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "`+sshToVersion+`".`) {
		t.Errorf("upgrade apply output:\n%s", r.stdout)
	}
	v, err := client.Discovery().ServerVersion()
	if err != nil || v.GitVersion != sshToVersion {
		t.Fatalf("GET /version after upgrade: %+v, %v", v, err)
	}
	ds, err := client.AppsV1().DaemonSets("kube-system").Get(ctx, "kube-proxy", metav1.GetOptions{})
	if err != nil || !strings.HasSuffix(ds.Spec.Template.Spec.Containers[0].Image, ":"+sshToVersion) {
		t.Errorf("kube-proxy after upgrade: %v", err)
	}
	cm, err := client.CoreV1().ConfigMaps("kube-system").Get(ctx, "kubeadm-config", metav1.GetOptions{})
	if err != nil || !strings.Contains(cm.Data["ClusterConfiguration"], "kubernetesVersion: "+sshToVersion) {
		t.Errorf("kubeadm-config after upgrade: %v\n%s", err, cm.Data["ClusterConfiguration"])
	}

	// The kubelets, control plane first, then the worker.
	mustRun(t, cp.client, "sudo apt-get install -y --allow-change-held-packages kubelet="+sshToPackage+"-* kubectl="+sshToPackage+"-* && sudo systemctl daemon-reload && sudo systemctl restart kubelet", "")
	r = mustRun(t, w.client, "sudo apt-get install -y kubeadm="+sshToPackage+"-* && sudo kubeadm upgrade node", "")
	if !strings.Contains(r.stdout, "[upgrade/control-plane] Skipping phase. Not a control plane node.") {
		t.Errorf("upgrade node on a worker:\n%s", r.stdout)
	}
	mustRun(t, w.client, "sudo apt-get install -y kubelet="+sshToPackage+"-* && sudo systemctl restart kubelet", "")
	if r := mustRun(t, w.client, "kubelet --version", ""); r.stdout != "Kubernetes "+sshToVersion+"\n" {
		t.Errorf("kubelet --version: %q", r.stdout)
	}
	if err := nodetest.WaitReady(ctx, client, time.Minute, sshToVersion, cp.Hostname(), w.Hostname()); err != nil {
		t.Error(err)
	}
	// Another control plane's `kubeadm upgrade node` would now restart it
	// with the cluster's version; on this one it is already running it.
	r = mustRun(t, cp.client, "sudo kubeadm upgrade node --certificate-renewal=false", "")
	if !strings.Contains(r.stdout, `Upgrading your Static Pod-hosted control plane instance to version "`+sshToVersion+`"`) {
		t.Errorf("upgrade node on the control plane:\n%s", r.stdout)
	}
}

// testSSHPowerCycle checks that sshd goes away with the node and comes
// back with the same host key.
func testSSHPowerCycle(t *testing.T, n *sshNode, key ssh.Signer) {
	n.PowerOff()
	if _, err := dialSSH(n.SSHAddr(), cloudinit.DefaultSSHUser, key, n.hostKey); err == nil {
		t.Fatal("sshd answers after power-off")
	}
	n.PowerOn()
	err := nodetest.Eventually(t.Context(), 30*time.Second, "sshd after power-on", func(context.Context) (bool, error) {
		c, err := dialSSH(n.SSHAddr(), cloudinit.DefaultSSHUser, key, n.hostKey) // the pinned key of the first boot
		if err != nil {
			return false, err
		}
		defer c.Close()
		return runSSH(t, c, "hostname", "").stdout == n.Hostname()+"\n", nil
	})
	if err != nil {
		t.Error(err)
	}
}

// TestVersionPolicy checks kubeadm's upgrade version policy.
func TestVersionPolicy(t *testing.T) {
	for _, tc := range []struct {
		cluster, kubeadm, target string
		mandatory, skippable     int
	}{
		{"v1.34.2", "v1.35.1", "v1.35.1", 0, 0},
		{"v1.34.2", "v1.34.2", "v1.35.1", 1, 0}, // kubeadm too old
		{"v1.34.2", "v1.36.0", "v1.36.0", 1, 0}, // skips a minor
		{"v1.36.0", "v1.36.0", "v1.34.2", 1, 1}, // downgrade of two minors
		{"v1.35.0", "v1.35.0", "v1.35.1", 0, 1}, // patch newer than kubeadm
	} {
		m, s := versionPolicy(tc.cluster, tc.kubeadm, tc.target)
		if len(m) != tc.mandatory || len(s) != tc.skippable {
			t.Errorf("cluster %s, kubeadm %s, target %s: mandatory %v, skippable %v", tc.cluster, tc.kubeadm, tc.target, m, s)
		}
	}
}

// TestParseLine checks the shell's word splitting.
func TestParseLine(t *testing.T) {
	items, err := parseLine(`sudo FOO=bar etcdctl --key='/a b' "x\"y" && echo ok || echo no; true`)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(items)
	want := `[{ [sudo FOO=bar etcdctl --key=/a b x"y]} {&& [echo ok]} {|| [echo no]} {; [true]}]`
	if got != want {
		t.Errorf("parseLine = %s, want %s", got, want)
	}
	for _, bad := range []string{"a |", "echo $HOME", "&& b", "a > f", `"open`} {
		if _, err := parseLine(bad); err == nil {
			t.Errorf("parseLine(%q) accepted", bad)
		}
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rssOf sums the resident memory of a node's control-plane processes.
func rssOf(n *Node) string {
	cp := n.ControlPlane()
	if cp == nil {
		return "no control plane"
	}
	var parts []string
	total := 0
	for name, pid := range cp.PIDs() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.Atoi(f[1])
				total += kb
				parts = append(parts, fmt.Sprintf("%s %d MiB", name, kb/1024))
			}
		}
	}
	slices.Sort(parts)
	return fmt.Sprintf("%d MiB (%s)", total/1024, strings.Join(parts, ", "))
}
