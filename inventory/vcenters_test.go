package inventory_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

func TestVCenterPasswordSealedAndInventoryReplaced(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	in := domain.VCenterInput{Name: "vc1", Server: "vc.example.com", Username: "administrator@vsphere.local", Password: "pa55-CANARY-word"}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	v, err := s.CreateVCenter(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if v.Server != "https://vc.example.com/sdk" {
		t.Fatalf("server = %q", v.Server)
	}
	var raw []byte
	if err := s.Pool().QueryRow(ctx, `SELECT password_sealed FROM vcenters WHERE id = $1`, v.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(in.Password)) {
		t.Fatal("password stored in clear")
	}
	creds, err := s.VCenterCredentials(ctx, v.ID)
	if err != nil || creds.Password != in.Password || creds.Username != in.Username {
		t.Fatalf("credentials = %v", err)
	}
	if _, err := s.CreateVCenter(ctx, in); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("duplicate = %v", err)
	}

	objs := []domain.InventoryObject{
		{Kind: domain.KindDatacenter, Moref: "datacenter-1", Name: "DC0", Path: "/DC0"},
		{Kind: domain.KindDatastore, Moref: "datastore-1", Name: "ds", Path: "/DC0/datastore/ds", Datacenter: "DC0",
			Datastore: &domain.DatastoreInfo{CapacityBytes: 100, FreeBytes: 40}},
	}
	if err := s.ReplaceInventory(ctx, v.ID, objs); err != nil {
		t.Fatal(err)
	}
	objs = objs[1:] // a second sync that no longer sees the datacenter replaces, not merges
	if err := s.ReplaceInventory(ctx, v.ID, objs); err != nil {
		t.Fatal(err)
	}
	inv, err := s.Inventory(ctx, "vc1")
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Datacenters) != 0 || len(inv.Datastores) != 1 || inv.Datastores[0].Datastore.FreeBytes != 40 || inv.SyncedAt == nil {
		t.Fatalf("inventory = %+v", inv)
	}
	if _, err := s.Inventory(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown vcenter = %v", err)
	}
}
