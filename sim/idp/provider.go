package idp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Provider is a running OpenID Provider on a loopback address.
type Provider struct {
	issuer string
	srv    *http.Server
	log    *slog.Logger
	done   chan struct{}
}

// Start listens on opts.Addr (a random loopback port by default) and serves
// the provider until Close. The issuer is http://<address>, which is what
// relying parties must be configured with: go-oidc checks that discovery
// reports exactly the issuer it was given.
func Start(opts Options) (*Provider, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("oidc provider options: %w", err)
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "sim/idp")
	if err := checkLoopback(opts.Addr); err != nil {
		return nil, err
	}
	key, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("oidc provider listen on %s: %w", opts.Addr, err)
	}
	p := &Provider{issuer: "http://" + ln.Addr().String(), log: log, done: make(chan struct{})}
	handler, err := p.handler(newStorage(opts, key, loginPath, log))
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	p.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		defer close(p.done)
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("oidc provider stopped", "error", err)
		}
	}()
	log.Info("oidc provider started", "issuer", p.issuer, "users", len(opts.Users), "clients", len(opts.Clients))
	return p, nil
}

// handler assembles the op package's endpoints with the login form.
func (p *Provider) handler(st *storage) (http.Handler, error) {
	config := &op.Config{
		CodeMethodS256:           true,
		DefaultLogoutRedirectURI: loggedOutPath,
		SupportedScopes:          []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, scopeGroups},
		SupportedClaims:          slices.Concat(op.DefaultSupportedClaims, []string{ClaimGroups}),
	}
	if _, err := rand.Read(config.CryptoKey[:]); err != nil {
		return nil, fmt.Errorf("oidc provider token key: %w", err)
	}
	provider, err := op.NewProvider(config, st, op.StaticIssuer(p.issuer), op.WithAllowInsecure())
	if err != nil {
		return nil, fmt.Errorf("oidc provider: %w", err)
	}
	issuer := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	mux := http.NewServeMux()
	mux.Handle(loginPath, issuer.Handler(&loginHandler{storage: st, callback: op.AuthCallbackURL(provider), log: p.log}))
	mux.HandleFunc(loggedOutPath, loggedOut)
	mux.Handle("/", provider)
	return mux, nil
}

// checkLoopback refuses to listen anywhere but on a loopback address: the
// provider speaks plain HTTP and its users' passwords are in the options.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("oidc provider address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("oidc provider address %q is not a loopback address", addr)
	}
	return nil
}

// Issuer is the issuer URL (http://127.0.0.1:port), the base of every endpoint.
func (p *Provider) Issuer() string { return p.issuer }

// Close stops the provider and waits for its server to end.
func (p *Provider) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, p.srv.Close())
	}
	<-p.done
	if err != nil {
		return fmt.Errorf("stop oidc provider: %w", err)
	}
	return nil
}
