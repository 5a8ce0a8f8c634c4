package antrea

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	appsac "k8s.io/client-go/applyconfigurations/apps/v1"
	coreac "k8s.io/client-go/applyconfigurations/core/v1"
	metaac "k8s.io/client-go/applyconfigurations/meta/v1"
	rbacac "k8s.io/client-go/applyconfigurations/rbac/v1"
)

// controllerObjects are the objects of one multi-cluster controller as
// antrea-multicluster-leader.yml or antrea-multicluster-member.yml make
// them (the simulator's antrea chart renders the same).
type controllerObjects struct {
	namespace string
	role      string // roleLeader or roleMember
	labels    map[string]string
	image     string
	config    string // the MultiClusterConfig document
}

// configHash identifies a MultiClusterConfig document.
func configHash(config string) string {
	sum := sha256.Sum256([]byte(config))
	return hex.EncodeToString(sum[:])
}

// apply applies the controller's ServiceAccount, ConfigMap and Deployment;
// the Deployment's pod template carries the configuration's hash, so a
// changed configuration restarts the controller.
func (o controllerObjects) apply(ctx context.Context, c *clients) error {
	sa := coreac.ServiceAccount(controllerName, o.namespace).WithLabels(o.labels)
	if _, err := c.kube.CoreV1().ServiceAccounts(o.namespace).Apply(ctx, sa, applyOptions); err != nil {
		return fmt.Errorf("apply ServiceAccount %s/%s in cluster %s: %w", o.namespace, controllerName, c.cluster, err)
	}
	cm := coreac.ConfigMap(controllerConfigMap, o.namespace).WithLabels(o.labels).
		WithData(map[string]string{controllerConfigKey: o.config})
	if _, err := c.kube.CoreV1().ConfigMaps(o.namespace).Apply(ctx, cm, applyOptions); err != nil {
		return fmt.Errorf("apply ConfigMap %s/%s in cluster %s: %w", o.namespace, controllerConfigMap, c.cluster, err)
	}
	if _, err := c.kube.AppsV1().Deployments(o.namespace).Apply(ctx, o.deployment(), applyOptions); err != nil {
		return fmt.Errorf("apply Deployment %s/%s in cluster %s: %w", o.namespace, controllerName, c.cluster, err)
	}
	return nil
}

// deployment is the controller's Deployment: its container's arguments name
// the role.
func (o controllerObjects) deployment() *appsac.DeploymentApplyConfiguration {
	podLabels := map[string]string{"app": "antrea", "component": controllerName}
	container := coreac.Container().
		WithName(controllerName).
		WithImage(o.image).
		WithImagePullPolicy(corev1.PullIfNotPresent).
		WithCommand(controllerName).
		WithArgs(o.role, "--config=/"+controllerConfigKey, "--v=0").
		WithEnv(coreac.EnvVar().WithName("POD_NAMESPACE").WithValueFrom(
			coreac.EnvVarSource().WithFieldRef(coreac.ObjectFieldSelector().WithFieldPath("metadata.namespace")))).
		WithPorts(
			coreac.ContainerPort().WithName("webhook").WithContainerPort(9443).WithProtocol(corev1.ProtocolTCP),
			coreac.ContainerPort().WithName("health").WithContainerPort(8080).WithProtocol(corev1.ProtocolTCP)).
		WithVolumeMounts(coreac.VolumeMount().WithName("config").
			WithMountPath("/" + controllerConfigKey).WithSubPath(controllerConfigKey).WithReadOnly(true))
	return appsac.Deployment(controllerName, o.namespace).
		WithLabels(o.labels).
		WithLabels(map[string]string{"multicluster.antrea.io/role": o.role}).
		WithSpec(appsac.DeploymentSpec().
			WithReplicas(1).
			WithSelector(metaac.LabelSelector().WithMatchLabels(podLabels)).
			WithTemplate(coreac.PodTemplateSpec().
				WithLabels(podLabels).
				WithAnnotations(map[string]string{configHashAnnotation: configHash(o.config)}).
				WithSpec(coreac.PodSpec().
					WithServiceAccountName(controllerName).
					WithTolerations(coreac.Toleration().
						WithKey("node-role.kubernetes.io/control-plane").WithEffect(corev1.TaintEffectNoSchedule)).
					WithContainers(container).
					WithVolumes(coreac.Volume().WithName("config").
						WithConfigMap(coreac.ConfigMapVolumeSource().WithName(controllerConfigMap))))))
}

// mcRules are the rules over the multi-cluster kinds a controller manages.
func mcRules() []*rbacac.PolicyRuleApplyConfiguration {
	all := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	return []*rbacac.PolicyRuleApplyConfiguration{
		rbacac.PolicyRule().WithAPIGroups("multicluster.crd.antrea.io").WithResources("*").WithVerbs(all...),
		rbacac.PolicyRule().WithAPIGroups("multicluster.x-k8s.io").
			WithResources("serviceexports", "serviceexports/status", "serviceimports", "serviceimports/status").WithVerbs(all...),
		rbacac.PolicyRule().WithAPIGroups("").WithResources("configmaps", "secrets", "events", "serviceaccounts").WithVerbs(all...),
		rbacac.PolicyRule().WithAPIGroups("coordination.k8s.io").WithResources("leases").WithVerbs(all...),
	}
}

