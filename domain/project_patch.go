package domain

import (
	"bytes"
	"encoding/json"
	"slices"
)

// ProjectPatch is the body of PATCH /api/v1/projects/{name}. A field left out (or null)
// keeps the project's value; a list given replaces the project's list (an empty list
// allows nothing, or removes every member). Quotas change one by one: see QuotasPatch.
// A project's name cannot change.
type ProjectPatch struct {
	Description *string           `json:"description,omitempty"`
	Members     *[]ProjectMember  `json:"members,omitempty"`
	Quotas      *QuotasPatch      `json:"quotas,omitempty"`
	VCenters    *[]string         `json:"vcenters,omitempty"`
	IPPools     *[]string         `json:"ip_pools,omitempty"`
	Placements  *[]PlacementScope `json:"placements,omitempty"`
}

// QuotasPatch changes quotas as a JSON merge patch (RFC 7386) would: a number sets the
// quota, null removes it (no limit), and a quota left out keeps its value.
type QuotasPatch struct {
	Clusters  QuotaChange `json:"clusters,omitzero"`
	VCPUs     QuotaChange `json:"vcpus,omitzero"`
	MemoryMiB QuotaChange `json:"memory_mib,omitzero"`
	DiskGiB   QuotaChange `json:"disk_gib,omitzero"`
	Nodes     QuotaChange `json:"nodes,omitzero"`
}

// QuotaChange is one quota of a QuotasPatch: Set when the patch names it, with Value
// nil for no limit.
type QuotaChange struct {
	Set   bool
	Value *int64
}

// UnmarshalJSON records that the quota was named, as a number or as null.
func (c *QuotaChange) UnmarshalJSON(b []byte) error {
	c.Set, c.Value = true, nil
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	c.Value = &n
	return nil
}

// MarshalJSON writes the value, or null for no limit; a change that is not Set is left
// out of its QuotasPatch (omitzero).
func (c QuotaChange) MarshalJSON() ([]byte, error) { return json.Marshal(c.Value) }

func (c QuotaChange) apply(cur *int64) *int64 {
	if c.Set {
		return c.Value
	}
	return cur
}

// Empty reports whether the patch changes nothing.
func (p ProjectPatch) Empty() bool {
	return p.Description == nil && p.Members == nil && p.Quotas == nil && p.VCenters == nil && p.IPPools == nil &&
		p.Placements == nil
}

// Apply returns the project that the patch makes of cur, validated (see
// ProjectInput.Validate). A patch that names no field, or a bad one, is a
// *ValidationError naming each bad field.
func (p ProjectPatch) Apply(cur Project) (ProjectInput, error) {
	if p.Empty() {
		var v ValidationError
		v.Add("body", "names no field to change (description, members, quotas, vcenters, ip_pools, placements)")
		return ProjectInput{}, v.Err()
	}
	out := ProjectInput{Name: cur.Name, Description: cur.Description, Members: slices.Clone(cur.Members), Quotas: cur.Quotas,
		VCenters: slices.Clone(cur.VCenters), IPPools: slices.Clone(cur.IPPools), Placements: slices.Clone(cur.Placements)}
	if p.Description != nil {
		out.Description = *p.Description
	}
	if p.Members != nil {
		out.Members = *p.Members
	}
	if q := p.Quotas; q != nil {
		out.Quotas = Quotas{Clusters: q.Clusters.apply(cur.Quotas.Clusters), VCPUs: q.VCPUs.apply(cur.Quotas.VCPUs),
			MemoryMiB: q.MemoryMiB.apply(cur.Quotas.MemoryMiB), DiskGiB: q.DiskGiB.apply(cur.Quotas.DiskGiB),
			Nodes: q.Nodes.apply(cur.Quotas.Nodes)}
	}
	if p.VCenters != nil {
		out.VCenters = *p.VCenters
	}
	if p.IPPools != nil {
		out.IPPools = *p.IPPools
	}
	if p.Placements != nil {
		out.Placements = *p.Placements
	}
	err := out.Validate()
	return out, err
}
