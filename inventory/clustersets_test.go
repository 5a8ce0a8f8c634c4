package inventory_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// setClusters records Ready clusters that run Antrea on vCenter vc1, each with a control
// plane and two workers and its own pod and service CIDRs, and returns their ids by name:
// east, west, north, east-1, plus "bare" (no Antrea) and "young" (Provisioning).
func setClusters(t *testing.T, s *inventory.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	vin := domain.VCenterInput{Name: "vc1", Server: "vc", Username: "u", Password: "p"}
	_ = vin.Validate()
	if _, err := s.CreateVCenter(ctx, vin); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for i, name := range []string{"east", "west", "north", "east-1", "bare", "young"} {
		octet := string(rune('1' + i))
		spec := domain.ClusterSpec{Name: name, VCenter: "vc1",
			Network: domain.NetworkSpec{IPPool: "lab", PodCIDR: "10.1" + octet + ".0.0/16", ServiceCIDR: "10.9" + octet + ".0.0/16"}}
		c, err := s.CreateCluster(ctx, spec, "alice")
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = c.ID
		for _, n := range []inventory.NodeRecord{
			{ClusterID: c.ID, Name: name + "-cp-0", Role: domain.RoleNameControlPlane, Ready: true},
			{ClusterID: c.ID, Name: name + "-md-default-0", Role: domain.RoleNameWorker, Pool: "default", Ready: true},
			{ClusterID: c.ID, Name: name + "-md-default-1", Role: domain.RoleNameWorker, Pool: "default", Ready: true},
		} {
			if err := s.UpsertNode(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		if name != "bare" {
			if err := s.UpsertAddon(ctx, c.ID, domain.Addon{Name: "antrea", ChartVersion: "2.7.0", Status: "deployed"}, "antrea", ""); err != nil {
				t.Fatal(err)
			}
		}
		phase := domain.PhaseReady
		if name == "young" {
			phase = domain.PhaseProvisioning
		}
		if err := s.SetClusterPhase(ctx, c.ID, phase, ""); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func setSpec(leader string, members ...string) domain.ClusterSetSpec {
	s := domain.ClusterSetSpec{Name: "lab", Leader: leader, Members: members}
	s.Defaults()
	return s
}

func TestPreflightClusterSetAgainstTheInventory(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	ids := setClusters(t, s)
	// north is in a set already.
	if _, err := s.CreateClusterSet(ctx, domain.ClusterSetSpec{Name: "other", Leader: "north", Members: []string{}}, "bob"); err != nil {
		t.Fatal(err)
	}
	// west's pod CIDR is changed to overlap east's.
	if _, err := s.Pool().Exec(ctx, `UPDATE clusters SET spec = jsonb_set(spec, '{network,pod_cidr}', '"10.11.128.0/17"') WHERE id = $1`, ids["west"]); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s)
	for _, c := range []struct {
		name   string
		spec   domain.ClusterSetSpec
		fields []string // in order; nil: passes
		says   string
	}{
		{"a good set", setSpec("west", "east-1"), nil, ""},
		{"unknown clusters", setSpec("nope", "east", "ghost"), []string{"leader", "members[1]"}, `cluster "nope" does not exist`},
		{"not Ready and no Antrea", setSpec("east", "young", "bare"), []string{"members[0]", "members[1]"}, `cluster "young" is Provisioning`},
		{"in another set", setSpec("east", "north"), []string{"members[0]"}, `cluster "north" is already in clusterset "other"`},
		{"overlapping pod CIDRs", setSpec("east", "west"), []string{"members[0]"}, `pod CIDR 10.11.128.0/17 of cluster "west" overlaps pod CIDR 10.11.0.0/16 of cluster "east" (leader)`},
		{"dash-prefix pair", setSpec("east-1", "east"), []string{"members[0]"}, "dash-prefix pair"},
		{"gateways that are not the cluster's nodes", func() domain.ClusterSetSpec {
			sp := setSpec("east")
			sp.Gateways = map[string]domain.NodeList{"east": {"east-md-default-1", "east-cp-0", "west-cp-0"}}
			return sp
		}(), []string{"gateways.east"}, `node "west-cp-0" is not a node of cluster "east" (its nodes: east-cp-0, east-md-default-0, east-md-default-1)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.spec.Validate(); err != nil {
				t.Fatalf("test spec does not pass Validate: %v", err)
			}
			err := s.PreflightClusterSet(ctx, c.spec)
			if c.fields == nil {
				if err != nil {
					t.Fatalf("want pass, got %v", err)
				}
				return
			}
			v, ok := domain.AsValidation(err)
			if !ok {
				t.Fatalf("error %v is not a ValidationError", err)
			}
			var got []string
			for _, f := range v.Fields {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, c.fields) {
				t.Fatalf("fields %v, want %v: %v", got, c.fields, err)
			}
			if !strings.Contains(v.Fields[0].Message, c.says) {
				t.Errorf("%q does not say %q", v.Fields[0].Message, c.says)
			}
		})
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("preflight changed the database:\nbefore %s\nafter  %s", before, after)
	}

	// A join is checked against the set's members.
	other, err := s.GetClusterSet(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PreflightJoin(ctx, other, domain.ClusterSetJoin{Cluster: "east", Gateways: domain.NodeList{"east-cp-0"}}); err != nil {
		t.Fatalf("join east: %v", err)
	}
	err = s.PreflightJoin(ctx, other, domain.ClusterSetJoin{Cluster: "north"})
	if v, ok := domain.AsValidation(err); !ok || v.Fields[0].Field != "cluster" || !strings.Contains(v.Fields[0].Message, `already in clusterset "other"`) {
		t.Fatalf("join north again: %v", err)
	}
}

func TestClusterSetRecords(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	ids := setClusters(t, s)
	spec := setSpec("east", "west", "east")
	spec.Gateways = map[string]domain.NodeList{"west": {"west-cp-0"}}

	set, err := s.CreateClusterSet(ctx, spec, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if set.Name != "lab" || set.Leader != "east" || set.Phase != domain.ClusterSetPending || set.CreatedBy != "alice" ||
		set.Operation != nil || !slices.Equal(set.Spec.Gateways["west"], domain.NodeList{"west-cp-0"}) {
		t.Fatalf("created %+v", set)
	}
	if len(set.Members) != 2 || set.Members[0].Cluster != "east" || !set.Members[0].Leader || set.Members[0].ClusterID != ids["east"] ||
		set.Members[1].Cluster != "west" || set.Members[1].Leader || set.Members[1].State != domain.MemberJoining ||
		set.Members[1].Gateway.Candidates == nil || set.Members[1].Imports == nil {
		t.Fatalf("members %+v", set.Members)
	}
	// The clusters show the set they are in.
	c, err := s.GetCluster(ctx, "east")
	if err != nil || c.ClusterSet == nil || *c.ClusterSet != (domain.ClusterSetRef{Name: "lab", Leader: true}) {
		t.Fatalf("east's clusterset = %+v, %v", c.ClusterSet, err)
	}
	clusters, _, err := s.ListClusters(ctx, inventory.ClusterFilter{}, inventory.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clusters {
		want := map[string]*domain.ClusterSetRef{"east": {Name: "lab", Leader: true}, "west": {Name: "lab"}}[c.Name]
		if (want == nil) != (c.ClusterSet == nil) || (want != nil && *want != *c.ClusterSet) {
			t.Errorf("listed %s in clusterset %+v, want %+v", c.Name, c.ClusterSet, want)
		}
	}
	if ref, err := s.ClusterSetOf(ctx, ids["west"]); err != nil || ref == nil || *ref != (domain.ClusterSetRef{Name: "lab"}) {
		t.Fatalf("ClusterSetOf(west) = %+v, %v", ref, err)
	}
	if ref, err := s.ClusterSetOf(ctx, ids["north"]); err != nil || ref != nil {
		t.Fatalf("ClusterSetOf(north) = %+v, %v", ref, err)
	}

	// A taken name, a cluster in a set already and an unknown cluster write nothing.
	before := snapshot(t, s)
	if _, err := s.CreateClusterSet(ctx, setSpec("north"), "bob"); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("taken name: %v", err)
	}
	second := setSpec("north", "west")
	second.Name = "second"
	_, err = s.CreateClusterSet(ctx, second, "bob")
	var inSet *domain.ClusterInSetError
	if !errors.As(err, &inSet) || inSet.Cluster != "west" || inSet.ClusterSet != "lab" || !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("a cluster in a set already: %v", err)
	}
	second.Members = []string{"ghost"}
	if _, err := s.CreateClusterSet(ctx, second, "bob"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown cluster: %v", err)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("failed creates changed the database:\nbefore %s\nafter  %s", before, after)
	}

	// Phase, member state and status.
	if err := s.SetClusterSetPhase(ctx, set.ID, domain.ClusterSetForming, "joining members"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetClusterSetMemberState(ctx, set.ID, ids["west"], domain.MemberJoined, ""); err != nil {
		t.Fatal(err)
	}
	status := domain.ClusterSetMemberStatus{Ready: true, Message: "ClusterSet ready",
		Gateway: domain.MemberGateway{Active: "west-md-default-0", Candidates: []string{"west-md-default-0", "west-md-default-1"}},
		Imports: []string{"east"}}
	if err := s.RecordClusterSetMemberStatus(ctx, set.ID, ids["west"], status); err != nil {
		t.Fatal(err)
	}
	if err := s.SetClusterSetMemberState(ctx, set.ID, ids["north"], domain.MemberJoined, ""); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("state of a cluster that is not a member: %v", err)
	}
	if err := s.SetClusterSetPhase(ctx, "00000000-0000-0000-0000-000000000000", domain.ClusterSetReady, ""); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("phase of an unknown set: %v", err)
	}
	op, err := s.CreateOperation(ctx, domain.Operation{Kind: domain.OpFormClusterSet, Target: domain.Target{Kind: "clusterset", ID: set.ID, Name: "lab"},
		Actor: "alice", WorkflowID: "clusterset/" + set.ID})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetClusterSet(ctx, "lab")
	if err != nil {
		t.Fatal(err)
	}
	west, _ := got.Member("west")
	if got.Phase != domain.ClusterSetForming || got.PhaseReason != "joining members" || got.Operation == nil || got.Operation.ID != op.ID ||
		west.State != domain.MemberJoined || !west.Ready || west.Gateway.Active != "west-md-default-0" ||
		!slices.Equal(west.Gateway.Candidates, status.Gateway.Candidates) || !slices.Equal(west.Imports, []string{"east"}) {
		t.Fatalf("after updates: %+v", got)
	}

	// A join adds the member and its gateways to the spec; repeating it changes nothing; a
	// cluster in another set cannot join; a leave removes both.
	if err := s.AddClusterSetMember(ctx, set.ID, ids["north"], []string{"north-cp-0"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddClusterSetMember(ctx, set.ID, ids["north"], []string{"north-cp-0"}); err != nil {
		t.Fatalf("join again: %v", err)
	}
	got, _ = s.GetClusterSet(ctx, "lab")
	if north, ok := got.Member("north"); !ok || north.State != domain.MemberJoining || !slices.Equal(got.Spec.Members, []string{"west", "east", "north"}) ||
		!slices.Equal(got.Spec.Gateways["north"], domain.NodeList{"north-cp-0"}) {
		t.Fatalf("after the join: %+v", got)
	}
	other, err := s.CreateClusterSet(ctx, domain.ClusterSetSpec{Name: "other", Leader: "east-1", Members: []string{}}, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddClusterSetMember(ctx, other.ID, ids["north"], nil); !errors.As(err, &inSet) || inSet.ClusterSet != "lab" {
		t.Fatalf("join a second set: %v", err)
	}
	if err := s.RemoveClusterSetMember(ctx, set.ID, ids["north"]); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveClusterSetMember(ctx, set.ID, ids["north"]); err != nil {
		t.Fatalf("leave again: %v", err)
	}
	if err := s.RemoveClusterSetMember(ctx, set.ID, ids["east"]); err != nil {
		t.Fatal(err) // the leader stays
	}
	got, _ = s.GetClusterSet(ctx, "lab")
	if len(got.Members) != 2 || !slices.Equal(got.Spec.Members, []string{"west", "east"}) || got.Spec.Gateways["north"] != nil {
		t.Fatalf("after the leave: %+v", got)
	}

	sets, next, err := s.ListClusterSets(ctx, inventory.Page{Limit: 1})
	if err != nil || len(sets) != 1 || sets[0].Name != "lab" || next == "" || len(sets[0].Members) != 2 {
		t.Fatalf("first page = %+v, %q, %v", sets, next, err)
	}
	sets, next, err = s.ListClusterSets(ctx, inventory.Page{Limit: 1, Cursor: next})
	if err != nil || len(sets) != 1 || sets[0].Name != "other" || next != "" {
		t.Fatalf("second page = %+v, %q, %v", sets, next, err)
	}

	// Disbanding frees the clusters and the name.
	if err := s.FinishOperation(ctx, op.ID, domain.OpSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteClusterSet(ctx, set.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteClusterSet(ctx, set.ID); err != nil {
		t.Fatalf("disband again: %v", err)
	}
	if _, err := s.GetClusterSet(ctx, "lab"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("disbanded set: %v", err)
	}
	if old, err := s.GetClusterSetByID(ctx, set.ID); err != nil || old.Name != "lab" || len(old.Members) != 0 {
		t.Fatalf("disbanded set by id = %+v, %v", old, err)
	}
	if c, _ := s.GetCluster(ctx, "east"); c.ClusterSet != nil {
		t.Fatalf("east is still in %+v", c.ClusterSet)
	}
	again, err := s.CreateClusterSet(ctx, spec, "alice")
	if err != nil {
		t.Fatalf("the name and the clusters of a disbanded set cannot be reused: %v", err)
	}
	if err := s.DeleteClusterSetRecord(ctx, again.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetClusterSetByID(ctx, again.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("removed record: %v", err)
	}
	if n := countMembers(t, s, again.ID); n != 0 {
		t.Fatalf("%d members of a removed record", n)
	}
}

func countMembers(t *testing.T, s *inventory.Store, setID string) int {
	t.Helper()
	var n int
	if err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM clusterset_members WHERE clusterset_id = $1`, setID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
