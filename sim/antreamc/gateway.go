package antreamc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// mcConfig is the part of the MultiClusterConfig (ConfigMap
// antrea-mc-controller-config) the member uses.
type mcConfig struct {
	ServiceCIDR         string   `json:"serviceCIDR"`
	PodCIDRs            []string `json:"podCIDRs"`
	GatewayIPPrecedence string   `json:"gatewayIPPrecedence"`
}

// agentConfig is the part of antrea-agent.conf that decides whether the
// agents run multi-cluster gateways.
type agentConfig struct {
	FeatureGates map[string]bool `json:"featureGates"`
	Multicluster struct {
		EnableGateway bool `json:"enableGateway"`
	} `json:"multicluster"`
}

// readConfig reads the controller's MultiClusterConfig; a missing one means
// the defaults.
func (m *member) readConfig(ctx context.Context) (mcConfig, error) {
	var cfg mcConfig
	cm, err := m.c.kube.CoreV1().ConfigMaps(m.ns).Get(ctx, controllerConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("read ConfigMap %s/%s: %w", m.ns, controllerConfigMap, err)
	}
	if err := yaml.Unmarshal([]byte(cm.Data[controllerConfigKey]), &cfg); err != nil {
		return cfg, fmt.Errorf("ConfigMap %s/%s key %s: %w", m.ns, controllerConfigMap, controllerConfigKey, err)
	}
	cfg.PodCIDRs = slices.DeleteFunc(cfg.PodCIDRs, func(s string) bool { return s == "" })
	return cfg, nil
}

// gatewaysEnabled reports whether the Antrea agents run multi-cluster
// gateways (antrea-config: featureGates.Multicluster and
// multicluster.enableGateway), and if not, why.
func (m *member) gatewaysEnabled(ctx context.Context) (bool, string, error) {
	cm, err := m.c.kube.CoreV1().ConfigMaps(metav1.NamespaceSystem).Get(ctx, antreaConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, "Antrea is not installed (no ConfigMap kube-system/antrea-config)", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("read ConfigMap kube-system/%s: %w", antreaConfigMap, err)
	}
	var ac agentConfig
	if err := yaml.Unmarshal([]byte(cm.Data[antreaAgentConf]), &ac); err != nil {
		return false, "", fmt.Errorf("ConfigMap kube-system/%s key %s: %w", antreaConfigMap, antreaAgentConf, err)
	}
	switch {
	case !ac.FeatureGates["Multicluster"]:
		return false, "antrea-agent.conf does not enable featureGates.Multicluster", nil
	case !ac.Multicluster.EnableGateway:
		return false, "antrea-agent.conf does not set multicluster.enableGateway", nil
	}
	return true, "", nil
}

// syncGateway keeps one Gateway for the first Ready Node annotated as a
// gateway (the active one stays while it qualifies) and exports the
// cluster's ClusterInfo to the leader while there is a Gateway.
func (m *member) syncGateway(ctx context.Context, cs *clusterSet, conn *leaderConn) error {
	on, why, err := m.gatewaysEnabled(ctx)
	if err != nil {
		return err
	}
	if !on {
		m.log.Debug("no multi-cluster Gateway", "why", why)
		return nil
	}
	cfg, err := m.readConfig(ctx)
	if err != nil {
		return err
	}
	if cfg.ServiceCIDR == "" {
		cfg.ServiceCIDR = m.serviceCIDR(ctx)
	}
	gw, err := m.activeGateway(ctx, cfg)
	if err != nil {
		return err
	}
	exports := conn.dyn.Resource(resourceExportGVR).Namespace(cs.leaderNamespace)
	name := clusterInfoName(cs.clusterID)
	if gw == nil {
		return deleteIfExists(ctx, exports, "ResourceExport", cs.leaderNamespace, name)
	}
	re := newObject(resourceExportGVR, "ResourceExport", cs.leaderNamespace, name)
	re.SetLabels(map[string]string{labelSourceKind: clusterInfoKind, labelSourceClusterID: cs.clusterID})
	re.SetFinalizers([]string{exportFinalizer})
	re.Object["spec"] = map[string]any{
		"clusterID": cs.clusterID,
		"name":      cs.clusterID,
		"namespace": m.ns,
		"kind":      clusterInfoKind,
		"clusterInfo": map[string]any{
			"clusterID":    cs.clusterID,
			"serviceCIDR":  str(gw.Object, "serviceCIDR"),
			"podCIDRs":     toAnySlice(cfg.PodCIDRs),
			"gatewayInfos": []any{map[string]any{"gatewayIP": str(gw.Object, "gatewayIP")}},
		},
	}
	if written, err := upsert(ctx, exports, re, "spec"); err != nil {
		return err
	} else if written {
		m.log.Info("exported ClusterInfo to the leader", "resourceexport", name, "gatewayIP", str(gw.Object, "gatewayIP"))
	}
	return nil
}

