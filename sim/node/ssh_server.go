package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Day-2 node access. Every node runs an SSH server on its address from the
// moment its network is up until it powers off. It lets in the user of the
// node's cloud-init (cloudinit.DefaultSSHUser) with the key of its
// userdata only, and runs exec requests as bash on a kubeadm node would
// (see shell): a leading sudo, the file commands (cat, tee, ls, mkdir, rm,
// mv, cp, sha256sum, test), kubeadm (version, certs check-expiration, certs
// renew all, upgrade apply, upgrade node), the real etcdctl and etcdutl,
// apt-get/apt-mark/dpkg-query for the Kubernetes packages, systemctl for the kubelet
// and crictl ps for the static Pods' containers. Unknown commands fail as
// bash (127) or sudo (1) fail them.
//
// Restoring an etcd snapshot on a control-plane node goes as on a kubeadm
// node: the static Pods stopped by moving their manifests away (the
// running kubelet notices, see static_pod_watcher.go) or, in the
// simulator only, with the kubelet (see ssh_services.go):
//
//	sudo mkdir -p /etc/kubernetes/held
//	sudo mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/held/   (and the other three)
//	sudo crictl ps --name '^(etcd|kube-apiserver|...)$' -q              (until empty)
//	sudo mv /var/lib/etcd /var/lib/etcd.old
//	sudo etcdutl snapshot restore SNAPSHOT --data-dir /var/lib/etcd \
//	    --name NODE --initial-cluster NODE=https://IP:2380 --initial-advertise-peer-urls https://IP:2380
//	sudo mv /etc/kubernetes/held/etcd.yaml /etc/kubernetes/manifests/   (and the other three)

// DefaultSSHPort is the port of a node's SSH server unless Config.SSHPort says otherwise.
const DefaultSSHPort = 22

// Paths of the SSH host key on the node, as OpenSSH's ssh-keygen -A writes it at first boot.
const (
	sshHostKeyPath    = "/etc/ssh/ssh_host_ed25519_key"
	sshHostKeyPubPath = "/etc/ssh/ssh_host_ed25519_key.pub"
)

// sshHandshakeTimeout bounds a client's SSH handshake.
const sshHandshakeTimeout = 10 * time.Second

// sshServer is the node's sshd: public-key login for the user of its
// cloud-init, exec requests only.
type sshServer struct {
	node   *Node
	r      *run
	ln     net.Listener
	config *ssh.ServerConfig
	log    *slog.Logger

	ctx    context.Context // ends when the server stops: running commands are cancelled
	cancel context.CancelFunc

	// admin serializes the commands that change the node's services or
	// packages, as dpkg's and systemd's locks would.
	admin sync.Mutex

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// SSHAddr is the address of the node's SSH server (ip:port).
func (n *Node) SSHAddr() string {
	port := n.cfg.SSHPort
	if port == 0 {
		port = DefaultSSHPort
	}
	return net.JoinHostPort(n.IP().String(), strconv.Itoa(port))
}

// SSHHostKey returns the node's SSH host public key, which is made at the
// node's first boot and kept on its disk, so that clients can pin it.
func (n *Node) SSHHostKey() (ssh.PublicKey, error) {
	signer, err := n.loadHostKey()
	if err != nil {
		return nil, err
	}
	return signer.PublicKey(), nil
}

// startSSH starts the node's SSH server and records it in r. A node whose
// SSH server cannot start still boots (sshd failing does not stop
// cloud-init); the failure is logged.
func (n *Node) startSSH(r *run) {
	s, err := n.newSSHServer(r)
	if err != nil {
		n.log.Error("sshd did not start", "addr", n.SSHAddr(), "err", err)
		return
	}
	r.mu.Lock()
	r.ssh = s
	r.mu.Unlock()
	s.wg.Go(s.serve)
	n.log.Info("sshd listening", "addr", n.SSHAddr(), "user", n.spec.SSHUser)
}

// newSSHServer makes the host key if needed and listens on the node's SSH address.
func (n *Node) newSSHServer(r *run) (*sshServer, error) {
	authorized, _, _, _, err := ssh.ParseAuthorizedKey([]byte(n.spec.SSHAuthorizedKey))
	if err != nil {
		return nil, fmt.Errorf("authorized key of %s: %w", n.spec.SSHUser, err)
	}
	hostKey, err := n.ensureHostKey()
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	config := &ssh.ServerConfig{
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if meta.User() == n.spec.SSHUser && bytes.Equal(key.Marshal(), authorized.Marshal()) {
				return &ssh.Permissions{}, nil
			}
			return nil, fmt.Errorf("public key of type %s not authorized for user %q", key.Type(), meta.User())
		},
		ServerVersion: "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13",
	}
	config.AddHostKey(hostKey)
	ln, err := net.Listen("tcp", n.SSHAddr())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(r.ctx)
	return &sshServer{
		node: n, r: r, ln: ln, config: config, log: n.log.With("component", "sshd"),
		ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{},
	}, nil
}

