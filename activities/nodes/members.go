package nodes

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// etcdctl's membership commands on a control-plane node, with the flags of
// EtcdHealth: the node's local member answers.
const (
	etcdMemberListCommand    = "sudo ETCDCTL_API=3 etcdctl " + EtcdctlFlags + " member list -w json"
	etcdClusterHealthCommand = "sudo ETCDCTL_API=3 etcdctl " + EtcdctlFlags + " endpoint health --cluster -w json"
	etcdMemberRemoveCommand  = "sudo ETCDCTL_API=3 etcdctl " + EtcdctlFlags + " member remove "
)

// EtcdMember is a member of a cluster's etcd.
type EtcdMember struct {
	// ID is the member's ID in hex, as etcdctl member list -w table prints it.
	ID string `json:"id"`
	// Name is the member's name: kubeadm names it for its node. A member
	// added but never started has none.
	Name       string   `json:"name"`
	PeerURLs   []string `json:"peer_urls"`
	ClientURLs []string `json:"client_urls"`
	// Learner is set for a member that does not vote yet (kubeadm join adds
	// a member as a learner and promotes it once it has caught up).
	Learner bool `json:"learner"`
}

// EtcdMembers lists the members of the cluster's etcd, as the member of a
// control-plane node knows them (`etcdctl member list -w json`).
func (a *Activities) EtcdMembers(ctx context.Context, node NodeRef) ([]EtcdMember, error) {
	var members []EtcdMember
	err := a.withSession(ctx, node, func(s *Session) error {
		var err error
		_, members, err = etcdMembers(ctx, s)
		return err
	})
	return members, err
}

// RemoveEtcdMemberInput names the member to remove and the node whose member
// removes it.
type RemoveEtcdMemberInput struct {
	// Node is a healthy control plane that stays.
	Node NodeRef `json:"node"`
	// Member is the member's name (its node's name), or its hex ID.
	Member string `json:"member"`
}

// RemoveEtcdMember removes a member from the cluster's etcd through the member
// of in.Node (`etcdctl member remove`), as the replacement of a control plane
// does once its new node's member has joined. A member that is not there is
// done. It refuses, with a non-retryable ErrTypeEtcdMemberRefused, to remove
// in.Node's own member, and a member whose removal would leave the remaining
// voting members without a quorum of healthy ones (`etcdctl endpoint health
// --cluster`): removing a healthy member while another is down can lose the
// cluster.
func (a *Activities) RemoveEtcdMember(ctx context.Context, in RemoveEtcdMemberInput) error {
	if err := in.Node.check(); err != nil {
		return err
	}
	if in.Member == "" {
		return nonRetryable(ErrTypeInvalidInput, "no etcd member to remove named")
	}
	if in.Member == in.Node.Node {
		return nonRetryable(ErrTypeEtcdMemberRefused, "node %s does not remove its own etcd member: run on a control plane that stays", in.Node.Node)
	}
	return a.withSession(ctx, in.Node, func(s *Session) error {
		self, members, err := etcdMembers(ctx, s)
		if err != nil {
			return err
		}
		target, found, err := findMember(members, in.Member)
		if err != nil || !found {
			if err == nil {
				s.log.Info("etcd member absent: nothing to remove", "member", in.Member)
			}
			return err
		}
		if target.ID == self {
			return nonRetryable(ErrTypeEtcdMemberRefused, "etcd member %s (%s) is node %s's own: run on a control plane that stays", in.Member, target.ID, s.node.Node)
		}
		progress(ctx, s, "checking the etcd members' health before removing %s", in.Member)
		healthy, err := etcdClusterHealth(ctx, s)
		if err != nil {
			return err
		}
		if err := checkQuorumAfterRemoval(members, target, healthy); err != nil {
			return nonRetryable(ErrTypeEtcdMemberRefused, "etcd member %s (%s) is not removed: %v", in.Member, target.ID, err)
		}
		progress(ctx, s, "removing etcd member %s (%s)", in.Member, target.ID)
		return removeMember(ctx, s, target.ID)
	})
}

// Timing of a member's removal: etcd refuses to remove a voting member
// until the leader has been connected to enough of the others for 5 seconds
// (its strict reconfiguration check), as after a member restarted.
const (
	memberRemoveRetryFor   = 30 * time.Second
	memberRemoveRetryEvery = 2 * time.Second
)

// removeMember runs etcdctl member remove, again while etcd says the
// cluster is not ready for it. A member not found was removed meanwhile.
func removeMember(ctx context.Context, s *Session, id string) error {
	deadline := time.Now().Add(memberRemoveRetryFor)
	for {
		_, err := s.Run(ctx, Command{Line: etcdMemberRemoveCommand + id})
		var cmdErr *CommandError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &cmdErr) && strings.Contains(cmdErr.Output, "member not found"):
			return nil
		case !errors.As(err, &cmdErr) || time.Now().After(deadline) ||
			!(strings.Contains(cmdErr.Output, "etcdserver: unhealthy cluster") || strings.Contains(cmdErr.Output, "not enough started members")):
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(memberRemoveRetryEvery):
		}
	}
}

