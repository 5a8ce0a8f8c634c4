package antreamc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// member is the member controller of one namespace (kube-system as
// antrea-multicluster-member.yml deploys it).
type member struct {
	c   *Controller
	ns  string
	log *slog.Logger

	// conn is the connection to the leader, kept while the ClusterSet's
	// server and the token Secret stay the same.
	conn *leaderConn
	// elected records that the leader accepted this member once (the real
	// controller's IsLeader condition); it is reset when the leader changes.
	elected  bool
	leaderID string
	// lastErr is the last connection problem logged, to log changes only.
	lastErr string
	// joined is the ClusterSet the member last announced itself in, to
	// leave it when the ClusterSet is deleted.
	joined *clusterSet
}

// leaderConn is a client of the leader's API server with the member's token.
type leaderConn struct {
	key string
	dyn dynamic.Interface
}

// configError is a problem of the ClusterSet itself, as opposed to one of
// reaching the leader.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func newMember(c *Controller, ns string, log *slog.Logger) *member {
	return &member{c: c, ns: ns, log: log}
}

// step is one heartbeat: connect and announce, report in the ClusterSet's
// status, and when connected sync the Gateway, the ClusterInfo export and
// the ClusterInfo imports.
func (m *member) step(ctx context.Context) {
	cs, err := m.c.readClusterSet(ctx, m.ns)
	if err != nil {
		m.log.Warn("read ClusterSet", "err", err)
		return
	}
	if cs == nil {
		if m.joined != nil {
			m.leave(ctx)
		}
		m.conn, m.elected, m.leaderID = nil, false, ""
		return
	}
	if cs.leaderID != m.leaderID {
		m.elected, m.leaderID = false, cs.leaderID
	}
	conn, err := m.connect(ctx, cs)
	if err == nil {
		err = m.announce(ctx, conn, cs)
	}
	if err == nil {
		m.elected, m.joined = true, cs
	}
	m.logChange(err)
	if serr := m.writeStatus(ctx, cs, err); serr != nil {
		m.log.Warn("ClusterSet status", "err", serr)
	}
	if err != nil {
		return
	}
	if err := m.syncGateway(ctx, cs, conn); err != nil {
		m.log.Warn("gateway and ClusterInfo export", "err", err)
	}
	if err := m.importClusterInfos(ctx, cs, conn); err != nil {
		m.log.Warn("ClusterInfo import", "err", err)
	}
}

// logChange logs a connection problem when it changes.
func (m *member) logChange(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if msg == m.lastErr {
		return
	}
	m.lastErr = msg
	if err != nil {
		m.log.Warn("not connected to the leader", "err", err)
	} else {
		m.log.Info("connected to the leader", "leader", m.leaderID)
	}
}

// connect returns a client of the leader's API server authenticated with the
// token of the Secret named by spec.leaders[0].secret, trusting its ca.crt.
func (m *member) connect(ctx context.Context, cs *clusterSet) (*leaderConn, error) {
	if p := cs.memberProblem(); p != "" {
		return nil, &configError{p}
	}
	secret, err := m.c.kube.CoreV1().Secrets(m.ns).Get(ctx, cs.secret, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &configError{fmt.Sprintf("Secret %s/%s named by spec.leaders[0].secret does not exist", m.ns, cs.secret)}
	}
	if err != nil {
		return nil, fmt.Errorf("read Secret %s/%s: %w", m.ns, cs.secret, err)
	}
	token, ca := secret.Data[corev1.ServiceAccountTokenKey], secret.Data[corev1.ServiceAccountRootCAKey]
	if len(token) == 0 || len(ca) == 0 {
		return nil, &configError{fmt.Sprintf("Secret %s/%s needs the keys %q and %q", m.ns, cs.secret,
			corev1.ServiceAccountTokenKey, corev1.ServiceAccountRootCAKey)}
	}
	sum := sha256.Sum256(append(append([]byte(cs.server+"\x00"), token...), ca...))
	key := hex.EncodeToString(sum[:])
	if m.conn != nil && m.conn.key == key {
		return m.conn, nil
	}
	dyn, err := dynamic.NewForConfig(&rest.Config{
		Host:            cs.server,
		BearerToken:     string(token),
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		Timeout:         m.c.opts.Heartbeat,
		UserAgent:       "antrea-mc-controller (simulated member)",
	})
	if err != nil {
		return nil, &configError{fmt.Sprintf("spec.leaders[0].server %q: %v", cs.server, err)}
	}
	m.conn = &leaderConn{key: key, dyn: dyn}
	return m.conn, nil
}

