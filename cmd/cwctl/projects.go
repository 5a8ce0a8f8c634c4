package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

// projectReply is what the API answers for one project: the project and its usage.
type projectReply struct {
	domain.Project
	Usage domain.ProjectUsage `json:"usage"`
}

// quotaNames are the quotas of --quota, in the order they are shown.
var quotaNames = []string{"clusters", "vcpus", "memory_mib", "disk_gib", "nodes"}

func projectsCommand(s *session) *cobra.Command {
	names := s.completeNames(client.Path("projects"))
	return group("projects", "projects: members, quotas and the vCenters, IP pools and placements their clusters may use",
		s.printing(&cobra.Command{Use: "list", Short: "list projects", Args: noArgs, RunE: s.run(listProjects)}),
		s.printing(&cobra.Command{Use: "get NAME", Short: "show one project, its members and its usage against its quotas",
			Args: exactArgs(1), ValidArgsFunction: names, RunE: s.run(getProject)}),
		createProjectCommand(s),
		updateProjectCommand(s, names),
		&cobra.Command{Use: "delete NAME", Short: "delete a project that holds no clusters or ClusterSets",
			Args: exactArgs(1), ValidArgsFunction: names, RunE: s.run(deleteProject)},
	)
}

func listProjects(ctx context.Context, s *session, _ []string) error {
	projects, raw, err := listAll[domain.Project](ctx, s, client.Path("projects"), nil)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	t := newTable(s.stdout, "NAME", "MEMBERS", "QUOTAS", "VCENTERS", "IP POOLS", "DESCRIPTION")
	for _, p := range projects {
		t.row(p.Name, strconv.Itoa(len(p.Members)), quotaSummary(p.Quotas), listOrNone(p.VCenters), listOrNone(p.IPPools), p.Description)
	}
	t.flush()
	return nil
}

func getProject(ctx context.Context, s *session, args []string) error {
	var p projectReply
	raw, err := getJSON(ctx, s, client.Path("projects", args[0]), nil, &p)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	printProject(s, p)
	return nil
}

func deleteProject(ctx context.Context, s *session, args []string) error {
	if _, err := s.api.Do(ctx, "DELETE", client.Path("projects", args[0]), nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "project %s deleted\n", args[0])
	return nil
}

// printProject shows a project, its quotas against its usage, and its members.
func printProject(s *session, p projectReply) {
	places := make([]string, len(p.Placements))
	for i, pl := range p.Placements {
		places[i] = pl.String()
	}
	fields(s.stdout, "name", p.Name, "description", p.Description, "vcenters", listOrNone(p.VCenters),
		"ip pools", listOrNone(p.IPPools), "placements", listOrNone(places), "clustersets", strconv.FormatInt(p.Usage.ClusterSets, 10),
		"created", createdText(p), "updated", timestamp(p.UpdatedAt))
	fmt.Fprintln(s.stdout)
	t := newTable(s.stdout, "QUOTA", "USED", "LIMIT")
	used := []int64{p.Usage.Clusters, p.Usage.VCPUs, p.Usage.MemoryMiB, p.Usage.DiskGiB, p.Usage.Nodes}
	for i, limit := range quotaValues(p.Quotas) {
		t.row(quotaNames[i], strconv.FormatInt(used[i], 10), limitText(limit))
	}
	t.flush()
	if len(p.Members) == 0 {
		return
	}
	fmt.Fprintln(s.stdout)
	t = newTable(s.stdout, "MEMBER", "KIND", "ROLE")
	for _, m := range p.Members {
		t.row(m.Subject, m.Kind, string(m.Role))
	}
	t.flush()
}

// createdText is when the project was created, and by whom when known.
func createdText(p projectReply) string {
	if p.CreatedBy == "" {
		return timestamp(p.CreatedAt)
	}
	return timestamp(p.CreatedAt) + " by " + p.CreatedBy
}

// quotaValues are the quotas in the order of quotaNames.
func quotaValues(q domain.Quotas) []*int64 {
	return []*int64{q.Clusters, q.VCPUs, q.MemoryMiB, q.DiskGiB, q.Nodes}
}

// quotaSummary is the quotas that are set, as name=N joined by commas; "" for none
// (a table shows "-").
func quotaSummary(q domain.Quotas) string {
	var set []string
	for i, v := range quotaValues(q) {
		if v != nil {
			set = append(set, quotaNames[i]+"="+strconv.FormatInt(*v, 10))
		}
	}
	return strings.Join(set, ",")
}

