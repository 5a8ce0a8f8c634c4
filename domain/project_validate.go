package domain

import (
	"strconv"
	"strings"
	"unicode"
)

// ProjectInput is the body of POST /api/v1/projects. Nil lists are empty lists: an empty
// allow-list allows nothing (see Project).
type ProjectInput struct {
	Name        string           `json:"name"`
	Description string           `json:"description,omitempty"`
	Members     []ProjectMember  `json:"members"`
	Quotas      Quotas           `json:"quotas"`
	VCenters    []string         `json:"vcenters"`
	IPPools     []string         `json:"ip_pools"`
	Placements  []PlacementScope `json:"placements"`
}

// Validate normalizes the input (nil lists become empty, a member without a kind is a
// person) and returns a *ValidationError naming every bad field.
func (in *ProjectInput) Validate() error {
	var v ValidationError
	checkName(&v, "name", in.Name)
	if p := TextProblem(in.Description); p != "" {
		v.Add("description", "%s", p)
	} else if len(in.Description) > MaxDescription {
		v.Add("description", "must be at most %d bytes", MaxDescription)
	}
	if in.Members == nil {
		in.Members = []ProjectMember{}
	}
	if in.VCenters == nil {
		in.VCenters = []string{}
	}
	if in.IPPools == nil {
		in.IPPools = []string{}
	}
	if in.Placements == nil {
		in.Placements = []PlacementScope{}
	}
	seen := map[ProjectMember]bool{}
	for i := range in.Members {
		m := &in.Members[i]
		if m.Kind == "" {
			m.Kind = MemberPerson
		}
		m.validate(&v, "members["+strconv.Itoa(i)+"]")
		key := ProjectMember{Kind: m.Kind, Subject: m.Subject}
		if seen[key] && m.Subject != "" {
			v.Add("members["+strconv.Itoa(i)+"].subject", "%s %q is listed twice", m.Kind, m.Subject)
		}
		seen[key] = true
	}
	in.Quotas.validate(&v)
	checkAllowList(&v, "vcenters", "vCenter", in.VCenters)
	checkAllowList(&v, "ip_pools", "IP pool", in.IPPools)
	places := map[PlacementScope]bool{}
	for i, p := range in.Placements {
		field := "placements[" + strconv.Itoa(i) + "]"
		p.validate(&v, field)
		if places[p] {
			v.Add(field, "%s is listed twice", p)
		}
		places[p] = true
	}
	return v.Err()
}

// validate checks one member; field is its path, e.g. "members[2]".
func (m ProjectMember) validate(v *ValidationError, field string) {
	switch m.Kind {
	case MemberPerson:
		checkSubject(v, field+".subject", m.Subject)
	case MemberToken:
		checkName(v, field+".subject", m.Subject) // token names are resource names
	default:
		v.Add(field+".kind", "must be person or token")
	}
	if _, err := ParseRole(string(m.Role)); err != nil {
		v.Add(field+".role", "must be admin, operator or viewer")
	}
}

// checkSubject checks a person's subject: what the identity provider calls them, which
// the service compares byte for byte and therefore takes as it is written.
func checkSubject(v *ValidationError, field, s string) {
	switch {
	case s == "":
		v.Add(field, "is required")
	case TextProblem(s) != "":
		v.Add(field, "%s", TextProblem(s))
	case len(s) > MaxSubject:
		v.Add(field, "must be at most %d bytes", MaxSubject)
	case strings.TrimSpace(s) != s:
		v.Add(field, "must not begin or end with white space")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		v.Add(field, "must not contain control characters")
	}
}

func (q Quotas) validate(v *ValidationError) {
	for _, f := range []struct {
		field string
		value *int64
	}{{"quotas.clusters", q.Clusters}, {"quotas.vcpus", q.VCPUs}, {"quotas.memory_mib", q.MemoryMiB},
		{"quotas.disk_gib", q.DiskGiB}, {"quotas.nodes", q.Nodes}} {
		if f.value != nil && *f.value < 0 {
			v.Add(f.field, "must be 0 or more, or left out for no limit")
		}
	}
}

// checkAllowList checks a list of resource names, or "*" alone.
func checkAllowList(v *ValidationError, field, what string, names []string) {
	seen := map[string]bool{}
	for i, n := range names {
		f := field + "[" + strconv.Itoa(i) + "]"
		switch {
		case n == AllowAll && len(names) > 1:
			v.Add(f, "%q allows every %s and must be the only entry", AllowAll, what)
		case n == AllowAll:
		case seen[n]:
			v.Add(f, "%q is listed twice", n)
		default:
			checkName(v, f, n)
		}
		seen[n] = true
	}
}

// validate checks one placement scope; field is its path, e.g. "placements[0]".
func (p PlacementScope) validate(v *ValidationError, field string) {
	if p.VCenter != AllowAll {
		checkName(v, field+".vcenter", p.VCenter)
	}
	for _, f := range []struct{ field, value string }{
		{field + ".datacenter", p.Datacenter}, {field + ".compute_cluster", p.ComputeCluster},
	} {
		switch {
		case f.value == "":
			v.Add(f.field, "is required (%q for any)", AllowAll)
		case TextProblem(f.value) != "":
			v.Add(f.field, "%s", TextProblem(f.value))
		case len(f.value) > 255:
			v.Add(f.field, "must be at most 255 bytes")
		}
	}
}

// Validate normalizes a member given on its own (a member without a kind is a person)
// and returns a *ValidationError naming the bad fields: kind, subject, role.
func (m *ProjectMember) Validate() error {
	var v ValidationError
	if m.Kind == "" {
		m.Kind = MemberPerson
	}
	m.validate(&v, "")
	for i := range v.Fields {
		v.Fields[i].Field = strings.TrimPrefix(v.Fields[i].Field, ".")
	}
	return v.Err()
}
