package temporalrt

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

const (
	devClusterName = "active"
	// internalIP is where the history, matching and worker services listen.
	internalIP = "127.0.0.1"
)

// devServices are the server's services in port order: the frontend takes the
// base port, each following service the next one.
var devServices = []primitives.ServiceName{
	primitives.FrontendService,
	primitives.HistoryService,
	primitives.MatchingService,
	primitives.WorkerService,
}

// DevServerConfig configures StartDevServer.
type DevServerConfig struct {
	// DatabaseFile is the SQLite file that holds all server state. It is
	// created, with its directory, if missing, and reused as is if present.
	DatabaseFile string
	// Host is the IP address the frontend listens on; default 127.0.0.1.
	// The other services always listen on 127.0.0.1.
	Host string
	// Port is the frontend's gRPC port; the history, matching and worker
	// services take the three ports after it. 0 picks four free consecutive
	// ports.
	Port int
	// Namespace is registered at start if missing; default "default".
	Namespace string
	// Logger receives the server's warnings and errors; nil discards them
	// (except the reason of a fatal error, which goes to slog.Default()).
	Logger *slog.Logger
}

// DevServer is an embedded single-process Temporal server persisting to SQLite.
type DevServer struct {
	server    temporal.Server
	hostPort  string
	namespace string

	stopping *atomic.Bool // quiets the server's shutdown warnings
	stopOnce sync.Once
	stopErr  error
}

// StartDevServer starts an embedded Temporal server on cfg.DatabaseFile and
// returns when its services have started. Workflows and their histories
// survive a restart on the same file. Clients should still connect with Dial,
// which waits for the frontend to answer.
func StartDevServer(cfg DevServerConfig) (*DevServer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}

	dbDir := filepath.Dir(cfg.DatabaseFile)
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return nil, fmt.Errorf("temporalrt: dev server: create database directory: %w", err)
	}
	sqlCfg, err := sqliteConfig(cfg.DatabaseFile)
	if err != nil {
		return nil, fmt.Errorf("temporalrt: dev server: %w", err)
	}
	if err := ensureSchema(sqlCfg); err != nil {
		return nil, fmt.Errorf("temporalrt: dev server: %w", err)
	}
	if err := registerNamespace(sqlCfg, devClusterName, cfg.Namespace); err != nil {
		return nil, fmt.Errorf("temporalrt: dev server: %w", err)
	}

	if cfg.Port == 0 {
		cfg.Port, err = pickPorts(cfg.Host, internalIP, len(devServices))
	} else {
		err = checkPorts(cfg.Host, internalIP, cfg.Port, len(devServices))
	}
	if err != nil {
		return nil, fmt.Errorf("temporalrt: dev server: %w", err)
	}

	frontend := net.JoinHostPort(dialIP(cfg.Host), strconv.Itoa(cfg.Port))
	stopping := new(atomic.Bool)
	srv, err := temporal.NewServer(
		temporal.WithConfig(serverConfig(cfg, sqlCfg, frontend)),
		temporal.ForServices(serviceNames()),
		temporal.WithStaticHosts(staticHosts(frontend, cfg.Port)),
		temporal.WithLogger(newServerLogger(cfg.Logger, stopping)),
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper {
			return authorization.NewNoopClaimMapper()
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("temporalrt: dev server: create: %w", err)
	}
	if err := srv.Start(); err != nil {
		stopping.Store(true)
		_ = srv.Stop()
		return nil, fmt.Errorf("temporalrt: dev server: start on %s: %w", frontend, err)
	}
	return &DevServer{server: srv, hostPort: frontend, namespace: cfg.Namespace, stopping: stopping}, nil
}

// FrontendHostPort returns the host:port clients connect to.
func (s *DevServer) FrontendHostPort() string { return s.hostPort }

// Namespace returns the namespace registered at start.
func (s *DevServer) Namespace() string { return s.namespace }

// Stop shuts the server down. It is safe to call more than once.
func (s *DevServer) Stop() error {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		if err := s.server.Stop(); err != nil {
			s.stopErr = fmt.Errorf("temporalrt: dev server: stop: %w", err)
		}
	})
	return s.stopErr
}

func (cfg DevServerConfig) withDefaults() (DevServerConfig, error) {
	if cfg.DatabaseFile == "" {
		return cfg, errors.New("temporalrt: dev server: DatabaseFile is required")
	}
	abs, err := filepath.Abs(cfg.DatabaseFile)
	if err != nil {
		return cfg, fmt.Errorf("temporalrt: dev server: database file: %w", err)
	}
	cfg.DatabaseFile = abs
	switch cfg.Host {
	case "":
		cfg.Host = "127.0.0.1"
	case "localhost":
		cfg.Host = "127.0.0.1"
	}
	if net.ParseIP(cfg.Host) == nil {
		return cfg, fmt.Errorf("temporalrt: dev server: Host %q is not an IP address", cfg.Host)
	}
	if cfg.Port < 0 || cfg.Port+len(devServices)-1 > 65535 {
		return cfg, fmt.Errorf("temporalrt: dev server: Port %d out of range", cfg.Port)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	return cfg, nil
}

// dialIP returns the address to reach a listener bound to ip: loopback when
// ip is the unspecified address.
func dialIP(ip string) string {
	parsed := net.ParseIP(ip)
	switch {
	case parsed.Equal(net.IPv4zero):
		return "127.0.0.1"
	case parsed.Equal(net.IPv6unspecified):
		return "::1"
	}
	return ip
}

func serviceNames() []string {
	names := make([]string, len(devServices))
	for i, s := range devServices {
		names[i] = string(s)
	}
	return names
}

// staticHosts tells each service where the others are, instead of discovering
// them through ringpop membership.
func staticHosts(frontend string, base int) map[primitives.ServiceName]static.Hosts {
	hosts := make(map[primitives.ServiceName]static.Hosts, len(devServices))
	for i, svc := range devServices {
		addr := net.JoinHostPort(internalIP, strconv.Itoa(base+i))
		if svc == primitives.FrontendService {
			addr = frontend
		}
		hosts[svc] = static.SingleLocalHost(addr)
	}
	return hosts
}

// serverConfig is the server configuration of a single-node server on SQLite.
func serverConfig(cfg DevServerConfig, sqlCfg *config.SQL, frontend string) *config.Config {
	services := make(map[string]config.Service, len(devServices))
	for i, svc := range devServices {
		ip := internalIP
		if svc == primitives.FrontendService {
			ip = cfg.Host
		}
		services[string(svc)] = config.Service{RPC: config.RPC{GRPCPort: cfg.Port + i, BindOnIP: ip}}
	}
	return &config.Config{
		Persistence: persistenceConfig(sqlCfg),
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        devClusterName,
			CurrentClusterName:       devClusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				devClusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		PublicClient: config.PublicClient{HostPort: frontend},
	}
}
