package nodes

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
)

// HeartbeatInterval is how often the activities heartbeat; workflows set
// their heartbeat timeout to a few times this.
const HeartbeatInterval = 5 * time.Second

// Defaults of Dialer.
const (
	DefaultPort           = 22
	DefaultConnectTimeout = 15 * time.Second
	DefaultCommandTimeout = 2 * time.Minute
)

// Keys gives the SSH private key (PEM) that logs in to a cluster's nodes.
// bootstrap.Source implements it from the cluster's sealed secrets.
type Keys interface {
	SSHPrivateKey(ctx context.Context, clusterID string) ([]byte, error)
}

// HostKeys is where nodes' SSH host keys are pinned; the inventory Store
// implements it.
type HostKeys interface {
	// PinnedHostKey returns the key pinned for a node, or an error
	// wrapping domain.ErrNotFound.
	PinnedHostKey(ctx context.Context, clusterID, node string) (domain.NodeHostKey, error)
	// PinHostKey pins k unless a key is pinned for the node already, and
	// returns the key pinned after the call and whether this call pinned it.
	PinHostKey(ctx context.Context, k domain.NodeHostKey) (domain.NodeHostKey, bool, error)
}

// Dialer says how nodes are logged in to. The zero value is the defaults.
type Dialer struct {
	// User is the login; default cloudinit.DefaultSSHUser, which has
	// passwordless sudo (root may not log in).
	User string
	// Port is used for addresses without one; default DefaultPort.
	Port int
	// ConnectTimeout bounds the TCP connect and the SSH handshake;
	// default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// CommandTimeout bounds each command without a timeout of its own;
	// default DefaultCommandTimeout.
	CommandTimeout time.Duration
}

func (d Dialer) user() string {
	if d.User == "" {
		return cloudinit.DefaultSSHUser
	}
	return d.User
}

func (d Dialer) connectTimeout() time.Duration {
	if d.ConnectTimeout <= 0 {
		return DefaultConnectTimeout
	}
	return d.ConnectTimeout
}

func (d Dialer) commandTimeout() time.Duration {
	if d.CommandTimeout <= 0 {
		return DefaultCommandTimeout
	}
	return d.CommandTimeout
}

// address is the node's address with the port the dialer uses by default.
func (d Dialer) address(node NodeRef) string {
	if _, _, err := net.SplitHostPort(node.Address); err == nil {
		return node.Address
	}
	port := d.Port
	if port == 0 {
		port = DefaultPort
	}
	return net.JoinHostPort(node.Address, strconv.Itoa(port))
}

// Activities run commands on clusters' nodes. Workflows pass node
// references only: the SSH key is read inside the activities.
type Activities struct {
	Keys     Keys
	HostKeys HostKeys
	Dialer   Dialer
	// Logger receives logins and commands (redacted); nil means slog.Default().
	Logger *slog.Logger
}

// NodeRef names a node of a cluster and where it is reached.
type NodeRef struct {
	// ClusterID is the cluster's inventory id.
	ClusterID string `json:"cluster_id"`
	// Node is the node's name, under which its host key is pinned.
	Node string `json:"node"`
	// Address is the node's IP address or host name, with an optional
	// port (default Dialer.Port).
	Address string `json:"address"`
}

func (n NodeRef) String() string { return n.Node }

// check checks that the reference is complete.
func (n NodeRef) check() error {
	if n.ClusterID == "" || n.Node == "" || n.Address == "" {
		return nonRetryable(ErrTypeInvalidInput, "a node needs its cluster id, name and address (got cluster %q, node %q, address %q)",
			n.ClusterID, n.Node, n.Address)
	}
	return nil
}

func (a *Activities) logger() *slog.Logger {
	if a.Logger == nil {
		return slog.Default()
	}
	return a.Logger
}

// withSession logs in to node, runs fn and logs out, heartbeating all the
// while (with the last progress fn reported); its error is classified for
// Temporal.
func (a *Activities) withSession(ctx context.Context, node NodeRef, fn func(s *Session) error) error {
	note := &progressNote{}
	defer heartbeat.EveryWith(ctx, HeartbeatInterval, note.get)()
	s, err := a.open(ctx, node)
	if err != nil {
		return classify(err)
	}
	defer s.Close()
	s.note = note
	return classify(fn(s))
}

// progressNote is the last progress an activity reported.
type progressNote struct {
	mu  sync.Mutex
	msg string
}

// get returns the progress for a heartbeat: nil before any.
func (p *progressNote) get() any {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.msg == "" {
		return nil
	}
	return p.msg
}

// progress reports what a long activity does now: logged, recorded as its
// heartbeat's details at once and with every heartbeat after, so that the
// workflow's pending activity shows it.
func progress(ctx context.Context, s *Session, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.log.Info("node activity: " + msg)
	if s.note != nil {
		s.note.mu.Lock()
		s.note.msg = msg
		s.note.mu.Unlock()
	}
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, msg)
	}
}