// etcdMembers lists the members and returns the hex ID of the local member,
// which answered the list.
func etcdMembers(ctx context.Context, s *Session) (self string, members []EtcdMember, err error) {
	out, err := s.Run(ctx, Command{Line: etcdMemberListCommand})
	if err != nil {
		return "", nil, err
	}
	self, members, err = parseMemberList(out.Stdout)
	if err != nil {
		return "", nil, nonRetryable(ErrTypeBadOutput, "etcdctl member list on node %s: %v", s.node.Node, err)
	}
	return self, members, nil
}

// parseMemberList parses `etcdctl member list -w json`: IDs are numbers, or
// hex strings with --hex.
func parseMemberList(stdout []byte) (self string, members []EtcdMember, err error) {
	var list struct {
		Header struct {
			MemberID etcdID `json:"member_id"`
		} `json:"header"`
		Members []struct {
			ID         etcdID   `json:"ID"`
			Name       string   `json:"name"`
			PeerURLs   []string `json:"peerURLs"`
			ClientURLs []string `json:"clientURLs"`
			IsLearner  bool     `json:"isLearner"`
		} `json:"members"`
	}
	if err := json.Unmarshal(stdout, &list); err != nil || len(list.Members) == 0 || list.Header.MemberID == 0 {
		return "", nil, fmt.Errorf("want etcd's member list with a header (%v); output: %q", err, Redact(head(stdout, 512)))
	}
	for _, m := range list.Members {
		members = append(members, EtcdMember{ID: m.ID.String(), Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs, Learner: m.IsLearner})
	}
	return list.Header.MemberID.String(), members, nil
}

// etcdID is a member ID in etcdctl's JSON: a number, or a hex string.
type etcdID uint64

func (id *etcdID) UnmarshalJSON(b []byte) error {
	s := string(b)
	base := 10
	if unquoted, err := strconv.Unquote(s); err == nil {
		s, base = unquoted, 16
	}
	v, err := strconv.ParseUint(s, base, 64)
	if err != nil {
		return fmt.Errorf("member ID %s: %w", b, err)
	}
	*id = etcdID(v)
	return nil
}

func (id etcdID) String() string { return strconv.FormatUint(uint64(id), 16) }

// findMember finds the member named name, or else whose hex ID it is. Two
// members of that name are an error: which to remove is not clear.
func findMember(members []EtcdMember, name string) (EtcdMember, bool, error) {
	var found []EtcdMember
	for _, m := range members {
		if m.Name == name {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 1:
		return found[0], true, nil
	case 0:
		for _, m := range members {
			if strings.EqualFold(m.ID, strings.TrimLeft(name, "0")) {
				return m, true, nil
			}
		}
		return EtcdMember{}, false, nil
	}
	return EtcdMember{}, false, nonRetryable(ErrTypeEtcdMemberRefused, "%d etcd members are named %s", len(found), name)
}

// etcdClusterHealth returns the client URLs of the members that answered
// `etcdctl endpoint health --cluster`.
func etcdClusterHealth(ctx context.Context, s *Session) (map[string]bool, error) {
	out, err := s.Run(ctx, Command{Line: etcdClusterHealthCommand})
	var cmdErr *CommandError
	if err != nil && !(errors.As(err, &cmdErr) && cmdErr.ExitStatus == 1) {
		return nil, err // 1: some endpoint is unhealthy, and the list says which
	}
	var list []struct {
		Endpoint string `json:"endpoint"`
		Health   bool   `json:"health"`
	}
	if jerr := json.Unmarshal(out.Stdout, &list); jerr != nil || len(list) == 0 {
		if err != nil {
			return nil, err
		}
		return nil, nonRetryable(ErrTypeBadOutput, "etcdctl endpoint health --cluster on node %s: want a JSON list (%v); output: %q",
			s.node.Node, jerr, Redact(head(out.Stdout, 512)))
	}
	healthy := map[string]bool{}
	for _, e := range list {
		if e.Health {
			healthy[e.Endpoint] = true
		}
	}
	return healthy, nil
}

// checkQuorumAfterRemoval says why removing target would leave the voting
// members without a quorum of healthy ones (healthy: the client URLs that
// answered), or nil.
func checkQuorumAfterRemoval(members []EtcdMember, target EtcdMember, healthy map[string]bool) error {
	voters, up := 0, 0
	var down []string
	for _, m := range members {
		if m.ID == target.ID || m.Learner {
			continue
		}
		voters++
		ok := false
		for _, u := range m.ClientURLs {
			ok = ok || healthy[u]
		}
		if ok {
			up++
		} else {
			down = append(down, cmp.Or(m.Name, m.ID))
		}
	}
	quorum := voters/2 + 1
	if voters == 0 || up < quorum {
		unhealthy := ""
		if len(down) > 0 {
			unhealthy = " (unhealthy: " + strings.Join(down, ", ") + ")"
		}
		return fmt.Errorf("%d voting members would remain, %d of them healthy%s, fewer than their quorum of %d",
			voters, up, unhealthy, quorum)
	}
	return nil
}