// applyLeaderRBAC applies the leader controller's Role and RoleBinding and
// the Role members are bound to.
func applyLeaderRBAC(ctx context.Context, c *clients, l map[string]string) error {
	ns := LeaderNamespace
	rbac := c.kube.RbacV1()
	role := rbacac.Role(leaderControllerRole, ns).WithLabels(l).WithRules(mcRules()...).
		WithRules(rbacac.PolicyRule().WithAPIGroups("rbac.authorization.k8s.io").WithResources("rolebindings").
			WithVerbs("get", "list", "watch", "create", "update", "delete"))
	if _, err := rbac.Roles(ns).Apply(ctx, role, applyOptions); err != nil {
		return fmt.Errorf("apply Role %s/%s in cluster %s: %w", ns, leaderControllerRole, c.cluster, err)
	}
	binding := rbacac.RoleBinding(leaderControllerRoleBinding, ns).WithLabels(l).
		WithRoleRef(rbacac.RoleRef().WithAPIGroup("rbac.authorization.k8s.io").WithKind("Role").WithName(leaderControllerRole)).
		WithSubjects(rbacac.Subject().WithKind("ServiceAccount").WithName(controllerName).WithNamespace(ns))
	if _, err := rbac.RoleBindings(ns).Apply(ctx, binding, applyOptions); err != nil {
		return fmt.Errorf("apply RoleBinding %s/%s in cluster %s: %w", ns, leaderControllerRoleBinding, c.cluster, err)
	}
	rw := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	member := rbacac.Role(memberClusterRole, ns).WithLabels(l).WithRules(
		rbacac.PolicyRule().WithAPIGroups("multicluster.crd.antrea.io").WithResources("clustersets").WithVerbs("get", "list", "watch"),
		rbacac.PolicyRule().WithAPIGroups("multicluster.crd.antrea.io").WithResources("memberclusterannounces", "resourceexports").WithVerbs(rw...),
		rbacac.PolicyRule().WithAPIGroups("multicluster.crd.antrea.io").
			WithResources("memberclusterannounces/status", "resourceexports/status").WithVerbs("get", "update", "patch"),
		rbacac.PolicyRule().WithAPIGroups("multicluster.crd.antrea.io").WithResources("resourceimports").WithVerbs("get", "list", "watch"),
	)
	if _, err := rbac.Roles(ns).Apply(ctx, member, applyOptions); err != nil {
		return fmt.Errorf("apply Role %s/%s in cluster %s: %w", ns, memberClusterRole, c.cluster, err)
	}
	return nil
}

// applyMemberRBAC applies the member controller's ClusterRole and
// ClusterRoleBinding.
func applyMemberRBAC(ctx context.Context, c *clients, l map[string]string) error {
	rw := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	role := rbacac.ClusterRole(memberControllerClusterRole).WithLabels(l).WithRules(mcRules()...).WithRules(
		rbacac.PolicyRule().WithAPIGroups("").WithResources("services", "endpoints", "namespaces", "nodes", "pods").WithVerbs(rw...),
		rbacac.PolicyRule().WithAPIGroups("discovery.k8s.io").WithResources("endpointslices").WithVerbs("get", "list", "watch"),
		rbacac.PolicyRule().WithAPIGroups("crd.antrea.io").WithResources("*").WithVerbs(rw...),
	)
	if _, err := c.kube.RbacV1().ClusterRoles().Apply(ctx, role, applyOptions); err != nil {
		return fmt.Errorf("apply ClusterRole %s in cluster %s: %w", memberControllerClusterRole, c.cluster, err)
	}
	binding := rbacac.ClusterRoleBinding(memberControllerClusterRole).WithLabels(l).
		WithRoleRef(rbacac.RoleRef().WithAPIGroup("rbac.authorization.k8s.io").WithKind("ClusterRole").WithName(memberControllerClusterRole)).
		WithSubjects(rbacac.Subject().WithKind("ServiceAccount").WithName(controllerName).WithNamespace(MemberNamespace))
	if _, err := c.kube.RbacV1().ClusterRoleBindings().Apply(ctx, binding, applyOptions); err != nil {
		return fmt.Errorf("apply ClusterRoleBinding %s in cluster %s: %w", memberControllerClusterRole, c.cluster, err)
	}
	return nil
}

// memberRoleBinding binds a member's ServiceAccount on the leader to
// antrea-mc-member-cluster-role.
func memberRoleBinding(name, namespace string, l map[string]string) *rbacac.RoleBindingApplyConfiguration {
	return rbacac.RoleBinding(name, namespace).WithLabels(l).
		WithRoleRef(rbacac.RoleRef().WithAPIGroup("rbac.authorization.k8s.io").WithKind("Role").WithName(memberClusterRole)).
		WithSubjects(rbacac.Subject().WithKind("ServiceAccount").WithName(name).WithNamespace(namespace))
}
