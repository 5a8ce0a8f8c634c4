package nodes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/clusterwright/clusterwright/domain"
)

// Session is a login to one node: commands run on it one after the other
// or concurrently, each in an SSH session of its own, until Close.
type Session struct {
	node           NodeRef
	addr           string
	client         *ssh.Client
	commandTimeout time.Duration
	// secrets are redacted from every command line and output: the
	// cluster's SSH private key, whole and line by line.
	secrets []string
	log     *slog.Logger
	// note holds the activity's progress for its heartbeats (nil outside withSession).
	note *progressNote
}

// open logs in to node with its cluster's SSH key, checking the host key
// the node presents against the pinned one, and pinning it at first
// contact (after the login succeeded, so that only a host that accepts the
// cluster's key gets pinned). A different key is a *HostKeyMismatchError.
//
// It is unexported so that Temporal, which registers every exported
// method of Activities, registers the activities only.
func (a *Activities) open(ctx context.Context, node NodeRef) (*Session, error) {
	if err := node.check(); err != nil {
		return nil, err
	}
	pemKey, err := a.Keys.SSHPrivateKey(ctx, node.ClusterID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nonRetryable(ErrTypeNoKey, "cluster %s has no SSH key", node.ClusterID)
	}
	if err != nil {
		return nil, fmt.Errorf("SSH key of cluster %s: %w", node.ClusterID, err)
	}
	signer, err := ssh.ParsePrivateKey(pemKey)
	if err != nil {
		// The parse error is left out: it might quote the key.
		return nil, nonRetryable(ErrTypeNoKey, "the SSH key of cluster %s does not parse", node.ClusterID)
	}
	addr := a.Dialer.address(node)
	log := a.logger().With("cluster_id", node.ClusterID, "node", node.Node, "address", addr)

	pin := &hostKeyCheck{store: a.HostKeys, node: node, addr: addr}
	client, err := dial(ctx, addr, &ssh.ClientConfig{
		User:            a.Dialer.user(),
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error { return pin.check(ctx, key) },
		Timeout:         a.Dialer.connectTimeout(),
	})
	if err != nil {
		if pin.mismatch != nil {
			log.Warn("ssh host key mismatch: refused", "expected", pin.mismatch.Expected, "presented", pin.mismatch.Presented)
			return nil, pin.mismatch
		}
		return nil, fmt.Errorf("ssh to node %s at %s: %w", node.Node, addr, err)
	}
	if err := pin.pinNew(ctx); err != nil {
		client.Close()
		if pin.mismatch != nil {
			log.Warn("ssh host key mismatch: refused", "expected", pin.mismatch.Expected, "presented", pin.mismatch.Presented)
		}
		return nil, err
	}
	if pin.pinned {
		log.Info("ssh host key pinned at first contact", "key_type", pin.presented.Type(), "fingerprint", ssh.FingerprintSHA256(pin.presented))
	}
	log.Debug("ssh login", "user", a.Dialer.user())
	return &Session{node: node, addr: addr, client: client, commandTimeout: a.Dialer.commandTimeout(),
		secrets: keySecrets(pemKey), log: log}, nil
}

// Close logs out.
func (s *Session) Close() error { return s.client.Close() }

// Node is the node the session is logged in to.
func (s *Session) Node() NodeRef { return s.node }

// dial connects to addr and runs the SSH handshake, both bounded by
// config.Timeout and ended early when ctx is.
func dial(ctx context.Context, addr string, config *ssh.ClientConfig) (*ssh.Client, error) {
	d := net.Dialer{Timeout: config.Timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(config.Timeout))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, config)
	if !stop() {
		if err == nil {
			c.Close()
		}
		conn.Close()
		return nil, ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// hostKeyCheck checks the host key a node presents against its pinned key.
type hostKeyCheck struct {
	store HostKeys
	node  NodeRef
	addr  string

	presented ssh.PublicKey // the key the node presented
	unpinned  bool          // no key was pinned when the node presented its own
	pinned    bool          // pinNew pinned the presented key
	mismatch  *HostKeyMismatchError
}

// check is the handshake's host key callback.
func (h *hostKeyCheck) check(ctx context.Context, key ssh.PublicKey) error {
	h.presented = key
	k, err := h.store.PinnedHostKey(ctx, h.node.ClusterID, h.node.Node)
	if errors.Is(err, domain.ErrNotFound) {
		h.unpinned = true // pinned once the login succeeded
		return nil
	}
	if err != nil {
		return fmt.Errorf("pinned host key: %w", err)
	}
	return h.compare(k)
}

// pinNew pins the presented key if no key was pinned at the handshake. A
// concurrent first contact may have pinned one meanwhile: the first writer
// wins and the loser compares.
func (h *hostKeyCheck) pinNew(ctx context.Context) error {
	if !h.unpinned {
		return nil
	}
	k, created, err := h.store.PinHostKey(ctx, domain.NodeHostKey{
		ClusterID: h.node.ClusterID, Node: h.node.Node, Address: h.addr,
		KeyType: h.presented.Type(), Fingerprint: ssh.FingerprintSHA256(h.presented),
		AuthorizedKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(h.presented))),
	})
	if err != nil {
		return fmt.Errorf("pin host key: %w", err)
	}
	h.pinned = created
	return h.compare(k)
}

// compare checks the presented key against pinned.
func (h *hostKeyCheck) compare(pinned domain.NodeHostKey) error {
	presented := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(h.presented)))
	if presented == pinned.AuthorizedKey {
		return nil
	}
	h.mismatch = &HostKeyMismatchError{
		ClusterID: h.node.ClusterID, Node: h.node.Node, Address: h.addr,
		Expected: pinned.Fingerprint, ExpectedType: pinned.KeyType,
		Presented: ssh.FingerprintSHA256(h.presented), PresentedType: h.presented.Type(),
		FirstSeen: pinned.FirstSeen, FirstSeenAddress: pinned.Address,
	}
	return h.mismatch
}
