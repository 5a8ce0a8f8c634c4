package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// etcdMember is a member as etcd's JSON gateway reports it.
type etcdMember struct {
	ID         etcdID   `json:"ID"`
	Name       string   `json:"name"`
	PeerURLs   []string `json:"peerURLs"`
	ClientURLs []string `json:"clientURLs"`
	IsLearner  bool     `json:"isLearner"`
}

// etcdID is a member ID. The gateway writes 64-bit integers as strings and
// reads both forms.
type etcdID uint64

// MarshalJSON writes the ID as a string.
func (id etcdID) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatUint(uint64(id), 10))
}

// UnmarshalJSON reads the ID from a string or a number.
func (id *etcdID) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("etcd member ID %s: %w", b, err)
	}
	*id = etcdID(v)
	return nil
}

// etcdClient calls etcd's cluster API through its JSON gateway
// (POST /v3/cluster/member/...), with a client certificate of the etcd CA.
type etcdClient struct {
	http      *http.Client
	endpoints []string
}

// newEtcdClient trusts caFile and presents certFile/keyFile.
func newEtcdClient(caFile, certFile, keyFile string, endpoints []string) (*etcdClient, error) {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &etcdClient{
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		}}},
		endpoints: endpoints,
	}, nil
}

// call posts in to the gateway method (like "member/list") on the first
// endpoint that answers and decodes the answer into out.
func (c *etcdClient) call(ctx context.Context, method string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	var errs []error
	for _, ep := range c.endpoints {
		err := c.post(ctx, strings.TrimSuffix(ep, "/")+"/v3/cluster/"+method, body, out)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("etcd %s: %w", method, errors.Join(errs...))
}

func (c *etcdClient) post(ctx context.Context, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", url, resp.Status, bytes.TrimSpace(b))
	}
	return json.Unmarshal(b, out)
}

// list returns the cluster's members.
func (c *etcdClient) list(ctx context.Context) ([]etcdMember, error) {
	var out struct {
		Members []etcdMember `json:"members"`
	}
	err := c.call(ctx, "member/list", struct{}{}, &out)
	return out.Members, err
}

// addLearner adds a non-voting member with peerURL and returns the members.
func (c *etcdClient) addLearner(ctx context.Context, peerURL string) ([]etcdMember, error) {
	var out struct {
		Members []etcdMember `json:"members"`
	}
	err := c.call(ctx, "member/add", map[string]any{"peerURLs": []string{peerURL}, "isLearner": true}, &out)
	return out.Members, err
}

// promote makes a learner a voting member; etcd refuses until the learner
// has caught up with the leader.
func (c *etcdClient) promote(ctx context.Context, id etcdID) error {
	var out json.RawMessage
	return c.call(ctx, "member/promote", map[string]any{"ID": id}, &out)
}

// memberWithPeer returns the member that has peerURL, if any.
func memberWithPeer(members []etcdMember, peerURL string) (etcdMember, bool) {
	for _, m := range members {
		if slices.Contains(m.PeerURLs, peerURL) {
			return m, true
		}
	}
	return etcdMember{}, false
}

// EtcdMember is an etcd member as a test sees it.
type EtcdMember struct {
	Name    string
	Learner bool
}

// EtcdMembers lists the etcd cluster's members as this control plane's own etcd
// reports them, through the API server's etcd client certificate on the node: what a
// test checks after members were added and removed.
func (n *Node) EtcdMembers(ctx context.Context) ([]EtcdMember, error) {
	pki := n.path("/etc/kubernetes/pki")
	ec, err := newEtcdClient(pki+"/etcd/ca.crt", pki+"/apiserver-etcd-client.crt", pki+"/apiserver-etcd-client.key",
		[]string{"https://" + n.IP().String() + ":2379"})
	if err != nil {
		return nil, err
	}
	members, err := ec.list(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]EtcdMember, len(members))
	for i, m := range members {
		out[i] = EtcdMember{Name: m.Name, Learner: m.IsLearner}
	}
	return out, nil
}
