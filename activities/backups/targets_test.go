package backups_test

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/vmware/govmomi"

	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/sim"
)

// startS3 serves an S3-compatible server (gofakes3) with a bucket and
// returns the target in it.
func startS3(t *testing.T) backupstore.Target {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("etcd"); err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(server.Close)
	target, err := backupstore.NewS3(backupstore.S3Config{Endpoint: server.URL, Region: "us-east-1", Bucket: "etcd",
		Prefix: "backups", PathStyle: true, AccessKeyID: "AKIDTEST", SecretAccessKey: "test-secret"})
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// startDatastore starts a simulated vCenter and returns the target in a
// folder of its datastore.
func startDatastore(t *testing.T) backupstore.Target {
	t.Helper()
	vc, err := sim.StartVCenter(sim.VCenterOptions{VMs: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	u := vc.URL()
	u.User = url.UserPassword(vc.Username, vc.Password)
	client, err := govmomi.NewClient(t.Context(), u, true)
	if err != nil {
		t.Fatal(err)
	}
	target, err := backupstore.NewVSphere(t.Context(), backupstore.VSphereConfig{Client: client.Client,
		Datacenter: sim.DefaultDatacenter, Datastore: sim.DefaultDatastore, Folder: "etcd-backups", SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return target
}
