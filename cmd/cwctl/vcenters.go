package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func vcentersCommand(s *session) *cobra.Command {
	names := s.completeNames(client.Path("vcenters"))
	return group("vcenters", "vCenters: register, sync, inventory",
		s.printing(&cobra.Command{Use: "list", Short: "list registered vCenters", Args: noArgs, RunE: s.run(listVCenters)}),
		s.printing(&cobra.Command{Use: "get NAME", Short: "show one vCenter", Args: exactArgs(1),
			ValidArgsFunction: names, RunE: s.run(getVCenter)}),
		createVCenterCommand(s),
		syncVCenterCommand(s, names),
		updateVCenterCommand(s, names),
		s.printing(&cobra.Command{Use: "inventory NAME", Short: "datacenters, clusters, datastores, networks, templates of a vCenter",
			Args: exactArgs(1), ValidArgsFunction: names, RunE: s.run(vcenterInventory)}),
	)
}

func listVCenters(ctx context.Context, s *session, _ []string) error {
	vcs, raw, err := listAll[domain.VCenter](ctx, s, client.Path("vcenters"), nil)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	t := newTable(s.stdout, "NAME", "SERVER", "USERNAME", "INSECURE", "SYNCED", "SYNC ERROR")
	for _, v := range vcs {
		t.row(v.Name, v.Server, v.Username, yesNo(v.Insecure), timestampOf(v.SyncedAt), v.SyncError)
	}
	t.flush()
	return nil
}

func getVCenter(ctx context.Context, s *session, args []string) error {
	var v domain.VCenter
	raw, err := getJSON(ctx, s, client.Path("vcenters", args[0]), nil, &v)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	cluster := "none"
	switch {
	case v.ClusterCredentials != nil:
		cluster = v.ClusterCredentials.Username
	case v.ShareServiceAccountWithClusters:
		cluster = "the service account (shared)"
	}
	fields(s.stdout, "name", v.Name, "id", v.ID, "server", v.Server, "username", v.Username, "cluster account", cluster,
		"insecure", yesNo(v.Insecure), "thumbprint", v.Thumbprint, "created", timestamp(v.CreatedAt), "synced", timestampOf(v.SyncedAt),
		"sync error", v.SyncError)
	for _, w := range v.Warnings {
		fmt.Fprintf(s.stdout, "warning: %s\n", w)
	}
	return nil
}

// vcenterCreated is the reply to POST /vcenters: the vCenter and its first sync.
type vcenterCreated struct {
	VCenter   domain.VCenter  `json:"vcenter"`
	Operation json.RawMessage `json:"operation"`
}

func createVCenterCommand(s *session) *cobra.Command {
	var file string
	var wait bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "register a vCenter from a YAML or JSON file (name, server, username, password, insecure, thumbprint, cluster_credentials)",
		Example: `  # vc1.yaml
  name: vc1
  server: vcenter.example.com
  username: administrator@vsphere.local
  password: s3cret
  thumbprint: "AB:CD:..."   # or insecure: true, for a lab
  cluster_credentials:      # the least-privileged account clusters' CPI/CSI get
    username: k8s-csi@vsphere.local
    password: s3cret-too
  # or, without one: share_service_account_with_clusters: true (shown as a warning)

  cwctl vcenters create -f vc1.yaml --wait`,
		Args: noArgs,
		RunE: s.run(func(ctx context.Context, s *session, _ []string) error {
			body, err := readInput(file)
			if err != nil {
				return err
			}
			resp, err := s.api.Do(ctx, "POST", client.Path("vcenters"), nil, body)
			if err != nil {
				return err
			}
			var reply vcenterCreated
			if err := json.Unmarshal(resp.Body, &reply); err != nil || reply.Operation == nil {
				return fmt.Errorf("POST /api/v1/vcenters: unexpected reply: %s", resp.Body)
			}
			if !s.structured() {
				fmt.Fprintf(s.stdout, "vcenter %s registered (%s)\n", reply.VCenter.Name, reply.VCenter.Server)
			}
			return started(ctx, s, resp.Body, reply.Operation, wait, nil)
		}),
	}
	fileFlag(cmd, &file, "the vCenter")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the first inventory sync until it ends")
	return s.printing(cmd)
}

func syncVCenterCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	var wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:               "sync NAME",
		Short:             "refresh a vCenter's inventory",
		Example:           "  cwctl vcenters sync vc1 --wait",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			settings, err := decide.values()
			if err != nil {
				return err
			}
			path := client.Path("vcenters", args[0], "sync")
			if q := queryOf(settings); len(q) > 0 {
				path += "?" + q.Encode()
			}
			return startOperation(ctx, s, "POST", path, nil, wait, nil)
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the sync until it ends")
	decide.bind(cmd)
	return s.printing(cmd)
}

// queryOf makes query parameters of settings.
func queryOf(settings map[string]string) url.Values {
	q := url.Values{}
	for k, v := range settings {
		q.Set(k, v)
	}
	return q
}

func vcenterInventory(ctx context.Context, s *session, args []string) error {
	var inv domain.Inventory
	raw, err := getJSON(ctx, s, client.Path("vcenters", args[0], "inventory"), nil, &inv)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	fmt.Fprintf(s.stdout, "vcenter %s, synced %s\n\n", inv.VCenter, orDash(timestampOf(inv.SyncedAt)))
	t := newTable(s.stdout, "KIND", "NAME", "PATH", "DETAILS")
	for _, group := range [][]domain.InventoryObject{inv.Datacenters, inv.ComputeClusters, inv.Hosts, inv.ResourcePools,
		inv.Folders, inv.Datastores, inv.Networks, inv.Templates} {
		for _, o := range group {
			t.row(o.Kind, o.Name, o.Path, inventoryDetails(o))
		}
	}
	t.flush()
	return nil
}

// inventoryDetails summarizes the kind-specific attributes of an inventory object.
func inventoryDetails(o domain.InventoryObject) string {
	switch {
	case o.Datastore != nil:
		return fmt.Sprintf("%s free of %s, %s", gib(o.Datastore.FreeBytes), gib(o.Datastore.CapacityBytes), o.Datastore.Type)
	case o.Template != nil:
		tp := o.Template
		return fmt.Sprintf("vmx-%d, %d CPU, %d MiB, %d GiB disk, %s", tp.HardwareVersion, tp.CPUs, tp.MemoryMiB, tp.DiskGiB, tp.GuestID)
	case o.Compute != nil:
		return plural(o.Compute.Hosts, "host") + ", " + gib(o.Compute.MemoryBytes) + " memory"
	case o.Network != nil:
		return o.Network.Type
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "never"
	}
	return s
}
