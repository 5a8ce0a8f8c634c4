package node

import (
	"fmt"
	"net/netip"
	"sync"
)

// podIPs hands out Pod addresses from the node's pod CIDR, as a CNI
// plugin's host-local IPAM would: the network and the gateway (.1) are
// skipped, and an address stays with its Pod until the Pod is gone.
type podIPs struct {
	mu    sync.Mutex
	byKey map[string]netip.Addr
	inUse map[netip.Addr]string
}

func newPodIPs() *podIPs {
	return &podIPs{byKey: map[string]netip.Addr{}, inUse: map[netip.Addr]string{}}
}

// assign returns the address of the Pod key in cidr: the one it has, the
// one its status reports (after a kubelet restart), or the next free one.
func (p *podIPs) assign(key, cidr, current string) (netip.Addr, error) {
	if cidr == "" {
		return netip.Addr{}, errNoPodCIDR
	}
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("pod CIDR: %w", err)
	}
	prefix = prefix.Masked()
	p.mu.Lock()
	defer p.mu.Unlock()
	if ip, ok := p.byKey[key]; ok && prefix.Contains(ip) {
		return ip, nil
	}
	if ip, err := netip.ParseAddr(current); err == nil && prefix.Contains(ip) {
		if owner, used := p.inUse[ip]; !used || owner == key {
			p.take(key, ip)
			return ip, nil
		}
	}
	gateway := prefix.Addr().Next()
	for ip := gateway.Next(); prefix.Contains(ip); ip = ip.Next() {
		if _, used := p.inUse[ip]; used || !prefix.Contains(ip.Next()) { // leave the broadcast address
			continue
		}
		p.take(key, ip)
		return ip, nil
	}
	return netip.Addr{}, fmt.Errorf("pod CIDR %s is full", prefix)
}

// take records ip as key's, releasing what key had before.
func (p *podIPs) take(key string, ip netip.Addr) {
	if old, ok := p.byKey[key]; ok {
		delete(p.inUse, old)
	}
	p.byKey[key] = ip
	p.inUse[ip] = key
}

// release frees the address of the Pod key.
func (p *podIPs) release(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ip, ok := p.byKey[key]; ok {
		delete(p.inUse, ip)
		delete(p.byKey, key)
	}
}
