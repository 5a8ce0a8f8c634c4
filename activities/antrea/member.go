package antrea

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreac "k8s.io/client-go/applyconfigurations/core/v1"
)

// MemberRequest asks for a member's controller.
type MemberRequest struct {
	Set     string       `json:"set"`
	Cluster Cluster      `json:"cluster"`
	Config  MemberConfig `json:"config"`
	// Timeout bounds waiting for the controller to roll out; default
	// DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// MemberResult says what EnsureMemberController did.
type MemberResult struct {
	// ConfigHash identifies the MultiClusterConfig the controller runs with.
	ConfigHash string `json:"config_hash"`
	// Restarted is true when the configuration changed and the controller
	// was restarted with it.
	Restarted bool `json:"restarted"`
}

// EnsureMemberController makes a member's controller in kube-system: its
// ClusterRole and binding, ServiceAccount, ConfigMap
// antrea-mc-controller-config with the MultiClusterConfig, and Deployment.
// A changed configuration restarts the controller (the pod template carries
// its hash). It returns once the controller is rolled out. Repeating it
// changes nothing.
func (a *Activities) EnsureMemberController(ctx context.Context, req MemberRequest) (MemberResult, error) {
	if err := checkSet(req.Set); err != nil {
		return MemberResult{}, err
	}
	config, err := req.Config.normalize()
	if err != nil {
		return MemberResult{}, err
	}
	doc, err := config.render()
	if err != nil {
		return MemberResult{}, err
	}
	c, err := a.connect(ctx, req.Cluster)
	if err != nil {
		return MemberResult{}, classify(err)
	}
	res := MemberResult{ConfigHash: configHash(doc)}
	old, err := c.kube.CoreV1().ConfigMaps(MemberNamespace).Get(ctx, controllerConfigMap, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return res, classify(fmt.Errorf("get ConfigMap %s/%s in cluster %s: %w", MemberNamespace, controllerConfigMap, c.cluster, err))
	default:
		res.Restarted = old.Data[controllerConfigKey] != doc
	}
	l := labels(req.Set, PartMember, "")
	if err := applyMemberRBAC(ctx, c, l); err != nil {
		return res, classify(err)
	}
	ctrl := controllerObjects{namespace: MemberNamespace, role: roleMember, labels: l, image: a.image(), config: doc}
	if err := ctrl.apply(ctx, c); err != nil {
		return res, classify(err)
	}
	if res.Restarted {
		c.log.Info("member controller restarted with its new configuration", "clusterset", req.Set)
	}
	return res, classify(c.waitRollout(ctx, MemberNamespace, orDefault(req.Timeout, DefaultTimeout)))
}

// ConnectRequest asks to connect a member to its leader.
type ConnectRequest struct {
	Set    string  `json:"set"`
	Leader Cluster `json:"leader"`
	Member Cluster `json:"member"`
	// Timeout bounds waiting for the leader to issue the member's token;
	// default DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// ConnectMember connects a member (the leader too, as a member of its own
// set) to the leader: on the leader the member's ServiceAccount bound to
// its ClusterID, a RoleBinding to antrea-mc-member-cluster-role and a
// token Secret; once the token controller filled it, its token and ca.crt
// are copied into the member's Secret <set>-leader-token, and the member's
// ClusterSet points at the leader's API endpoint. The token never leaves
// the activity. Repeating it changes nothing; it repairs a changed token.
func (a *Activities) ConnectMember(ctx context.Context, req ConnectRequest) error {
	if err := checkSet(req.Set); err != nil {
		return err
	}
	endpoint, err := a.Clusters.ControlPlaneEndpoint(ctx, req.Leader.ID)
	if err != nil {
		return classify(fmt.Errorf("endpoint of leader %s: %w", req.Leader.Name, err))
	}
	if endpoint == "" {
		return noEndpoint(req.Leader.Name)
	}
	lead, err := a.connect(ctx, req.Leader)
	if err != nil {
		return classify(err)
	}
	member, err := a.connect(ctx, req.Member)
	if err != nil {
		return classify(err)
	}
	token, ca, err := lead.issueToken(ctx, req.Set, req.Member.Name, orDefault(req.Timeout, DefaultTimeout))
	if err != nil {
		return classify(err)
	}
	if err := member.applyLeaderToken(ctx, req.Set, token, ca); err != nil {
		return err
	}
	cs := newCR("ClusterSet", MemberNamespace, req.Set, labels(req.Set, PartMember, ""))
	cs.Object["spec"] = map[string]any{
		"clusterID": req.Member.Name,
		"namespace": LeaderNamespace,
		"leaders": []any{map[string]any{
			"clusterID": req.Leader.Name,
			"server":    "https://" + endpoint,
			"secret":    leaderTokenName(req.Set),
		}},
	}
	return classify(member.applyCR(ctx, clusterSetGVR, cs))
}

// issueToken makes the member's ServiceAccount, RoleBinding and token
// Secret on the leader and returns the token and CA once the token
// controller has filled the Secret.
func (c *clients) issueToken(ctx context.Context, set, member string, timeout time.Duration) (token, ca []byte, err error) {
	ns, name := LeaderNamespace, memberTokenName(member)
	l := labels(set, PartMemberAccess, member)
	sa := coreac.ServiceAccount(name, ns).WithLabels(l).WithAnnotations(map[string]string{ClusterIDAnnotation: member})
	if _, err := c.kube.CoreV1().ServiceAccounts(ns).Apply(ctx, sa, applyOptions); err != nil {
		return nil, nil, fmt.Errorf("apply ServiceAccount %s/%s in cluster %s: %w", ns, name, c.cluster, err)
	}
	if _, err := c.kube.RbacV1().RoleBindings(ns).Apply(ctx, memberRoleBinding(name, ns, l), applyOptions); err != nil {
		return nil, nil, fmt.Errorf("apply RoleBinding %s/%s in cluster %s: %w", ns, name, c.cluster, err)
	}
	secret := coreac.Secret(name, ns).WithLabels(l).
		WithAnnotations(map[string]string{corev1.ServiceAccountNameKey: name}).
		WithType(corev1.SecretTypeServiceAccountToken)
	if _, err := c.kube.CoreV1().Secrets(ns).Apply(ctx, secret, applyOptions); err != nil {
		return nil, nil, secretError("apply", ns, name, err)
	}
	progress, err := poll(ctx, timeout, func(ctx context.Context) (bool, string, error) {
		s, err := c.kube.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", secretError("read", ns, name, err)
		}
		token, ca = s.Data[corev1.ServiceAccountTokenKey], s.Data[corev1.ServiceAccountRootCAKey]
		return len(token) > 0 && len(ca) > 0,
			fmt.Sprintf("waiting for the token controller of cluster %s to fill Secret %s/%s", c.cluster, ns, name), nil
	})
	if err == errTimeout {
		return nil, nil, timedOut(ErrTypeTokenNotIssued, progress)
	}
	return token, ca, err
}

// applyLeaderToken writes the member's copy of its token, Secret
// <set>-leader-token (Opaque, keys token and ca.crt) in kube-system.
func (c *clients) applyLeaderToken(ctx context.Context, set string, token, ca []byte) error {
	ns, name := MemberNamespace, leaderTokenName(set)
	secret := coreac.Secret(name, ns).WithLabels(labels(set, PartMember, "")).
		WithType(corev1.SecretTypeOpaque).
		WithData(map[string][]byte{corev1.ServiceAccountTokenKey: token, corev1.ServiceAccountRootCAKey: ca})
	if _, err := c.kube.CoreV1().Secrets(ns).Apply(ctx, secret, applyOptions); err != nil {
		return secretError("apply", ns, name, err)
	}
	return nil
}
