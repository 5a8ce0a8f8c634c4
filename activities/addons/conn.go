package addons

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// probeTimeout bounds the first request to the API server.
const probeTimeout = 30 * time.Second

// conn is a Helm action configuration for the releases of one namespace of
// one cluster, made for one call: nothing is shared between calls but the
// cluster's discovery cache on disk.
type conn struct {
	cfg    *action.Configuration
	key    string // identifies the cluster: its API server and CA
	server *version.Info
}

// connect parses the kubeconfig, checks that the API server answers and
// accepts the credentials, and builds the Helm configuration. Helm's debug
// output goes to log at debug level, with secrets masked.
func (i *Installer) connect(ctx context.Context, kubeconfig []byte, namespace string, log *slog.Logger, red *redactor) (*conn, error) {
	raw, err := clientcmd.Load(kubeconfig)
	if err != nil {
		// The parser's message may quote the document, keys included.
		return nil, fmt.Errorf("%w: the kubeconfig does not parse", ErrInvalidKubeconfig)
	}
	clientConfig := clientcmd.NewDefaultClientConfig(*raw, &clientcmd.ConfigOverrides{
		Context: clientcmdapi.Context{Namespace: namespace},
	})
	restConfig, err := clientConfig.ClientConfig()
	if err != nil {
		return nil, withClass(fmt.Errorf("kubeconfig: %w", err), ErrInvalidKubeconfig)
	}
	key := clusterKey(restConfig.Host, restConfig.CAData, restConfig.CAFile)
	cacheDir := filepath.Join(i.cacheDir(), "kube", key)
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	server, err := probe(ctx, restConfig)
	if err != nil {
		return nil, err
	}

	getter := &restGetter{clientConfig: clientConfig, cacheDir: cacheDir, log: log}
	cfg := new(action.Configuration)
	debug := func(format string, v ...any) {
		log.Debug(red.string(fmt.Sprintf(format, v...)), "component", "helm")
	}
	if err := cfg.Init(getter, namespace, "secret", debug); err != nil {
		return nil, fmt.Errorf("helm configuration: %w", err)
	}
	// Helm's kube client takes its default namespace from the kubeconfig
	// unless told; say it outright as well.
	if kc, ok := cfg.KubeClient.(*kube.Client); ok {
		kc.Namespace = namespace
	}
	return &conn{cfg: cfg, key: key, server: server}, nil
}

// clusterKey names a cluster by its API server URL and CA, so that a cluster
// rebuilt at the same address (new CA) gets a fresh discovery cache.
func clusterKey(host string, caData []byte, caFile string) string {
	h := sha256.New()
	h.Write([]byte(host))
	h.Write([]byte{0})
	h.Write(caData)
	h.Write([]byte{0})
	h.Write([]byte(caFile))
	return hex.EncodeToString(h.Sum(nil))[:20]
}

// probe asks the API server for its version: it answers, and it accepts
// the credentials. A canceled ctx is returned as such; a server that does
// not answer within probeTimeout is unreachable.
func probe(ctx context.Context, restConfig *rest.Config) (*version.Info, error) {
	cs, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return nil, withClass(fmt.Errorf("kubeconfig: %w", err), ErrInvalidKubeconfig)
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/version").Do(pctx).Raw()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case apierrors.IsUnauthorized(err), apierrors.IsForbidden(err):
		return nil, withClass(fmt.Errorf("API server rejects the kubeconfig's credentials: %w", err), ErrInvalidKubeconfig)
	case isCertificateError(err):
		return nil, withClass(fmt.Errorf("API server %s: certificate not trusted by the kubeconfig: %w", restConfig.Host, err), ErrInvalidKubeconfig)
	case pctx.Err() != nil:
		return nil, withClass(fmt.Errorf("API server %s: no answer in %s: %w", restConfig.Host, probeTimeout, err), ErrUnreachable)
	default:
		return nil, withClass(fmt.Errorf("API server %s: %w", restConfig.Host, err), ErrUnreachable)
	}
	var info version.Info
	if err := json.Unmarshal(body, &info); err != nil {
		return nil, fmt.Errorf("API server version: %w", err)
	}
	return &info, nil
}

// isCertificateError reports a TLS certificate the client does not trust.
func isCertificateError(err error) bool {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host) || errors.As(err, &verify)
}
