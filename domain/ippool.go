package domain

import (
	"net/netip"
	"strconv"
	"time"
)

// IPPoolInput is the body of POST /api/v1/ippools: a static range of node addresses.
type IPPoolInput struct {
	Name       string   `json:"name"`
	CIDR       string   `json:"cidr"`
	RangeStart string   `json:"range_start"`
	RangeEnd   string   `json:"range_end"`
	Gateway    string   `json:"gateway"`
	DNS        []string `json:"dns"`
}

// IPPool is a pool as stored and returned, with its leases and counts.
type IPPool struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	CIDR       string    `json:"cidr"`
	RangeStart string    `json:"range_start"`
	RangeEnd   string    `json:"range_end"`
	Gateway    string    `json:"gateway,omitempty"`
	DNS        []string  `json:"dns"`
	Size       int64     `json:"size"`
	Free       int64     `json:"free"`
	Leases     []IPLease `json:"leases,omitempty"` // only when one pool is read
	CreatedAt  time.Time `json:"created_at"`
}

// IPLease is one address of a pool held by an owner (a node).
type IPLease struct {
	Address   string    `json:"address"`
	Owner     string    `json:"owner"`
	ClusterID string    `json:"cluster_id,omitempty"`
	LeasedAt  time.Time `json:"leased_at"`
}

// Validate checks the pool: an IPv4 or IPv6 CIDR, a range inside it that excludes the
// network address, a gateway inside the CIDR and outside the range, valid DNS servers.
func (in *IPPoolInput) Validate() error {
	var v ValidationError
	checkName(&v, "name", in.Name)
	prefix, err := netip.ParsePrefix(in.CIDR)
	if err != nil {
		v.Add("cidr", "must be a CIDR such as 10.0.0.0/24")
	} else if prefix.Masked() != prefix {
		v.Add("cidr", "has host bits set; did you mean %s?", prefix.Masked())
	}
	okCIDR := err == nil && prefix.Masked() == prefix
	start, errS := netip.ParseAddr(in.RangeStart)
	end, errE := netip.ParseAddr(in.RangeEnd)
	if errS != nil {
		v.Add("range_start", "must be an IP address")
	} else if okCIDR && (!prefix.Contains(start) || start == prefix.Addr()) {
		v.Add("range_start", "must be a host address inside cidr %s", in.CIDR)
	}
	if errE != nil {
		v.Add("range_end", "must be an IP address")
	} else if okCIDR && !prefix.Contains(end) {
		v.Add("range_end", "must be inside cidr %s", in.CIDR)
	}
	if errS == nil && errE == nil && end.Less(start) {
		v.Add("range_end", "must not be below range_start")
	}
	if in.Gateway != "" {
		gw, err := netip.ParseAddr(in.Gateway)
		switch {
		case err != nil:
			v.Add("gateway", "must be an IP address")
		case okCIDR && !prefix.Contains(gw):
			v.Add("gateway", "must be inside cidr %s", in.CIDR)
		case errS == nil && errE == nil && !gw.Less(start) && !end.Less(gw):
			v.Add("gateway", "must not be inside the range it would be leased from")
		}
	}
	for i, d := range in.DNS {
		if _, err := netip.ParseAddr(d); err != nil {
			v.Add("dns["+strconv.Itoa(i)+"]", "must be an IP address")
		}
	}
	if in.DNS == nil {
		in.DNS = []string{}
	}
	return v.Err()
}
