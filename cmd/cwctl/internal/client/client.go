// Package client talks to the Clusterwright REST API: authenticated JSON requests,
// RFC 9457 problem replies as errors, and the Server-Sent Events of an operation.
package client

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
	"net/url"
	"strings"
	"time"
)

// requestTimeout bounds every request except event streams.
const requestTimeout = 2 * time.Minute

// Client calls one Clusterwright API with one bearer token. It never prints or returns
// the token.
type Client struct {
	base  string // scheme://host[:port][/prefix], without a trailing slash
	token string
	http  *http.Client
	// project, when set, scopes the calls (see SetProject).
	project string
}

// SetProject scopes the client's calls to a project: lists are filtered to it
// (?project=) and what is created in a project (a cluster, a token) is created there
// unless the request names another.
func (c *Client) SetProject(name string) { c.project = name }

// listsByProject are the collections the API filters by ?project=.
var listsByProject = map[string]bool{
	"/api/v1/clusters": true, "/api/v1/clustersets": true, "/api/v1/operations": true,
	"/api/v1/schedules": true, "/api/v1/audit": true, "/api/v1/projects": true,
}

// createdInProject are the collections whose POST body names a project.
var createdInProject = map[string]bool{"/api/v1/clusters": true, "/api/v1/tokens": true}

// scope applies the client's project to one request: its query, or its JSON body.
func (c *Client) scope(method, path string, query url.Values, body []byte) (url.Values, []byte) {
	if c.project == "" {
		return query, body
	}
	switch {
	case method == http.MethodGet && listsByProject[path] && query.Get("project") == "":
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("project", c.project)
		return q, body
	case method == http.MethodPost && createdInProject[path] && body != nil:
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil || obj == nil {
			return query, body // not an object: the API names what is wrong
		}
		if _, named := obj["project"]; named {
			return query, body
		}
		obj["project"], _ = json.Marshal(c.project)
		if b, err := json.Marshal(obj); err == nil {
			return query, b
		}
	}
	return query, body
}

// New returns a client of the API at baseURL (e.g. http://127.0.0.1:8080) using token.
func New(baseURL, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("url %q: want http(s)://host[:port]", baseURL)
	}
	if u.User != nil {
		return nil, errors.New("url: must not carry credentials; use --token or $CLUSTERWRIGHT_TOKEN")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("url %q: must not have a query or fragment", baseURL)
	}
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("token: is empty")
	}
	return &Client{base: strings.TrimSuffix(u.String(), "/"), token: token, http: &http.Client{}}, nil
}

// TrustCA makes the client verify the API's certificate against the PEM certificates in
// caPEM as well as the system's roots (a service whose certificate a private CA issued).
func (c *Client) TrustCA(caPEM []byte) error {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(caPEM) {
		return errors.New("no PEM certificate in it")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.http.Transport = tr
	return nil
}

// Response is a successful reply, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends method path?query with body (JSON, when not nil) and returns the reply. A
// reply with status 400 or above is returned as a *Problem error.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	resp, err := c.send(ctx, method, path, query, body, "application/json", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read reply: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		return nil, parseProblem(resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// send builds and sends one authenticated request with the extra header fields, if any;
// the caller closes the body.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body []byte, accept string, header http.Header) (*http.Response, error) {
	query, body = c.scope(method, path, query, body)
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", accept+", application/problem+json")
	if c.token != "" { // empty only for NewUnauthenticated's sign-in calls
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", "cwctl")
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the method and URL; the URL carries no credentials.
		return nil, err
	}
	return resp, nil
}

// Path joins API path segments, escaping each one: Path("clusters", name).
func Path(segments ...string) string {
	var b strings.Builder
	b.WriteString("/api/v1")
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}
