package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// TestProjectsCommands drives `cwctl projects` against the real API: create with every
// flag, list and get (table and JSON), update (quotas one by one, a list cleared,
// members replaced), input the API refuses (exit 2, a line per field), flags cwctl
// refuses itself, the default project undeletable, and delete.
func TestProjectsCommands(t *testing.T) {
	env := apptest.Start(t)
	ctx := context.Background()
	if _, err := env.App.Store.CreateVCenter(ctx, domain.VCenterInput{Name: "vc1", Server: "vc.example.com", Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Store.CreateIPPool(ctx, domain.IPPoolInput{Name: "lab", CIDR: "127.71.0.0/24", RangeStart: "127.71.0.10",
		RangeEnd: "127.71.0.250"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envURL, env.URL)
	t.Setenv(envToken, env.AdminToken)

	r := ok(t, "projects", "create", "team-a", "--description", "Team A", "--member", "alice@example.com=admin",
		"--token-member", "ci=operator", "--quota", "clusters=2,vcpus=32", "--quota", "memory_mib=65536",
		"--vcenter", "vc1", "--ip-pool", "*", "--placement", "vc1/DC0/*")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`^project team-a created\n`),
		regexp.MustCompile(`(?m)^vcenters:\s+vc1$`),
		regexp.MustCompile(`(?m)^placements:\s+vc1/DC0/\*$`),
		regexp.MustCompile(`(?m)^clusters\s+0\s+2$`),
		regexp.MustCompile(`(?m)^memory_mib\s+0\s+65536$`),
		regexp.MustCompile(`(?m)^nodes\s+0\s+none$`),
		regexp.MustCompile(`(?m)^alice@example.com\s+person\s+admin$`),
		regexp.MustCompile(`(?m)^ci\s+token\s+operator$`),
	} {
		if !want.MatchString(r.stdout) {
			t.Errorf("create: no match for %s:\n%s", want, r.stdout)
		}
	}

	r = ok(t, "projects", "list")
	if !regexp.MustCompile(`(?m)^default\s+0\s+-\s+\*\s+\*\s+Clusters and ClusterSets`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^team-a\s+2\s+clusters=2,vcpus=32,memory_mib=65536\s+vc1\s+\*\s+Team A$`).MatchString(r.stdout) {
		t.Errorf("projects list:\n%s", r.stdout)
	}
	var got projectReply
	decode(t, ok(t, "projects", "get", "team-a", "-o", "json"), &got)
	if got.Name != "team-a" || got.Usage.Project != "team-a" || got.Quotas.VCPUs == nil || *got.Quotas.VCPUs != 32 || len(got.Members) != 2 {
		t.Errorf("get -o json: %+v", got)
	}

	r = ok(t, "projects", "update", "team-a", "--quota", "clusters=none,nodes=9", "--clear", "ip_pools", "--member", "bob=viewer")
	if !strings.HasPrefix(r.stdout, "project team-a updated\n") || !regexp.MustCompile(`(?m)^ip pools:\s+\(none\)$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^clusters\s+0\s+none$`).MatchString(r.stdout) || !regexp.MustCompile(`(?m)^vcpus\s+0\s+32$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^nodes\s+0\s+9$`).MatchString(r.stdout) || !regexp.MustCompile(`(?m)^bob\s+person\s+viewer$`).MatchString(r.stdout) ||
		strings.Contains(r.stdout, "alice") {
		t.Errorf("update:\n%s", r.stdout)
	}
	decode(t, ok(t, "projects", "get", "team-a", "-o", "json"), &got)
	if !slices.Equal(got.IPPools, []string{}) || !slices.Equal(got.VCenters, []string{"vc1"}) || got.Description != "Team A" {
		t.Errorf("after update: %+v", got)
	}

	// Refused by the API: exit 2, one line per field.
	r = cwctl(t, "projects", "create", "Bad_Name", "--quota", "vcpus=-1", "--vcenter", "nowhere", "--member", "x=root")
	if r.code != 2 || !regexp.MustCompile(`(?m)^  name: `).MatchString(r.stderr) || !regexp.MustCompile(`(?m)^  quotas.vcpus: `).MatchString(r.stderr) ||
		!regexp.MustCompile(`(?m)^  members\[0\].role: `).MatchString(r.stderr) {
		t.Errorf("bad create: exit %d\n%s", r.code, r.stderr)
	}
	r = cwctl(t, "projects", "update", "team-a", "--ip-pool", "nowhere")
	if r.code != 2 || !regexp.MustCompile(`(?m)^  ip_pools\[0\]: no IP pool named "nowhere"`).MatchString(r.stderr) {
		t.Errorf("update naming an unknown pool: exit %d\n%s", r.code, r.stderr)
	}
	// Refused by cwctl itself.
	for _, args := range [][]string{
		{"projects", "update", "team-a"},
		{"projects", "update", "team-a", "--quota", "gpus=1"},
		{"projects", "update", "team-a", "--quota", "vcpus=many"},
		{"projects", "update", "team-a", "--clear", "quotas"},
		{"projects", "create", "team-b", "--member", "alice"},
		{"projects", "create", "team-b", "--placement", "vc1/DC0"},
		{"projects", "create"},
	} {
		if r := cwctl(t, args...); r.code != 2 || !strings.HasPrefix(r.stderr, "error: ") {
			t.Errorf("cwctl %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}

	if r = cwctl(t, "projects", "delete", "default"); r.code != 2 || !strings.Contains(r.stderr, "cannot be deleted") {
		t.Errorf("delete default: exit %d\n%s", r.code, r.stderr)
	}
	if r = ok(t, "projects", "delete", "team-a"); r.stdout != "project team-a deleted\n" {
		t.Errorf("delete:\n%s", r.stdout)
	}
	if r = cwctl(t, "projects", "get", "team-a"); r.code != 2 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("get after delete: exit %d\n%s", r.code, r.stderr)
	}
	if r = ok(t, "projects", "list"); strings.Contains(r.stdout, "team-a") {
		t.Errorf("list after delete:\n%s", r.stdout)
	}
}
