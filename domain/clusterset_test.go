package domain

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func goodSetSpec() ClusterSetSpec {
	s := ClusterSetSpec{Name: "lab", Leader: "east", Members: []string{"west", "north"},
		Gateways: map[string]NodeList{"east": {"east-md-default-0", "east-md-default-1"}, "west": {"west-cp-0"}}}
	s.Defaults()
	return s
}

func TestClusterSetSpecDefaults(t *testing.T) {
	s := ClusterSetSpec{Name: "lab", Leader: "east"}
	s.Defaults()
	if s.GatewayIPPrecedence != GatewayIPPrivate || s.EndpointIPType != EndpointIPTypeCluster || s.Members == nil {
		t.Fatalf("defaults = %+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("a set of the leader alone: %v", err)
	}
	g := goodSetSpec()
	if err := g.Validate(); err != nil {
		t.Fatalf("good spec: %v", err)
	}
	if got := g.Clusters(); !slices.Equal(got, []string{"east", "west", "north"}) {
		t.Fatalf("clusters = %v", got)
	}
	g.Members = []string{"west", "east", "north"} // listing the leader is allowed
	if err := g.Validate(); err != nil {
		t.Fatalf("leader listed among members: %v", err)
	}
	if got := g.Clusters(); !slices.Equal(got, []string{"east", "west", "north"}) {
		t.Fatalf("clusters with the leader listed = %v", got)
	}
}

func TestClusterSetSpecRules(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*ClusterSetSpec)
		want   []string
	}{
		"names": {func(s *ClusterSetSpec) { s.Name, s.Leader, s.Members[1] = "Lab", "", "no_rth" },
			[]string{"gateways.east", "leader", "members[1]", "name"}},
		"member listed twice": {func(s *ClusterSetSpec) { s.Members = append(s.Members, "west") }, []string{"members[2]"}},
		"leader listed twice": {func(s *ClusterSetSpec) { s.Members = append(s.Members, "east", "east") }, []string{"members[3]"}},
		"gateways of a cluster not in the set": {func(s *ClusterSetSpec) { s.Gateways["south"] = NodeList{"south-cp-0"} },
			[]string{"gateways.south"}},
		"empty, bad and repeated gateway nodes": {func(s *ClusterSetSpec) {
			s.Gateways["north"] = NodeList{}
			s.Gateways["west"] = NodeList{"Bad Node", "a", "a"}
		}, []string{"gateways.north", "gateways.west", "gateways.west"}},
		"enums": {func(s *ClusterSetSpec) { s.GatewayIPPrecedence, s.EndpointIPType = "elastic", "NodeIP" },
			[]string{"endpoint_ip_type", "gateway_ip_precedence"}},
	} {
		t.Run(name, func(t *testing.T) {
			s := goodSetSpec()
			c.mutate(&s)
			v, ok := AsValidation(s.Validate())
			if !ok {
				t.Fatalf("no validation error, want %v", c.want)
			}
			var got []string
			for _, f := range v.Fields {
				got = append(got, f.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Fatalf("fields %v, want %v (%v)", got, c.want, v)
			}
		})
	}
}

func TestClusterSetJoinValidate(t *testing.T) {
	j := ClusterSetJoin{Cluster: "south"}
	if err := j.Validate(); err != nil {
		t.Fatalf("join without gateways: %v", err)
	}
	j = ClusterSetJoin{Cluster: "South", Gateways: NodeList{}}
	if got := fields(j.Validate()); !slices.Equal(got, []string{"cluster", "gateways"}) {
		t.Fatalf("bad join: fields %v", got)
	}
}

func TestNodeListDecodesAStringOrAnArray(t *testing.T) {
	var req struct {
		Gateways map[string]NodeList `json:"gateways"`
		Join     NodeList            `json:"join"`
	}
	err := json.Unmarshal([]byte(`{"gateways": {"east": "east-cp-0", "west": ["west-md-0", "west-md-1"]}, "join": "a"}`), &req)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(req.Gateways["east"], NodeList{"east-cp-0"}) || !slices.Equal(req.Gateways["west"], NodeList{"west-md-0", "west-md-1"}) ||
		!slices.Equal(req.Join, NodeList{"a"}) {
		t.Fatalf("decoded %+v", req)
	}
	for _, bad := range []string{`{"join": 5}`, `{"join": [1]}`, `{"join": {"a": "b"}}`, `{"gateways": {"east": true}}`} {
		var te *json.UnmarshalTypeError
		if err := json.Unmarshal([]byte(bad), &req); !errors.As(err, &te) {
			t.Errorf("%s: err %v, want a type error", bad, err)
		}
	}
	// It is always encoded as an array.
	b, _ := json.Marshal(NodeList{"a"})
	if string(b) != `["a"]` {
		t.Fatalf("encoded %s", b)
	}
}

