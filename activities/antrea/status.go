package antrea

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// StatusRequest names a ClusterSet, its leader and its members.
type StatusRequest struct {
	Set    string  `json:"set"`
	Leader Cluster `json:"leader"`
	// Members are the set's members; the leader is one whether listed or not.
	Members []Cluster `json:"members"`
}

// WaitRequest asks to wait until a ClusterSet is ready.
type WaitRequest struct {
	StatusRequest
	// Timeout bounds the wait; default DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Status is a ClusterSet as its clusters report it. It carries no secrets:
// workflows record it.
type Status struct {
	Set    string `json:"set"`
	Leader string `json:"leader"`
	// TotalClusters and ReadyClusters are the leader's counts.
	TotalClusters int `json:"total_clusters"`
	ReadyClusters int `json:"ready_clusters"`
	// Ready is true when every member is ready and the leader counts them all.
	Ready bool `json:"ready"`
	// Message says why the set is not ready.
	Message string         `json:"message,omitempty"`
	Members []MemberStatus `json:"members"`
}

// MemberStatus is one member as its cluster and the leader report it.
type MemberStatus struct {
	Cluster string `json:"cluster"`
	Leader  bool   `json:"leader"`
	// Ready: its ClusterSet is Ready, the leader counts it connected, it
	// has an active Gateway and imports every peer's ClusterInfo.
	Ready bool `json:"ready"`
	// Message says why it is not ready.
	Message string        `json:"message,omitempty"`
	Gateway GatewayStatus `json:"gateway"`
	// Imports are the peers whose ClusterInfo it imported, by name.
	Imports []string `json:"imports"`
}

// GatewayStatus is a member's active Gateway and its candidates.
type GatewayStatus struct {
	Active     string   `json:"active,omitempty"`
	Candidates []string `json:"candidates"`
}

// ClusterSetStatus reads a ClusterSet's status: the leader's ClusterSet
// (counts and per-member conditions) and on each member its ClusterSet's
// Ready condition, its Gateway and candidates, and its ClusterInfoImports.
// A cluster that cannot be read is reported in its member's message.
func (a *Activities) ClusterSetStatus(ctx context.Context, req StatusRequest) (Status, error) {
	if err := checkSet(req.Set); err != nil {
		return Status{}, err
	}
	return a.connectSet(ctx, req).status(ctx), nil
}

// WaitClusterSet waits until every member is ready (ClusterSet Ready,
// counted by the leader, a Gateway and the peers' ClusterInfoImports),
// heartbeating the progress, and returns the status. When the time is up it
// fails with ErrTypeNotReady, naming what is missing, the status as details.
func (a *Activities) WaitClusterSet(ctx context.Context, req WaitRequest) (Status, error) {
	if err := checkSet(req.Set); err != nil {
		return Status{}, err
	}
	set := a.connectSet(ctx, req.StatusRequest)
	var st Status
	progress, err := poll(ctx, orDefault(req.Timeout, DefaultTimeout), func(ctx context.Context) (bool, string, error) {
		st = set.status(ctx)
		return st.Ready, fmt.Sprintf("ClusterSet %s: %d of %d members ready; %s", st.Set, st.ReadyClusters, len(st.Members), st.Message), nil
	})
	if err == errTimeout {
		return st, timedOut(ErrTypeNotReady, progress, st)
	}
	return st, err
}

// setClients are the clients of a set's clusters, or why a cluster cannot
// be reached.
type setClients struct {
	set     string
	leader  Cluster
	members []Cluster // the leader first
	clients map[string]*clients
	errs    map[string]error
}

// connectSet connects to the leader and every member.
func (a *Activities) connectSet(ctx context.Context, req StatusRequest) *setClients {
	s := &setClients{set: req.Set, leader: req.Leader, members: []Cluster{req.Leader},
		clients: map[string]*clients{}, errs: map[string]error{}}
	for _, m := range req.Members {
		if m.Name != req.Leader.Name {
			s.members = append(s.members, m)
		}
	}
	for _, m := range s.members {
		c, err := a.connect(ctx, m)
		if err != nil {
			s.errs[m.Name] = err
			continue
		}
		s.clients[m.Name] = c
	}
	return s
}

// status reads the set's status from every cluster.
func (s *setClients) status(ctx context.Context) Status {
	st := Status{Set: s.set, Leader: s.leader.Name}
	view, leaderErr := s.leaderView(ctx)
	st.TotalClusters, st.ReadyClusters = view.total, view.ready
	var names []string
	for _, m := range s.members {
		names = append(names, m.Name)
	}
	var problems []string
	for _, m := range s.members {
		var ms MemberStatus
		if c := s.clients[m.Name]; c != nil {
			ms = c.memberStatus(ctx, s.set, names)
		} else {
			ms = MemberStatus{Cluster: m.Name, Imports: []string{}, Gateway: GatewayStatus{Candidates: []string{}},
				Message: "the cluster cannot be reached: " + s.errs[m.Name].Error()}
		}
		ms.Leader = m.Name == s.leader.Name
		if ms.Ready {
			switch {
			case leaderErr != nil:
				ms.Ready, ms.Message = false, "the leader cannot be read: "+leaderErr.Error()
			case view.members[m.Name] == nil:
				ms.Ready, ms.Message = false, "the leader does not count it yet"
			case view.members[m.Name]["status"] != "True":
				ms.Ready, ms.Message = false, "the leader reports it not ready: "+conditionText(view.members[m.Name])
			}
		}
		if !ms.Ready {
			problems = append(problems, m.Name+": "+ms.Message)
		}
		st.Members = append(st.Members, ms)
	}
	st.Ready = len(problems) == 0 && st.ReadyClusters == len(s.members)
	switch {
	case len(problems) > 0:
		st.Message = strings.Join(problems, "; ")
	case !st.Ready:
		st.Message = fmt.Sprintf("the leader counts %d of %d members ready", st.ReadyClusters, len(s.members))
	}
	return st
}

// leaderView is what the leader's ClusterSet says.
type leaderView struct {
	total, ready int
	// members maps each member the leader lists to its Ready condition.
	members map[string]map[string]any
}

func (s *setClients) leaderView(ctx context.Context) (leaderView, error) {
	v := leaderView{members: map[string]map[string]any{}}
	c := s.clients[s.leader.Name]
	if c == nil {
		return v, s.errs[s.leader.Name]
	}
	set := s.set
	cs, err := c.dyn.Resource(clusterSetGVR).Namespace(LeaderNamespace).Get(ctx, set, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return v, fmt.Errorf("no ClusterSet %s in %s", set, LeaderNamespace)
	}
	if err != nil {
		return v, readError(err)
	}
	total, _, _ := unstructured.NestedInt64(cs.Object, "status", "totalClusters")
	ready, _, _ := unstructured.NestedInt64(cs.Object, "status", "readyClusters")
	v.total, v.ready = int(total), int(ready)
	statuses, _, _ := unstructured.NestedSlice(cs.Object, "status", "clusterStatuses")
	for _, s := range statuses {
		m, _ := s.(map[string]any)
		id, _ := m["clusterID"].(string)
		conds, _ := m["conditions"].([]any)
		v.members[id] = findCondition(conds, "Ready")
		if v.members[id] == nil {
			v.members[id] = map[string]any{}
		}
	}
	return v, nil
}

// memberStatus reads a member's ClusterSet, Gateway, candidates and
// imports; names are all members' names. The leader's view is added by
// status.
func (c *clients) memberStatus(ctx context.Context, set string, names []string) MemberStatus {
	m := c.cluster
	ms := MemberStatus{Cluster: m.Name, Imports: []string{}, Gateway: GatewayStatus{Candidates: []string{}}}
	if err := c.readGateway(ctx, &ms.Gateway); err != nil {
		ms.Message = "the cluster cannot be read: " + readError(err).Error()
		return ms
	}
	imports, err := c.dyn.Resource(clusterInfoImportGVR).Namespace(MemberNamespace).List(ctx, metav1.ListOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		ms.Message = "the cluster cannot be read: " + readError(err).Error()
		return ms
	}
	if imports != nil {
		for _, ci := range imports.Items {
			id, _, _ := unstructured.NestedString(ci.Object, "spec", "clusterID")
			if id == "" {
				id = strings.TrimSuffix(ci.GetName(), clusterInfoName(""))
			}
			ms.Imports = append(ms.Imports, id)
		}
	}
	slices.Sort(ms.Imports)
	var missing, stale []string
	for _, peer := range names {
		if peer != m.Name && !slices.Contains(ms.Imports, peer) {
			missing = append(missing, peer)
		}
	}
	for _, id := range ms.Imports {
		if !slices.Contains(names, id) {
			stale = append(stale, id) // a cluster that left: the leader has yet to withdraw it
		}
	}
	cs, err := c.dyn.Resource(clusterSetGVR).Namespace(MemberNamespace).Get(ctx, set, metav1.GetOptions{})
	var ready map[string]any
	if err == nil {
		conds, _, _ := unstructured.NestedSlice(cs.Object, "status", "conditions")
		ready = findCondition(conds, "Ready")
	}
	switch {
	case apierrors.IsNotFound(err):
		ms.Message = fmt.Sprintf("no ClusterSet %s in %s", set, MemberNamespace)
	case err != nil:
		ms.Message = "the cluster cannot be read: " + readError(err).Error()
	case ready == nil:
		ms.Message = "its ClusterSet has no status yet"
	case ready["status"] != "True":
		ms.Message = "its ClusterSet is not Ready: " + conditionText(ready)
	case ms.Gateway.Active == "" && len(ms.Gateway.Candidates) == 0:
		ms.Message = "no gateway candidate"
	case ms.Gateway.Active == "":
		ms.Message = "no active Gateway among " + strings.Join(ms.Gateway.Candidates, ", ")
	case len(missing) > 0:
		ms.Message = "no ClusterInfoImport of " + strings.Join(missing, ", ")
	case len(stale) > 0:
		ms.Message = "still imports the ClusterInfo of " + strings.Join(stale, ", ") + ", no longer in the set"
	default:
		ms.Ready = true
	}
	return ms
}

// readGateway reads the active Gateway and the annotated candidates.
func (c *clients) readGateway(ctx context.Context, gw *GatewayStatus) error {
	nodes, err := c.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, n := range nodes.Items {
		if _, ok := n.Annotations[GatewayAnnotation]; ok {
			gw.Candidates = append(gw.Candidates, n.Name)
		}
	}
	slices.Sort(gw.Candidates)
	list, err := c.dyn.Resource(gatewayGVR).Namespace(MemberNamespace).List(ctx, metav1.ListOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if list != nil && len(list.Items) > 0 {
		gw.Active = list.Items[0].GetName()
	}
	return nil
}

// findCondition returns the condition of type typ, or nil.
func findCondition(conds []any, typ string) map[string]any {
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == typ {
			return m
		}
	}
	return nil
}

// maxMessage bounds a condition's message in a status.
const maxMessage = 300

// conditionText is a condition's reason and message, shortened.
func conditionText(c map[string]any) string {
	reason, _ := c["reason"].(string)
	msg, _ := c["message"].(string)
	text := strings.TrimSpace(reason + " " + msg)
	if text == "" {
		text, _ = c["status"].(string)
	}
	if len(text) > maxMessage {
		text = text[:maxMessage] + "…"
	}
	return text
}

// readError shortens an API error for a status message.
func readError(err error) error {
	if status, ok := err.(apierrors.APIStatus); ok {
		return fmt.Errorf("%s", status.Status().Reason)
	}
	return err
}
