package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func listVCenters(ctx context.Context, s *session, _ []string) error {
	vcs, raw, err := listAll[domain.VCenter](ctx, s, client.Path("vcenters"), nil)
	if err != nil {
		return err
	}
	if s.output == outputJSON {
		return printJSON(s.stdout, raw)
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
	if s.output == outputJSON {
		return printJSON(s.stdout, raw)
	}
	fields(s.stdout, "name", v.Name, "id", v.ID, "server", v.Server, "username", v.Username, "insecure", yesNo(v.Insecure),
		"thumbprint", v.Thumbprint, "created", timestamp(v.CreatedAt), "synced", timestampOf(v.SyncedAt), "sync error", v.SyncError)
	return nil
}

// vcenterCreated is the reply to POST /vcenters: the vCenter and its first sync.
type vcenterCreated struct {
	VCenter   domain.VCenter  `json:"vcenter"`
	Operation json.RawMessage `json:"operation"`
}

func createVCenterSetup(fs *flag.FlagSet) runFunc {
	file := fs.String("f", "", "the vCenter as a JSON `FILE` (- for standard input)")
	wait := fs.Bool("wait", false, "follow the first inventory sync until it ends")
	return func(ctx context.Context, s *session, _ []string) error {
		body, err := readInput(*file)
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
		if s.output != outputJSON {
			fmt.Fprintf(s.stdout, "vcenter %s registered (%s)\n", reply.VCenter.Name, reply.VCenter.Server)
		}
		return started(ctx, s, resp.Body, reply.Operation, *wait)
	}
}

func syncVCenterSetup(fs *flag.FlagSet) runFunc {
	wait := fs.Bool("wait", false, "follow the sync until it ends")
	return func(ctx context.Context, s *session, args []string) error {
		return startOperation(ctx, s, "POST", client.Path("vcenters", args[0], "sync"), nil, *wait)
	}
}

func vcenterInventory(ctx context.Context, s *session, args []string) error {
	var inv domain.Inventory
	raw, err := getJSON(ctx, s, client.Path("vcenters", args[0], "inventory"), nil, &inv)
	if err != nil {
		return err
	}
	if s.output == outputJSON {
		return printJSON(s.stdout, raw)
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