// ensureHostKey loads the node's host key, making it at the first start.
func (n *Node) ensureHostKey() (ssh.Signer, error) {
	signer, err := n.loadHostKey()
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return signer, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "root@"+n.spec.Hostname)
	if err != nil {
		return nil, err
	}
	signer, err = ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	pub := bytes.TrimSuffix(ssh.MarshalAuthorizedKey(signer.PublicKey()), []byte("\n"))
	pub = append(pub, []byte(" root@"+n.spec.Hostname+"\n")...)
	if err := writeFile(n.path(sshHostKeyPubPath), pub, 0o644); err != nil {
		return nil, err
	}
	// The private key last: its presence means the pair is complete.
	if err := writeFile(n.path(sshHostKeyPath), pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return signer, nil
}

// loadHostKey reads the node's host key from its disk.
func (n *Node) loadHostKey() (ssh.Signer, error) {
	b, err := os.ReadFile(n.path(sshHostKeyPath))
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sshHostKeyPath, err)
	}
	return signer, nil
}

// serve accepts connections until the listener is closed.
func (s *sshServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if !s.track(c) {
			c.Close()
			return
		}
		s.wg.Go(func() {
			defer s.untrack(c)
			s.handleConn(c)
		})
	}
}

// track records an open connection, unless the server is stopping.
func (s *sshServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *sshServer) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// stop closes the listener and every connection, cancels running commands
// and waits for the server's goroutines: at power-off the guest's sshd goes
// away with everything it runs.
func (s *sshServer) stop() {
	s.cancel()
	s.ln.Close()
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for c := range conns {
		c.Close()
	}
	s.wg.Wait()
	s.log.Info("sshd stopped")
}

// handleConn runs one client connection: the handshake, then its sessions.
func (s *sshServer) handleConn(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(sshHandshakeTimeout))
	conn, chans, reqs, err := ssh.NewServerConn(c, s.config)
	if err != nil {
		s.log.Info("ssh login refused", "remote", c.RemoteAddr(), "err", err)
		return
	}
	_ = c.SetDeadline(time.Time{})
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	var sessions sync.WaitGroup
	defer sessions.Wait()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		sessions.Go(func() { s.handleSession(ch, chReqs) })
	}
}

// handleSession answers a session's requests: environment variables are
// recorded, a pty is granted, one exec runs; shells and subsystems are
// refused.
func (s *sshServer) handleSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	env := map[string]string{}
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			if ssh.Unmarshal(req.Payload, &kv) == nil {
				env[kv.Name] = kv.Value
			}
			reply(req, true)
		case "pty-req", "window-change":
			reply(req, true)
		case "exec":
			var cmd struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &cmd); err != nil {
				reply(req, false)
				continue
			}
			reply(req, true)
			status := s.exec(ch, cmd.Command, env)
			_, _ = ch.SendRequest("exit-status", false, exitStatusPayload(status))
			return
		default: // "shell", "subsystem" (sftp), "x11-req", ...
			reply(req, false)
		}
	}
}

// exec runs one command line and returns its exit status.
func (s *sshServer) exec(ch ssh.Channel, line string, env map[string]string) int {
	began := time.Now()
	sh := &shell{
		node: s.node, run: s.r, ctx: s.ctx, admin: &s.admin,
		stdin: ch, stdout: ch, stderr: ch.Stderr(), env: env,
	}
	status := sh.runLine(line)
	// The command line is not logged: arguments may carry secrets.
	s.log.Info("ssh exec", "command", sh.first, "status", status, "took", time.Since(began).Round(time.Millisecond))
	return status
}

func reply(req *ssh.Request, ok bool) {
	if req.WantReply {
		_ = req.Reply(ok, nil)
	}
}

func exitStatusPayload(status int) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, uint32(status))
	return b
}
