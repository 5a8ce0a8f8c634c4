package addons

import (
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/disk"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// discoveryTTL is how long cached discovery answers are trusted; Helm
// invalidates them itself after installing CRDs.
const discoveryTTL = 10 * time.Minute

// restGetter is the Kubernetes client configuration of one Helm operation:
// genericclioptions.RESTClientGetter over an in-memory kubeconfig, so the
// admin kubeconfig is never written to disk, with the namespace of the
// release as the default namespace and a discovery cache of the cluster's
// own (what KUBECACHEDIR is to kubectl). The discovery client and REST
// mapper are made once, as a Helm client's are, so that Helm's
// invalidation after installing CRDs reaches every user.
type restGetter struct {
	clientConfig clientcmd.ClientConfig
	cacheDir     string // the cluster's discovery cache
	log          *slog.Logger

	once      sync.Once
	discovery discovery.CachedDiscoveryInterface
	mapper    meta.RESTMapper
	err       error
}

// ToRESTConfig returns a fresh REST configuration; API server warnings go
// to the logger instead of klog's standard error.
func (g *restGetter) ToRESTConfig() (*rest.Config, error) {
	cfg, err := g.clientConfig.ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.WarningHandler = warningLogger{g.log}
	return cfg, nil
}

// ToDiscoveryClient returns the discovery client, cached on disk per cluster.
func (g *restGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	g.init()
	return g.discovery, g.err
}

// ToRESTMapper returns a REST mapper over the discovery client that resets
// itself when a kind is missing from a stale cache.
func (g *restGetter) ToRESTMapper() (meta.RESTMapper, error) {
	g.init()
	return g.mapper, g.err
}

// ToRawKubeConfigLoader returns the kubeconfig with the release namespace
// as the default namespace.
func (g *restGetter) ToRawKubeConfigLoader() clientcmd.ClientConfig { return g.clientConfig }

func (g *restGetter) init() {
	g.once.Do(func() {
		cfg, err := g.ToRESTConfig()
		if err != nil {
			g.err = err
			return
		}
		// Discovery of a cluster with many CRDs makes many requests at once,
		// as kubectl allows it.
		cfg.QPS, cfg.Burst = 50, 300
		dc, err := disk.NewCachedDiscoveryClientForConfig(cfg,
			filepath.Join(g.cacheDir, "discovery"), filepath.Join(g.cacheDir, "http"), discoveryTTL)
		if err != nil {
			g.err = err
			return
		}
		g.discovery = dc
		g.mapper = restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(dc), dc, nil)
	})
}

// warningLogger logs the warnings API servers send (deprecated APIs...).
type warningLogger struct{ log *slog.Logger }

func (w warningLogger) HandleWarningHeader(code int, agent, text string) {
	if code == 299 && text != "" {
		w.log.Warn("Kubernetes API warning", "warning", text)
	}
}
