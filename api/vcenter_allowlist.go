package api

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/clusterwright/clusterwright/domain"
)

// resolver looks vCenter server names up for the allow-list.
var resolver = net.DefaultResolver

// allowListLookupTimeout bounds the name lookup of a vCenter server checked against the
// allow-list's networks.
const allowListLookupTimeout = 5 * time.Second

// vcenterServerAllowed checks a vCenter registration's server against the allow-list
// (the vcenter-allowed-hosts setting) before anything connects to it, so the service
// cannot be used to probe addresses it should not reach; it answers 422 naming
// "server" and returns false when the server is not allowed. A name is allowed by the
// list's names and globs; an IP literal by its networks; a name that no name or glob
// allows, by its networks when every address it resolves to lies in them.
func (a *API) vcenterServerAllowed(w http.ResponseWriter, r *http.Request, server string) bool {
	if a.vcenterHosts.Empty() {
		return true
	}
	host, err := domain.ServerHost(server)
	if err != nil {
		a.invalid(w, r, domain.FieldError{Field: "server", Message: err.Error()})
		return false
	}
	if a.vcenterHosts.AllowsName(host) || a.resolvesIntoAllowedNetworks(r.Context(), host) {
		return true
	}
	msg := "this server is not in the service's allowed vCenter hosts (vcenter-allowed-hosts)"
	a.writeProblem(w, r, Problem{Type: problemBase + "vcenter-not-allowed", Title: "vCenter not allowed",
		Status: http.StatusUnprocessableEntity, Detail: msg, Errors: []domain.FieldError{{Field: "server", Message: msg}}})
	return false
}

// resolvesIntoAllowedNetworks reports whether host is a name whose every address lies in
// the allow-list's networks. Only the resolver is asked; nothing connects to host.
func (a *API) resolvesIntoAllowedNetworks(ctx context.Context, host string) bool {
	if !a.vcenterHosts.HasNetworks() {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return false // an IP literal was checked as it is
	}
	ctx, cancel := context.WithTimeout(ctx, allowListLookupTimeout)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, addr := range addrs {
		if !a.vcenterHosts.AllowsAddr(addr) {
			return false
		}
	}
	return true
}
