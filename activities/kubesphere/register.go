package kubesphere

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
)

// MemberRequest names a KubeSphere host and a member cluster.
type MemberRequest struct {
	Host   Cluster `json:"host"`
	Member Cluster `json:"member"`
	// Timeout bounds each wait; default DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// MemberGone (UnregisterMember only) leaves the member alone: it is
	// being deleted or cannot be reached. Its ServiceAccount then stays
	// until the cluster goes; the host no longer holds its token.
	MemberGone bool `json:"member_gone,omitempty"`
}

// check checks both clusters and that they differ.
func (r MemberRequest) check() error {
	if err := r.Host.check("host"); err != nil {
		return err
	}
	if err := r.Member.check("member"); err != nil {
		return err
	}
	if r.Host.ID == r.Member.ID || r.Host.Name == r.Member.Name {
		return invalidInput("cluster %s cannot be a member of itself", r.Member)
	}
	return nil
}

// RegisterResult says what RegisterMember made. It holds no secret.
type RegisterResult struct {
	// Cluster is the name of the member's Cluster on the host.
	Cluster string `json:"cluster"`
	// ServiceAccount is the member's ServiceAccount the host acts as,
	// namespace/name.
	ServiceAccount string `json:"service_account"`
	// Changed is true when the Cluster was made or changed (a new token);
	// false when everything was in place.
	Changed bool `json:"changed"`
}

// RegisterMember registers a member with a KubeSphere host: on the member
// a ServiceAccount bound to cluster-admin and its long-lived token Secret;
// on the host the member's Cluster (direct connection) with a kubeconfig
// built from that token, the member's CA and its API endpoint, once the
// member's API server takes it as the ServiceAccount. It refuses a host
// that is no KubeSphere host, a member that is one, and a Cluster of the
// member's name that Clusterwright did not make, before writing anything.
// Repeating it changes nothing; a new token (the ServiceAccount replaced,
// or the member's signing key rotated and the token Secret deleted) is put
// into the Cluster.
func (a *Activities) RegisterMember(ctx context.Context, req MemberRequest) (RegisterResult, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	if err := req.check(); err != nil {
		return RegisterResult{}, err
	}
	timeout := orDefault(req.Timeout, DefaultTimeout)
	res := RegisterResult{Cluster: req.Member.Name, ServiceAccount: MemberNamespace + "/" + ServiceAccountName(req.Host.Name)}
	endpoint, err := a.Clusters.ControlPlaneEndpoint(ctx, req.Member.ID)
	if err != nil {
		return res, classify(fmt.Errorf("endpoint of member %s: %w", req.Member, err))
	}
	if endpoint == "" {
		return res, nonRetryable(ErrTypeNoEndpoint, "member %s has no control-plane endpoint in the inventory", req.Member)
	}
	host, err := a.connect(ctx, req.Host)
	if err != nil {
		return res, classify(err)
	}
	member, err := a.connect(ctx, req.Member)
	if err != nil {
		return res, classify(err)
	}
	existing, err := host.checkHost(ctx, member)
	if err != nil {
		return res, classify(err)
	}
	access, err := member.ensureAccess(ctx, req.Host.Name, timeout)
	if err != nil {
		return res, classify(err)
	}
	ca := member.caData
	if len(ca) == 0 {
		ca = access.ca
	}
	kubeconfig, err := buildKubeconfig(req.Member, endpoint, ServiceAccountName(req.Host.Name), ca, access.token)
	if err != nil {
		return res, err
	}
	username := "system:serviceaccount:" + MemberNamespace + ":" + ServiceAccountName(req.Host.Name)
	if err := verifyKubeconfig(ctx, req.Member, kubeconfig, username, timeout); err != nil {
		return res, classify(err)
	}
	version, err := host.applyCluster(ctx, req.Host, req.Member, endpoint, kubeconfig)
	if err != nil {
		return res, err
	}
	res.Changed = existing == nil || existing.GetResourceVersion() != version
	if res.Changed {
		host.log.Info("registered member with KubeSphere host", "member", req.Member.Name, "service_account", res.ServiceAccount)
	}
	return res, nil
}