func TestDashPrefixPair(t *testing.T) {
	for pair, want := range map[[2]string]bool{
		{"east", "east-1"}: true, {"east-1", "east"}: true, {"east", "east-west-2"}: true,
		{"east", "east1"}: false, {"east", "east"}: false, {"east-1", "east-2"}: false, {"a-b", "a"}: true, {"ab", "a-b"}: false,
	} {
		if got := DashPrefixPair(pair[0], pair[1]); got != want {
			t.Errorf("DashPrefixPair(%q, %q) = %v, want %v", pair[0], pair[1], got, want)
		}
	}
}

func TestCIDRsOverlap(t *testing.T) {
	for pair, want := range map[[2]string]bool{
		{"10.10.0.0/16", "10.10.128.0/17"}: true, {"10.10.0.0/16", "10.11.0.0/16"}: false,
		{"10.96.0.0/12", "10.100.0.0/16"}: true, {"10.0.0.0/8", "nope"}: false, {"", ""}: false,
	} {
		if got := CIDRsOverlap(pair[0], pair[1]); got != want {
			t.Errorf("CIDRsOverlap(%q, %q) = %v, want %v", pair[0], pair[1], got, want)
		}
	}
}

// setFacts are Ready Antrea clusters east, west and north with disjoint ranges.
func setFacts() map[string]*SetClusterFacts {
	f := func(name, pod, svc string) *SetClusterFacts {
		return &SetClusterFacts{Phase: PhaseReady, Antrea: true, PodCIDR: pod, ServiceCIDR: svc,
			Nodes: []string{name + "-cp-0", name + "-md-default-0", name + "-md-default-1"}}
	}
	return map[string]*SetClusterFacts{
		"east":  f("east", "10.10.0.0/16", "10.96.0.0/16"),
		"west":  f("west", "10.20.0.0/16", "10.97.0.0/16"),
		"north": f("north", "10.30.0.0/16", "10.98.0.0/16"),
	}
}

func TestCheckClusterSet(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*ClusterSetSpec, map[string]*SetClusterFacts)
		want   []string // fields, sorted
		says   string   // part of the first message
	}{
		"good": {func(*ClusterSetSpec, map[string]*SetClusterFacts) {}, nil, ""},
		"unknown clusters": {func(s *ClusterSetSpec, f map[string]*SetClusterFacts) { delete(f, "east"); delete(f, "north") },
			[]string{"leader", "members[1]"}, `cluster "east" does not exist`},
		"not ready": {func(_ *ClusterSetSpec, f map[string]*SetClusterFacts) { f["west"].Phase = PhaseProvisioning },
			[]string{"members[0]"}, "is Provisioning; it must be Ready"},
		"no antrea": {func(_ *ClusterSetSpec, f map[string]*SetClusterFacts) { f["east"].Antrea = false },
			[]string{"leader"}, "does not run Antrea"},
		"in another set": {func(_ *ClusterSetSpec, f map[string]*SetClusterFacts) { f["north"].ClusterSet = "other" },
			[]string{"members[1]"}, `already in clusterset "other"`},
		"pod CIDRs overlap": {func(_ *ClusterSetSpec, f map[string]*SetClusterFacts) { f["north"].PodCIDR = "10.20.128.0/17" },
			[]string{"members[1]"}, `pod CIDR 10.20.128.0/17 of cluster "north" overlaps pod CIDR 10.20.0.0/16 of cluster "west" (members[0])`},
		"service CIDRs overlap the leader's": {func(_ *ClusterSetSpec, f map[string]*SetClusterFacts) { f["west"].ServiceCIDR = "10.96.0.0/15" },
			[]string{"members[0]"}, `service CIDR 10.96.0.0/15 of cluster "west" overlaps service CIDR 10.96.0.0/16 of cluster "east" (leader)`},
		"every cluster on the default ranges": {func(_ *ClusterSetSpec, f map[string]*SetClusterFacts) {
			for _, c := range f {
				c.PodCIDR, c.ServiceCIDR = DefaultPodCIDR, DefaultServiceCIDR
			}
			// Each pair is reported, on the later cluster's field: west with east, north with both.
		}, []string{"members[0]", "members[0]", "members[1]", "members[1]", "members[1]", "members[1]"}, "pod CIDR"},
		"dash-prefix pair": {func(s *ClusterSetSpec, f map[string]*SetClusterFacts) {
			s.Members[1] = "east-1"
			f["east-1"] = f["north"]
		}, []string{"members[1]"}, `"east-1" and "east" form a dash-prefix pair`},
		"gateway nodes of another cluster": {func(s *ClusterSetSpec, _ map[string]*SetClusterFacts) {
			s.Gateways["west"] = NodeList{"west-cp-0", "east-cp-0", "ghost"}
		}, []string{"gateways.west", "gateways.west"}, `node "east-cp-0" is not a node of cluster "west"`},
		"gateways of an unknown cluster are reported once": {func(s *ClusterSetSpec, f map[string]*SetClusterFacts) { delete(f, "west") },
			[]string{"members[0]"}, "does not exist"},
		"the leader listed again is one cluster": {func(s *ClusterSetSpec, _ map[string]*SetClusterFacts) {
			s.Members = append(s.Members, "east")
		}, nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			spec, facts := goodSetSpec(), setFacts()
			c.mutate(&spec, facts)
			verr := CheckClusterSet(spec, facts)
			var got []string
			if verr != nil {
				for _, f := range verr.Fields {
					got = append(got, f.Field)
				}
				slices.Sort(got)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("fields %v, want %v (%v)", got, c.want, verr)
			}
			if c.says != "" && !strings.Contains(verr.Fields[0].Message, c.says) {
				t.Errorf("%q does not say %q", verr.Fields[0].Message, c.says)
			}
		})
	}
}