func limitText(v *int64) string {
	if v == nil {
		return "none"
	}
	return strconv.FormatInt(*v, 10)
}

// listOrNone shows an allow-list: its entries, or "(none)" when it allows nothing.
func listOrNone(list []string) string {
	if len(list) == 0 {
		return "(none)"
	}
	return strings.Join(list, ", ")
}

// projectFlags are the flags that create and update share.
type projectFlags struct {
	description  string
	members      []string // SUBJECT=ROLE, people
	tokenMembers []string // NAME=ROLE, API tokens
	quotas       []string // NAME=N or NAME=none
	vcenters     []string
	ipPools      []string
	placements   []string // VCENTER/DATACENTER/COMPUTE_CLUSTER
}

func (f *projectFlags) bind(s *session, cmd *cobra.Command, update bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.description, "description", "", "a `TEXT` saying what the project is for")
	replaces := func(what string) string {
		if update {
			return "; replaces the project's " + what
		}
		return ""
	}
	fl.StringArrayVar(&f.members, "member", nil, "a person and their role in the project, `SUBJECT=ROLE` with ROLE admin, operator or viewer (repeat for more"+replaces("members")+")")
	fl.StringArrayVar(&f.tokenMembers, "token-member", nil, "an API token and its role in the project, `NAME=ROLE` (repeat for more"+replaces("members")+")")
	fl.StringSliceVar(&f.quotas, "quota", nil, "a quota, `NAME=N` with NAME one of "+strings.Join(quotaNames, ", ")+
		"; N none is no limit (comma-separated or repeated)")
	fl.StringArrayVar(&f.vcenters, "vcenter", nil, "a vCenter the project's clusters may use, `NAME` or * for all (repeat for more"+replaces("vCenters")+")")
	fl.StringArrayVar(&f.ipPools, "ip-pool", nil, "an IP pool the project's nodes may take addresses from, `NAME` or * for all (repeat for more"+replaces("IP pools")+")")
	fl.StringArrayVar(&f.placements, "placement", nil, "a compute cluster the project's VMs may go to, `VCENTER/DATACENTER/COMPUTE_CLUSTER`, each part a name or * (repeat for more"+replaces("placements")+")")
	cmd.RegisterFlagCompletionFunc("vcenter", s.completeFlagNames(client.Path("vcenters")))
	cmd.RegisterFlagCompletionFunc("ip-pool", s.completeFlagNames(client.Path("ippools")))
}

// memberList parses --member and --token-member into members.
func (f *projectFlags) memberList() ([]domain.ProjectMember, error) {
	out := []domain.ProjectMember{}
	for _, set := range []struct {
		flag, kind string
		values     []string
	}{{"member", domain.MemberPerson, f.members}, {"token-member", domain.MemberToken, f.tokenMembers}} {
		for _, v := range set.values {
			i := strings.LastIndex(v, "=")
			if i <= 0 {
				return nil, usageErrorf("--%s: want SUBJECT=ROLE, not %q", set.flag, v)
			}
			out = append(out, domain.ProjectMember{Subject: v[:i], Kind: set.kind, Role: domain.Role(v[i+1:])})
		}
	}
	return out, nil
}

// quotaChanges parses --quota: each quota named, with nil for "none".
func (f *projectFlags) quotaChanges() (map[string]*int64, error) {
	out := map[string]*int64{}
	for _, v := range f.quotas {
		name, value, ok := strings.Cut(v, "=")
		if !ok || !slices.Contains(quotaNames, name) {
			return nil, usageErrorf("--quota: want NAME=N with NAME one of %s, not %q", orList(quotaNames), v)
		}
		if value == "none" {
			out[name] = nil
			continue
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return nil, usageErrorf("--quota %s: want a number or none, not %q", name, value)
		}
		out[name] = &n
	}
	return out, nil
}

// placementList parses --placement.
func (f *projectFlags) placementList() ([]domain.PlacementScope, error) {
	out := []domain.PlacementScope{}
	for _, v := range f.placements {
		parts := strings.SplitN(v, "/", 3)
		if len(parts) != 3 {
			return nil, usageErrorf("--placement: want VCENTER/DATACENTER/COMPUTE_CLUSTER, not %q", v)
		}
		out = append(out, domain.PlacementScope{VCenter: parts[0], Datacenter: parts[1], ComputeCluster: parts[2]})
	}
	return out, nil
}

