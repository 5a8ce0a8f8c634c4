package domain

import (
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"strings"
)

// HostAllowList is the optional list of vCenter servers that may be registered: host
// names (vc1.corp.example), host globs (*.corp.example: any name under corp.example, at
// any depth) and networks (10.20.0.0/16, or one address). Names match as names, case
// insensitively; an IP literal matches the networks only. The zero value allows every
// host.
type HostAllowList struct {
	names    []string // lower case, exact
	globs    []string // lower case, path.Match patterns such as *.corp.example
	prefixes []netip.Prefix
}

// ParseHostAllowList parses a comma-separated list; an empty list allows every host.
func ParseHostAllowList(s string) (HostAllowList, error) {
	var l HostAllowList
	for _, e := range strings.Split(s, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
		case strings.Contains(e, "/"):
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return HostAllowList{}, fmt.Errorf("vcenter-allowed-hosts: %q is not a CIDR", e)
			}
			l.prefixes = append(l.prefixes, p.Masked())
		case isIPLiteral(e):
			a, _ := netip.ParseAddr(strings.Trim(e, "[]"))
			l.prefixes = append(l.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		case strings.ContainsAny(e, "*?["):
			if _, err := path.Match(e, ""); err != nil || strings.ContainsAny(e, ":/ ") {
				return HostAllowList{}, fmt.Errorf("vcenter-allowed-hosts: %q is not a host glob", e)
			}
			l.globs = append(l.globs, e)
		default:
			if strings.ContainsAny(e, ":/ ") {
				return HostAllowList{}, fmt.Errorf("vcenter-allowed-hosts: %q is not a host name (give no port or scheme)", e)
			}
			l.names = append(l.names, strings.TrimSuffix(e, "."))
		}
	}
	return l, nil
}

func isIPLiteral(s string) bool {
	_, err := netip.ParseAddr(strings.Trim(s, "[]"))
	return err == nil
}

// Empty reports whether the list allows every host.
func (l HostAllowList) Empty() bool {
	return len(l.names) == 0 && len(l.globs) == 0 && len(l.prefixes) == 0
}

// HasNetworks reports whether the list has networks, which names' addresses may match.
func (l HostAllowList) HasNetworks() bool { return len(l.prefixes) > 0 }

// AllowsName reports whether host, a name or an IP literal, is allowed as it is
// written: a name by the names and globs, an IP literal by the networks.
func (l HostAllowList) AllowsName(host string) bool {
	if l.Empty() {
		return true
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		return l.AllowsAddr(a)
	}
	for _, n := range l.names {
		if host == n {
			return true
		}
	}
	for _, g := range l.globs {
		// A glob's * stops at dots in path.Match; "*.corp.example" should also allow
		// a.b.corp.example, so match the glob's suffix after its leading "*." too.
		if ok, _ := path.Match(g, host); ok {
			return true
		}
		if rest, ok := strings.CutPrefix(g, "*."); ok && !strings.ContainsAny(rest, "*?[") && strings.HasSuffix(host, "."+rest) {
			return true
		}
	}
	return false
}

// AllowsAddr reports whether a lies in one of the networks.
func (l HostAllowList) AllowsAddr(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range l.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ServerHost is the host of a vCenter server as registrations give it (host,
// host:port or https URL); see NormalizeServer.
func ServerHost(server string) (string, error) {
	s, err := NormalizeServer(server)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", serverError("must be a host, host:port or https URL")
	}
	return u.Hostname(), nil
}