// announce creates the member's MemberClusterAnnounce in the leader's
// namespace, or touches it so that the leader sees the heartbeat.
func (m *member) announce(ctx context.Context, conn *leaderConn, cs *clusterSet) error {
	ri := conn.dyn.Resource(memberClusterAnnounceGVR).Namespace(cs.leaderNamespace)
	name := memberAnnouncePrefix + cs.clusterID
	now := time.Now().String()
	mca, err := ri.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		mca = newObject(memberClusterAnnounceGVR, "MemberClusterAnnounce", cs.leaderNamespace, name)
		mca.Object["clusterID"] = cs.clusterID
		mca.Object["clusterSetID"] = cs.id
		mca.Object["leaderClusterID"] = cs.leaderID
		mca.SetAnnotations(map[string]string{touchAnnotation: now})
		if _, err := ri.Create(ctx, mca, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create MemberClusterAnnounce %s/%s: %w", cs.leaderNamespace, name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("get MemberClusterAnnounce %s/%s: %w", cs.leaderNamespace, name, err)
	}
	ann := mca.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[touchAnnotation] = now
	mca.SetAnnotations(ann)
	if _, err := ri.Update(ctx, mca, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update MemberClusterAnnounce %s/%s: %w", cs.leaderNamespace, name, err)
	}
	return nil
}

// writeStatus fills the member's ClusterSet status as the real member does:
// one cluster (itself), ready when connected to an elected leader, and the
// leader's conditions Ready and IsLeader. connErr is why it is not
// connected, or nil.
func (m *member) writeStatus(ctx context.Context, cs *clusterSet, connErr error) error {
	old := statusOf(cs.obj.Object)
	oldConds, _ := old["conditions"].([]any)
	ready := connErr == nil && m.elected

	overall := condition{Type: "Ready", Status: "True"}
	var cfgErr *configError
	switch {
	case errors.As(connErr, &cfgErr):
		overall = condition{Type: "Ready", Status: "False", Reason: "InvalidConfiguration", Message: cfgErr.Error()}
	case connErr != nil:
		overall = condition{Type: "Ready", Status: "False", Reason: "Disconnected", Message: "Disconnected from leader: " + connErr.Error()}
	case !ready:
		overall = condition{Type: "Ready", Status: "Unknown", Message: "Leader not yet connected"}
	}
	status := map[string]any{
		"observedGeneration": cs.obj.GetGeneration(),
		"totalClusters":      int64(1),
		"readyClusters":      int64(0),
		"conditions":         conditionsValue([]condition{overall}, oldConds),
	}
	if ready {
		status["readyClusters"] = int64(1)
	}
	if cs.leaderID != "" {
		leaderReady := condition{Type: "Ready", Status: "True"}
		if connErr != nil {
			leaderReady = condition{Type: "Ready", Status: "False", Reason: "Disconnected", Message: connErr.Error()}
		}
		isLeader := condition{Type: "IsLeader", Status: "False", Message: "Leader cluster added"}
		if m.elected {
			isLeader = condition{Type: "IsLeader", Status: "True", Message: "This leader cluster is an elected leader for local cluster"}
		}
		status["clusterStatuses"] = []any{map[string]any{
			"clusterID":  cs.leaderID,
			"conditions": conditionsValue([]condition{leaderReady, isLeader}, oldClusterConditions(old, cs.leaderID)),
		}}
	}
	return updateStatus(ctx, m.c.dyn.Resource(clusterSetGVR).Namespace(m.ns), cs.obj, status)
}

// leave undoes the membership when the member's ClusterSet is deleted, as
// the real member does: it deletes its MemberClusterAnnounce on the leader
// (the leader then removes the member's exports) and what it made locally,
// the Gateways and ClusterInfoImports. A failure is retried next heartbeat.
func (m *member) leave(ctx context.Context) {
	cs := m.joined
	var errs []error
	if m.conn != nil {
		errs = append(errs, deleteIfExists(ctx, m.conn.dyn.Resource(memberClusterAnnounceGVR).Namespace(cs.leaderNamespace),
			"MemberClusterAnnounce", cs.leaderNamespace, memberAnnouncePrefix+cs.clusterID))
	}
	for _, k := range []struct {
		gvr  schema.GroupVersionResource
		kind string
	}{{gatewayGVR, "Gateway"}, {clusterInfoImportGVR, "ClusterInfoImport"}} {
		ri := m.c.dyn.Resource(k.gvr).Namespace(m.ns)
		list, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			errs = append(errs, fmt.Errorf("list %ss in %s: %w", k.kind, m.ns, err))
			continue
		}
		for _, o := range list.Items {
			errs = append(errs, deleteIfExists(ctx, ri, k.kind, m.ns, o.GetName()))
		}
	}
	if err := errors.Join(errs...); err != nil {
		m.log.Warn("leave ClusterSet", "clusterset", cs.id, "err", err)
		return
	}
	m.log.Info("left ClusterSet", "clusterset", cs.id, "leader", cs.leaderID)
	m.joined = nil
}
