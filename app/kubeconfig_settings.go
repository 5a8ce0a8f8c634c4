package app

import (
	"fmt"
	"time"

	"github.com/clusterwright/clusterwright/domain"
)

// KubeconfigSettings configure the personal kubeconfigs the API issues.
type KubeconfigSettings struct {
	// KubeconfigMaxTTL is the longest ?ttl= of GET /api/v1/clusters/{name}/kubeconfig
	// (a Go duration; default 24h).
	KubeconfigMaxTTL string
}

// kubeconfigSettings are the settings of KubeconfigSettings, bound to c's fields.
func (c *Config) kubeconfigSettings() []Setting {
	return []Setting{
		{"kubeconfig-max-ttl", "CLUSTERWRIGHT_KUBECONFIG_MAX_TTL", domain.DefaultKubeconfigMaxTTL.String(),
			"longest validity of a personal kubeconfig (?ttl= of GET /api/v1/clusters/{name}/kubeconfig; the default ttl is 8h or this, if shorter; 1m to 8760h)", &c.KubeconfigMaxTTL},
	}
}

// kubeconfigMaxTTL is KubeconfigMaxTTL as a duration (default
// domain.DefaultKubeconfigMaxTTL).
func (c *Config) kubeconfigMaxTTL() (time.Duration, error) {
	if c.KubeconfigMaxTTL == "" {
		return domain.DefaultKubeconfigMaxTTL, nil
	}
	d, err := time.ParseDuration(c.KubeconfigMaxTTL)
	if err != nil || d < domain.MinKubeconfigTTL || d > 365*24*time.Hour {
		return 0, fmt.Errorf("kubeconfig-max-ttl %q: want a duration from 1m to 8760h", c.KubeconfigMaxTTL)
	}
	return d, nil
}