// checkHost checks, before anything is written, that the host is a
// KubeSphere host serving Clusters, that the member is not one, and that a
// Cluster of the member's name is Clusterwright's when there is one. It
// returns that Cluster, nil when there is none.
func (host *clients) checkHost(ctx context.Context, member *clients) (*unstructured.Unstructured, error) {
	role, err := host.kubeSphereRole(ctx)
	if err != nil {
		return nil, err
	}
	if role != roleHost {
		return nil, nonRetryable(ErrTypeNotHost, "cluster %s is no KubeSphere host (its KubeSphere multicluster role is %q)", host.cluster, role)
	}
	role, err = member.kubeSphereRole(ctx)
	if err != nil {
		return nil, err
	}
	if role == roleHost {
		return nil, nonRetryable(ErrTypeMemberIsHost, "cluster %s is a KubeSphere host itself and cannot be a member of %s", member.cluster, host.cluster)
	}
	if err := host.checkServesClusters(ctx); err != nil {
		return nil, err
	}
	name := member.cluster.Name
	existing, err := host.dyn.Resource(clusterGVR).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, sensitiveError("read", clusterObject(name, host.cluster), err)
	}
	if !ours(existing, name) {
		return nil, nonRetryable(ErrTypeNameTaken, "KubeSphere host %s has a Cluster %s that Clusterwright did not make", host.cluster, name)
	}
	return existing, nil
}

// checkServesClusters checks that the host serves KubeSphere's Clusters.
func (host *clients) checkServesClusters(ctx context.Context) error {
	disco := discovery.ToDiscoveryInterfaceWithContext(host.kube.Discovery())
	resources, err := disco.ServerResourcesForGroupVersionWithContext(ctx, clusterGVR.GroupVersion().String())
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("discover %s in cluster %s: %w", clusterGVR.GroupVersion(), host.cluster, err)
	}
	if resources != nil {
		for _, r := range resources.APIResources {
			if r.Name == clusterGVR.Resource {
				return nil
			}
		}
	}
	return nonRetryable(ErrTypeNotHost, "cluster %s does not serve %s %s: KubeSphere's CRDs are not installed",
		host.cluster, clusterGVR.GroupResource(), clusterGVR.Version)
}

// ours reports whether a host's Cluster is Clusterwright's Cluster of member.
func ours(o *unstructured.Unstructured, member string) bool {
	l := o.GetLabels()
	return l[LabelManagedBy] == managedBy && l[LabelMember] == member
}

// applyCluster applies the member's Cluster on the host and returns its
// resourceVersion.
func (host *clients) applyCluster(ctx context.Context, hostRef, member Cluster, endpoint string, kubeconfig []byte) (string, error) {
	o := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": clusterGVR.GroupVersion().String(),
		"kind":       "Cluster",
		"spec": map[string]any{
			"provider":       provider,
			"enable":         true,
			"joinFederation": false,
			"connection": map[string]any{
				"type":                  connectionDirect,
				"kubernetesAPIEndpoint": "https://" + endpoint,
				"kubeconfig":            base64.StdEncoding.EncodeToString(kubeconfig),
			},
		},
	}}
	o.SetName(member.Name)
	o.SetLabels(clusterLabels(member.Name))
	o.SetAnnotations(map[string]string{descriptionAnnotation: fmt.Sprintf(
		"Registered by Clusterwright: direct connection as ServiceAccount %s/%s", MemberNamespace, ServiceAccountName(hostRef.Name))})
	applied, err := host.dyn.Resource(clusterGVR).Apply(ctx, member.Name, o, applyOptions)
	if err != nil {
		// The API server's message may quote the kubeconfig: the reason only.
		return "", sensitiveError("apply", clusterObject(member.Name, host.cluster), err)
	}
	return applied.GetResourceVersion(), nil
}

// clusterObject describes a host's Cluster in messages.
func clusterObject(name string, host Cluster) string {
	return fmt.Sprintf("%s %s in cluster %s", schema.GroupKind{Group: clusterGVR.Group, Kind: "Cluster"}, name, host)
}