// activeGateway reconciles the Gateway CRs of the member's namespace and
// returns the active one, or nil when no Node qualifies.
func (m *member) activeGateway(ctx context.Context, cfg mcConfig) (*unstructured.Unstructured, error) {
	nodes, err := m.c.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list Nodes: %w", err)
	}
	gateways := m.c.dyn.Resource(gatewayGVR).Namespace(m.ns)
	existing, err := gateways.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list Gateways in %s: %w", m.ns, err)
	}
	// Qualifying Nodes by name, in name order.
	want := map[string]*unstructured.Unstructured{}
	var order []string
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if _, ok := n.Annotations[gatewayAnnotation]; !ok || !nodeReady(n) {
			continue
		}
		internalIP, gatewayIP, err := gatewayIPs(n, cfg.GatewayIPPrecedence)
		if err != nil {
			m.log.Debug("Node does not qualify as gateway", "node", n.Name, "err", err)
			continue
		}
		gw := newObject(gatewayGVR, "Gateway", m.ns, n.Name)
		gw.Object["gatewayIP"], gw.Object["internalIP"] = gatewayIP, internalIP
		if cfg.ServiceCIDR != "" {
			gw.Object["serviceCIDR"] = cfg.ServiceCIDR
		}
		want[n.Name] = gw
		order = append(order, n.Name)
	}
	slices.Sort(order)
	active := ""
	for _, g := range existing.Items {
		if _, ok := want[g.GetName()]; ok && active == "" {
			active = g.GetName()
			continue
		}
		if err := deleteIfExists(ctx, gateways, "Gateway", m.ns, g.GetName()); err != nil {
			return nil, err
		}
		m.log.Info("Gateway removed", "gateway", g.GetName())
	}
	if active == "" && len(order) > 0 {
		active = order[0]
	}
	if active == "" {
		return nil, nil
	}
	gw := want[active]
	written, err := upsert(ctx, gateways, gw, "gatewayIP", "internalIP", "serviceCIDR")
	if err != nil {
		return nil, err
	}
	if written {
		m.log.Info("Gateway set", "gateway", active, "gatewayIP", gw.Object["gatewayIP"], "internalIP", gw.Object["internalIP"])
	}
	return gw, nil
}

// gatewayIPs returns a gateway Node's internal IP and gateway IP: the
// gateway-ip annotation, or the address gatewayIPPrecedence chooses
// (private: InternalIP, public: ExternalIP).
func gatewayIPs(n *corev1.Node, precedence string) (internalIP, gatewayIP string, err error) {
	public := precedence == "public" || precedence == "external"
	for _, a := range n.Status.Addresses {
		switch a.Type {
		case corev1.NodeInternalIP:
			internalIP = a.Address
			if !public {
				gatewayIP = a.Address
			}
		case corev1.NodeExternalIP:
			if public {
				gatewayIP = a.Address
			}
		}
	}
	if ip, ok := n.Annotations[gatewayIPAnnotation]; ok {
		if net.ParseIP(ip) == nil {
			return "", "", fmt.Errorf("the Gateway IP annotation %s on Node %s is not a valid IP address", ip, n.Name)
		}
		gatewayIP = ip
	}
	if gatewayIP == "" || internalIP == "" {
		return "", "", fmt.Errorf("no valid IP address for Gateway Node %s", n.Name)
	}
	return internalIP, gatewayIP, nil
}

// serviceCIDR finds the cluster's Service range from the default
// ServiceCIDR object, as the real controller does on current Kubernetes;
// "" if it cannot.
func (m *member) serviceCIDR(ctx context.Context) string {
	sc, err := m.c.kube.NetworkingV1().ServiceCIDRs().Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil || len(sc.Spec.CIDRs) == 0 {
		m.log.Debug("no ServiceCIDR kubernetes", "err", err)
		return ""
	}
	return strings.Join(sc.Spec.CIDRs, ",")
}

// importClusterInfos turns the leader's ClusterInfo ResourceImports of other
// members into ClusterInfoImports in the member's namespace, and removes the
// ClusterInfoImports whose ResourceImport is gone.
func (m *member) importClusterInfos(ctx context.Context, cs *clusterSet, conn *leaderConn) error {
	imports, err := conn.dyn.Resource(resourceImportGVR).Namespace(cs.leaderNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list ResourceImports in the leader's %s: %w", cs.leaderNamespace, err)
	}
	local := m.c.dyn.Resource(clusterInfoImportGVR).Namespace(m.ns)
	keep := map[string]bool{}
	var errs []error
	for _, ri := range imports.Items {
		info, ok, _ := unstructured.NestedMap(ri.Object, "spec", "clusterInfo")
		if str(ri.Object, "spec", "kind") != clusterInfoKind || !ok || str(info, "clusterID") == cs.clusterID {
			continue
		}
		keep[ri.GetName()] = true
		cii := newObject(clusterInfoImportGVR, "ClusterInfoImport", m.ns, ri.GetName())
		cii.Object["spec"] = info
		written, err := upsert(ctx, local, cii, "spec")
		if err != nil {
			errs = append(errs, err)
		} else if written {
			m.log.Info("imported ClusterInfo", "clusterinfoimport", ri.GetName(), "peer", str(info, "clusterID"))
		}
	}
	have, err := local.List(ctx, metav1.ListOptions{})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list ClusterInfoImports in %s: %w", m.ns, err))...)
	}
	for _, cii := range have.Items {
		if !keep[cii.GetName()] {
			errs = append(errs, deleteIfExists(ctx, local, "ClusterInfoImport", m.ns, cii.GetName()))
		}
	}
	return errors.Join(errs...)
}

// nodeReady reports whether a Node's Ready condition is True.
func nodeReady(n *corev1.Node) bool {
	return slices.ContainsFunc(n.Status.Conditions, func(c corev1.NodeCondition) bool {
		return c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue
	})
}

// toAnySlice converts strings for an unstructured object.
func toAnySlice(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}