func TestCheckJoin(t *testing.T) {
	set := ClusterSet{Name: "lab", Leader: "east", Members: []ClusterSetMember{{Cluster: "east", Leader: true}, {Cluster: "west"}}}
	for name, c := range map[string]struct {
		join   ClusterSetJoin
		mutate func(map[string]*SetClusterFacts)
		want   []string
		says   string
	}{
		"good":    {ClusterSetJoin{Cluster: "north", Gateways: NodeList{"north-cp-0"}}, func(map[string]*SetClusterFacts) {}, nil, ""},
		"unknown": {ClusterSetJoin{Cluster: "south"}, func(map[string]*SetClusterFacts) {}, []string{"cluster"}, "does not exist"},
		"already a member": {ClusterSetJoin{Cluster: "west"}, func(f map[string]*SetClusterFacts) { f["west"].ClusterSet = "lab" },
			[]string{"cluster"}, `already in clusterset "lab"`},
		"overlaps a member, unready members do not matter": {ClusterSetJoin{Cluster: "north"}, func(f map[string]*SetClusterFacts) {
			f["north"].PodCIDR, f["west"].Phase = "10.20.0.0/24", PhaseFailed
		}, []string{"cluster"}, `overlaps pod CIDR 10.20.0.0/16 of cluster "west" (a member)`},
		"dash-prefix pair with the leader": {ClusterSetJoin{Cluster: "east-2"}, func(f map[string]*SetClusterFacts) { f["east-2"] = f["north"] },
			[]string{"cluster"}, "dash-prefix pair"},
		"a gateway that is not its node": {ClusterSetJoin{Cluster: "north", Gateways: NodeList{"west-cp-0"}}, func(map[string]*SetClusterFacts) {},
			[]string{"gateways"}, `node "west-cp-0" is not a node of cluster "north"`},
	} {
		t.Run(name, func(t *testing.T) {
			facts := setFacts()
			c.mutate(facts)
			verr := CheckJoin(set, c.join, facts)
			var got []string
			if verr != nil {
				for _, f := range verr.Fields {
					got = append(got, f.Field)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("fields %v, want %v (%v)", got, c.want, verr)
			}
			if c.says != "" && !strings.Contains(verr.Fields[0].Message, c.says) {
				t.Errorf("%q does not say %q", verr.Fields[0].Message, c.says)
			}
		})
	}
}

func TestClusterInSetError(t *testing.T) {
	var err error = &ClusterInSetError{Cluster: "west", ClusterSet: "lab"}
	if !errors.Is(err, ErrConflict) || err.Error() != "cluster west is already in clusterset lab" {
		t.Fatalf("err = %v", err)
	}
}
