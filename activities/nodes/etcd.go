package nodes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// etcdctl on a kubeadm control-plane node: the local member, with the
// health-check client certificate kubeadm makes for etcd's probes.
const (
	etcdEndpoint = "https://127.0.0.1:2379"
	// EtcdctlFlags are etcdctl's flags for the node's local member.
	EtcdctlFlags = "--endpoints=" + etcdEndpoint +
		" --cacert=/etc/kubernetes/pki/etcd/ca.crt" +
		" --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt" +
		" --key=/etc/kubernetes/pki/etcd/healthcheck-client.key"
	etcdHealthCommand = "sudo ETCDCTL_API=3 etcdctl " + EtcdctlFlags + " endpoint health -w json"
	etcdStatusCommand = "sudo ETCDCTL_API=3 etcdctl " + EtcdctlFlags + " endpoint status -w json"
)

// EtcdHealth is the health and status of a control-plane node's etcd member.
type EtcdHealth struct {
	// Endpoint is the member's client URL as the node sees it.
	Endpoint string `json:"endpoint"`
	// Healthy is set when the member served a read in time; Error says
	// why it did not.
	Healthy bool          `json:"healthy"`
	Error   string        `json:"error,omitempty"`
	Took    time.Duration `json:"took"`
	// The rest is the member's status, known when it is healthy.
	Version     string `json:"version,omitempty"`
	MemberID    string `json:"member_id,omitempty"` // hex, as etcdctl member list -w table prints it
	IsLeader    bool   `json:"is_leader"`
	IsLearner   bool   `json:"is_learner,omitempty"`
	DBSizeBytes int64  `json:"db_size_bytes,omitempty"`
	DBInUse     int64  `json:"db_in_use_bytes,omitempty"`
	Revision    int64  `json:"revision,omitempty"`
	RaftTerm    uint64 `json:"raft_term,omitempty"`
	RaftIndex   uint64 `json:"raft_index,omitempty"`
}

// EtcdHealth checks the etcd member of a control-plane node with etcdctl
// (endpoint health, then endpoint status). An unhealthy member is a
// result, not an error; an etcdctl that cannot run is an error.
func (a *Activities) EtcdHealth(ctx context.Context, node NodeRef) (EtcdHealth, error) {
	var h EtcdHealth
	err := a.withSession(ctx, node, func(s *Session) error {
		var err error
		h, err = etcdHealth(ctx, s)
		return err
	})
	return h, err
}

// etcdHealth runs the two etcdctl commands in one session.
func etcdHealth(ctx context.Context, s *Session) (EtcdHealth, error) {
	out, err := s.Run(ctx, Command{Line: etcdHealthCommand})
	var cmdErr *CommandError
	switch {
	case errors.As(err, &cmdErr) && cmdErr.ExitStatus == 1:
		// etcdctl exits 1 for an unhealthy endpoint, printing its health
		// (and the reason) when it got as far.
		if h, perr := parseEtcdHealth(out.Stdout); perr == nil {
			return h, nil
		}
		return EtcdHealth{Endpoint: etcdEndpoint, Error: lastLine(cmdErr.Output)}, nil
	case err != nil:
		return EtcdHealth{}, err
	}
	h, err := parseEtcdHealth(out.Stdout)
	if err != nil {
		return EtcdHealth{}, nonRetryable(ErrTypeBadOutput, "etcdctl endpoint health on node %s: %v", s.node.Node, err)
	}
	if !h.Healthy {
		return h, nil
	}
	out, err = s.Run(ctx, Command{Line: etcdStatusCommand})
	if err != nil {
		return EtcdHealth{}, err
	}
	if err := parseEtcdStatus(out.Stdout, &h); err != nil {
		return EtcdHealth{}, nonRetryable(ErrTypeBadOutput, "etcdctl endpoint status on node %s: %v", s.node.Node, err)
	}
	return h, nil
}

// parseEtcdHealth parses `etcdctl endpoint health -w json` of one endpoint.
func parseEtcdHealth(stdout []byte) (EtcdHealth, error) {
	var list []struct {
		Endpoint string `json:"endpoint"`
		Health   bool   `json:"health"`
		Took     string `json:"took"`
		Error    string `json:"error"`
	}
	if err := json.Unmarshal(stdout, &list); err != nil || len(list) != 1 {
		return EtcdHealth{}, fmt.Errorf("want a JSON list of one endpoint's health (%v); output: %q", err, Redact(head(stdout, 512)))
	}
	took, _ := time.ParseDuration(list[0].Took)
	return EtcdHealth{Endpoint: list[0].Endpoint, Healthy: list[0].Health, Error: list[0].Error, Took: took}, nil
}

// parseEtcdStatus parses `etcdctl endpoint status -w json` of one endpoint into h.
func parseEtcdStatus(stdout []byte, h *EtcdHealth) error {
	var list []struct {
		Endpoint string `json:"Endpoint"`
		Status   struct {
			Header struct {
				MemberID uint64 `json:"member_id"`
				Revision int64  `json:"revision"`
			} `json:"header"`
			Version     string `json:"version"`
			DBSize      int64  `json:"dbSize"`
			DBSizeInUse int64  `json:"dbSizeInUse"`
			Leader      uint64 `json:"leader"`
			RaftIndex   uint64 `json:"raftIndex"`
			RaftTerm    uint64 `json:"raftTerm"`
			IsLearner   bool   `json:"isLearner"`
		} `json:"Status"`
	}
	if err := json.Unmarshal(stdout, &list); err != nil || len(list) != 1 {
		return fmt.Errorf("want a JSON list of one endpoint's status (%v); output: %q", err, Redact(head(stdout, 512)))
	}
	st := list[0].Status
	if st.Header.MemberID == 0 || st.Version == "" {
		return fmt.Errorf("status without member id or version; output: %q", Redact(head(stdout, 512)))
	}
	h.Version = st.Version
	h.MemberID = strconv.FormatUint(st.Header.MemberID, 16)
	h.IsLeader = st.Leader == st.Header.MemberID
	h.IsLearner = st.IsLearner
	h.DBSizeBytes, h.DBInUse = st.DBSize, st.DBSizeInUse
	h.Revision = st.Header.Revision
	h.RaftTerm, h.RaftIndex = st.RaftTerm, st.RaftIndex
	return nil
}

// lastLine is the last non-empty line of text.
func lastLine(text string) string {
	last := ""
	for line := range strings.Lines(text) {
		if l := strings.TrimSpace(line); l != "" {
			last = l
		}
	}
	return last
}
