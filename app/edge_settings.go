package app

import (
	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/temporalrt"
)

// EdgeSettings configure the service's edges: TLS on the API listener, TLS and
// credentials towards Temporal, the API's per-token rate limit and the vCenter hosts
// that may be registered.
type EdgeSettings struct {
	// TLSCertFile and TLSKeyFile, both set, make the API listen with TLS; the pair is
	// read again whenever either file changes (see certReloader).
	TLSCertFile string
	TLSKeyFile  string
	// Temporal client TLS: a client certificate (mTLS), the CA that signed the
	// frontend's certificate and the name to verify it with; and an API key (Temporal
	// Cloud). See temporalrt.Security.
	TemporalTLSCertFile   string
	TemporalTLSKeyFile    string
	TemporalTLSCAFile     string
	TemporalTLSServerName string
	TemporalAPIKeyFile    string
	// APIRateLimit bounds the mutating requests per token, "N/s", "N/m" or "N/h";
	// empty or "0" is no limit (the flag's default is DefaultAPIRateLimit).
	APIRateLimit string
	// VCenterAllowedHosts, when set, is the comma-separated list of host names, host
	// globs (*.corp.example) and CIDRs a vCenter registration may name.
	VCenterAllowedHosts string
}

// DefaultAPIRateLimit is the api-rate-limit flag's default.
const DefaultAPIRateLimit = "60/m"

// edgeSettings are the settings of EdgeSettings, bound to c's fields.
func (c *Config) edgeSettings() []Setting {
	return []Setting{
		{"tls-cert-file", "CLUSTERWRIGHT_TLS_CERT_FILE", "", "PEM certificate (chain) the API and portal serve HTTPS with, together with tls-key-file; re-read when the file changes", &c.TLSCertFile},
		{"tls-key-file", "CLUSTERWRIGHT_TLS_KEY_FILE", "", "PEM private key of tls-cert-file", &c.TLSKeyFile},
		{"temporal-tls-cert-file", "CLUSTERWRIGHT_TEMPORAL_TLS_CERT_FILE", "", "PEM client certificate for Temporal (mTLS), with temporal-tls-key-file", &c.TemporalTLSCertFile},
		{"temporal-tls-key-file", "CLUSTERWRIGHT_TEMPORAL_TLS_KEY_FILE", "", "PEM private key of temporal-tls-cert-file", &c.TemporalTLSKeyFile},
		{"temporal-tls-ca-file", "CLUSTERWRIGHT_TEMPORAL_TLS_CA_FILE", "", "PEM CA certificates the Temporal frontend's certificate is verified with (default: the system's); any temporal-tls-* or temporal-api-key-file setting turns TLS on", &c.TemporalTLSCAFile},
		{"temporal-tls-server-name", "CLUSTERWRIGHT_TEMPORAL_TLS_SERVER_NAME", "", "name the Temporal frontend's certificate must carry (default: the host of temporal-address)", &c.TemporalTLSServerName},
		{"temporal-api-key-file", "CLUSTERWRIGHT_TEMPORAL_API_KEY_FILE", "", "file holding a Temporal API key (e.g. Temporal Cloud), sent over TLS; re-read on every call", &c.TemporalAPIKeyFile},
		{"api-rate-limit", "CLUSTERWRIGHT_API_RATE_LIMIT", DefaultAPIRateLimit, "mutating API requests per token, N/s, N/m or N/h (a burst of N, then 429 with Retry-After); 0: no limit", &c.APIRateLimit},
		{"vcenter-allowed-hosts", "CLUSTERWRIGHT_VCENTER_ALLOWED_HOSTS", "", "comma-separated host names, globs (*.corp.example) and CIDRs a vCenter registration may name; any other server is refused before any connection (empty: any). Names match as names; IP literals, and the addresses a name not matched resolves to, match the CIDRs", &c.VCenterAllowedHosts},
	}
}

// temporalSecurity is the Temporal client's TLS and credentials by the settings.
func (c *Config) temporalSecurity() temporalrt.Security {
	return temporalrt.Security{CertFile: c.TemporalTLSCertFile, KeyFile: c.TemporalTLSKeyFile,
		CAFile: c.TemporalTLSCAFile, ServerName: c.TemporalTLSServerName, APIKeyFile: c.TemporalAPIKeyFile}
}

// apiLimits are the API's rate limit (empty APIRateLimit: none) and vCenter allow-list.
func (c *Config) apiLimits() (api.RateLimit, domain.HostAllowList, error) {
	rl, err := api.ParseRateLimit(c.APIRateLimit)
	if err != nil {
		return api.RateLimit{}, domain.HostAllowList{}, err
	}
	hosts, err := domain.ParseHostAllowList(c.VCenterAllowedHosts)
	if err != nil {
		return api.RateLimit{}, domain.HostAllowList{}, err
	}
	return rl, hosts, nil
}
