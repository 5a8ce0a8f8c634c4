package sim

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// TestDatacenterSSH checks the datacenter's side of node access: every
// node's sshd listens on DatacenterOptions.SSHPort, the ssh.exec fault
// reaches the nodes, and sshd goes away when the VM powers off. (The node
// commands themselves are tested in sim/node.) The VM is a worker whose
// cluster does not exist: sshd starts with the guest's network, before
// kubeadm join.
func TestDatacenterSSH(t *testing.T) {
	const port = 2223
	faults := NewFaults()
	if err := faults.Add(Fault{Kind: KindSSHExec, Nth: 2}); err != nil {
		t.Fatal(err)
	}
	dc, err := StartDatacenter(t.Context(), DatacenterOptions{
		VCenter:  VCenterOptions{VMs: -1},
		StateDir: t.TempDir(),
		Faults:   faults,
		Logger:   slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
		SSHPort:  port,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.Close)
	c, err := login(t, dc.VCenter(), dc.VCenter().Username, dc.VCenter().Password)
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := nodetest.NewCluster("sshdc", dcVersion, "127.20.61.10")
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
	spec := cluster.WorkerNode("sshdc-w-0", "127.20.61.11")
	spec.SSHAuthorizedKey = authorized
	vm := cloneNodeVM(t, c, cluster, "sshdc-w-0", spec)
	powerOn(t, vm)
	waitForIP(t, vm, "127.20.61.11")

	n := dc.Node("sshdc-w-0")
	if n == nil {
		t.Fatal("no node sshdc-w-0")
	}
	if want := net.JoinHostPort("127.20.61.11", strconv.Itoa(port)); n.SSHAddr() != want {
		t.Fatalf("SSHAddr %s, want %s", n.SSHAddr(), want)
	}
	hostKey, err := n.SSHHostKey()
	if err != nil {
		t.Fatal(err)
	}
	config := &ssh.ClientConfig{
		User: "clusterwright", Auth: []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback: ssh.FixedHostKey(hostKey), Timeout: 5 * time.Second,
	}
	client, err := ssh.Dial("tcp", n.SSHAddr(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	run := func(cmd string) (string, string, int) {
		s, err := client.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var stdout, stderr bytes.Buffer
		s.Stdout, s.Stderr = &stdout, &stderr
		err = s.Run(cmd)
		var exitErr *ssh.ExitError
		if errors.As(err, &exitErr) {
			return stdout.String(), stderr.String(), exitErr.ExitStatus()
		}
		if err != nil {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), 0
	}
	for i, want := range []int{0, 1, 0} { // the second exec fails, once
		stdout, stderr, status := run("sudo cat /etc/hostname")
		if status != want {
			t.Errorf("exec %d: status %d (stdout %q, stderr %q), want %d", i+1, status, stdout, stderr, want)
		}
		if want == 0 && stdout != "sshdc-w-0\n" {
			t.Errorf("exec %d: stdout %q", i+1, stdout)
		}
		if want == 1 && stderr != "cat: error while loading shared libraries: libc.so.6: cannot open shared object file: Input/output error\n" {
			t.Errorf("faulted exec: stderr %q", stderr)
		}
	}
	if fired := faults.Fired(); len(fired) != 1 || fired[0].Fault.Kind != KindSSHExec || fired[0].Call != 2 {
		t.Errorf("fired faults: %v", fired)
	}

	task, err := vm.PowerOff(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "sshd to stop at power-off", func(context.Context) (bool, error) {
		c, err := net.DialTimeout("tcp", n.SSHAddr(), time.Second)
		if err == nil {
			c.Close()
			return false, errors.New("sshd still answers")
		}
		return true, nil
	})
}