func createProjectCommand(s *session) *cobra.Command {
	var f projectFlags
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "create a project; what it may use is listed explicitly (nothing when left out, * for everything)",
		Example: `  cwctl projects create team-a --description "Team A" \
    --member alice@example.com=admin --token-member ci=operator \
    --quota clusters=5,vcpus=64,memory_mib=262144 \
    --vcenter vc1 --ip-pool lab --placement 'vc1/DC0/*'`,
		Args: exactArgs(1),
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			in := domain.ProjectInput{Name: args[0], Description: f.description, VCenters: f.vcenters, IPPools: f.ipPools}
			var err error
			if in.Members, err = f.memberList(); err != nil {
				return err
			}
			if in.Placements, err = f.placementList(); err != nil {
				return err
			}
			quotas, err := f.quotaChanges()
			if err != nil {
				return err
			}
			q := &in.Quotas
			limits := map[string]**int64{"clusters": &q.Clusters, "vcpus": &q.VCPUs, "memory_mib": &q.MemoryMiB,
				"disk_gib": &q.DiskGiB, "nodes": &q.Nodes}
			for name, v := range quotas {
				*limits[name] = v
			}
			return sendProject(ctx, s, "POST", client.Path("projects"), in, "created")
		}),
	}
	f.bind(s, cmd, false)
	return s.printing(cmd)
}

func updateProjectCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	var f projectFlags
	var clear []string
	var cmd *cobra.Command
	cmd = &cobra.Command{
		Use:   "update NAME",
		Short: "change a project: each flag given replaces the project's value; quotas change one by one",
		Example: `  cwctl projects update team-a --quota vcpus=128,clusters=none
  cwctl projects update team-a --member alice@example.com=admin --member bob@example.com=viewer
  cwctl projects update team-a --clear ip_pools`,
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			var patch domain.ProjectPatch
			flags := cmd.Flags()
			if flags.Changed("description") {
				patch.Description = &f.description
			}
			for _, c := range clear {
				if !slices.Contains([]string{"members", "vcenters", "ip_pools", "placements"}, c) {
					return usageErrorf("--clear: want members, vcenters, ip_pools or placements, not %q", c)
				}
			}
			if len(f.members) > 0 || len(f.tokenMembers) > 0 || slices.Contains(clear, "members") {
				members, err := f.memberList()
				if err != nil {
					return err
				}
				patch.Members = &members
			}
			if len(f.vcenters) > 0 || slices.Contains(clear, "vcenters") {
				vcs := append([]string{}, f.vcenters...)
				patch.VCenters = &vcs
			}
			if len(f.ipPools) > 0 || slices.Contains(clear, "ip_pools") {
				pools := append([]string{}, f.ipPools...)
				patch.IPPools = &pools
			}
			if len(f.placements) > 0 || slices.Contains(clear, "placements") {
				places, err := f.placementList()
				if err != nil {
					return err
				}
				patch.Placements = &places
			}
			quotas, err := f.quotaChanges()
			if err != nil {
				return err
			}
			if len(quotas) > 0 {
				q := &domain.QuotasPatch{}
				changes := map[string]*domain.QuotaChange{"clusters": &q.Clusters, "vcpus": &q.VCPUs, "memory_mib": &q.MemoryMiB,
					"disk_gib": &q.DiskGiB, "nodes": &q.Nodes}
				for name, v := range quotas {
					*changes[name] = domain.QuotaChange{Set: true, Value: v}
				}
				patch.Quotas = q
			}
			if patch.Empty() {
				return usageErrorf("nothing to change: give --description, --member, --token-member, --quota, --vcenter, --ip-pool, --placement or --clear")
			}
			return sendProject(ctx, s, "PATCH", client.Path("projects", args[0]), patch, "updated")
		}),
	}
	f.bind(s, cmd, true)
	cmd.Flags().StringSliceVar(&clear, "clear", nil, "empty these `LISTS`: members, vcenters, ip_pools, placements (comma-separated)")
	return s.printing(cmd)
}

// sendProject sends a project's create or change and shows the project it replies with.
func sendProject(ctx context.Context, s *session, method, path string, body any, done string) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	resp, err := s.api.Do(ctx, method, path, nil, b)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(resp.Body)
	}
	var p projectReply
	if err := json.Unmarshal(resp.Body, &p); err != nil {
		return fmt.Errorf("%s %s: unexpected reply: %w", method, path, err)
	}
	fmt.Fprintf(s.stdout, "project %s %s\n", p.Name, done)
	printProject(s, p)
	return nil
}
