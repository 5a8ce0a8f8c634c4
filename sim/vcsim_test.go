package sim

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
)

func start(t *testing.T, opts VCenterOptions) *VCenter {
	t.Helper()
	vc, err := StartVCenter(opts)
	if err != nil {
		t.Fatalf("StartVCenter: %v", err)
	}
	t.Cleanup(vc.Close)
	return vc
}

// login logs in to vc with the thumbprint pinned, as Clusterwright does.
func login(t *testing.T, vc *VCenter, user, password string) (*govmomi.Client, error) {
	t.Helper()
	ctx := context.Background()
	sc := soap.NewClient(vc.URL(), false)
	sc.SetThumbprint(vc.URL().Host, vc.Thumbprint)
	vimClient, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, err
	}
	c := &govmomi.Client{Client: vimClient, SessionManager: session.NewManager(vimClient)}
	if err := c.Login(ctx, url.UserPassword(user, password)); err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c, nil
}

func TestStartVCenter(t *testing.T) {
	vc := start(t, VCenterOptions{Username: "admin@test.local", Password: "test-password-1"})
	u := vc.URL()
	if u.Scheme != "https" || u.Path != "/sdk" || u.User != nil {
		t.Fatalf("URL %s: want https://host:port/sdk without user information", u)
	}
	if vc.Username != "admin@test.local" || vc.Password != "test-password-1" {
		t.Fatalf("credentials %q/%q, want the ones given", vc.Username, vc.Password)
	}
	if _, err := login(t, vc, vc.Username, "wrong"); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	c, err := login(t, vc, vc.Username, vc.Password)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	ctx := context.Background()
	finder := find.NewFinder(c.Client)
	paths := []string{"/DC0/host/DC0_C0", "/DC0/datastore/LocalDS_0", "/DC0/network/VM Network"}
	for _, name := range NodeTemplates() {
		paths = append(paths, "/DC0/vm/"+name)
	}
	for _, p := range paths {
		if list, err := finder.ManagedObjectList(ctx, p); err != nil || len(list) != 1 {
			t.Errorf("%s: %d objects, %v", p, len(list), err)
		}
	}

	vm, err := finder.VirtualMachine(ctx, "/DC0/vm/"+DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	var m mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config"}, &m); err != nil {
		t.Fatal(err)
	}
	cfg := m.Config
	if !cfg.Template || cfg.GuestId != TemplateGuestID || cfg.GuestFullName != TemplateGuestFullName ||
		cfg.Version != TemplateHardwareVersion || cfg.Hardware.NumCPU != TemplateCPUs || cfg.Hardware.MemoryMB != TemplateMemoryMiB {
		t.Errorf("template config: template=%v guest=%q %q version=%q cpus=%d memory=%d",
			cfg.Template, cfg.GuestId, cfg.GuestFullName, cfg.Version, cfg.Hardware.NumCPU, cfg.Hardware.MemoryMB)
	}
	devices := object.VirtualDeviceList(cfg.Hardware.Device)
	disks := devices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) != 1 || disks[0].(*types.VirtualDisk).CapacityInKB != TemplateDiskGiB*1024*1024 {
		t.Errorf("disks: %v", disks)
	}
	if len(devices.SelectByType((*types.ParaVirtualSCSIController)(nil))) != 1 {
		t.Error("no ParaVirtual SCSI controller")
	}
}

// TestNodeTemplatesFollowVersions: one node template per supported Kubernetes version,
// named by its minor, and DefaultTemplate is the default version's.
func TestNodeTemplatesFollowVersions(t *testing.T) {
	versions := domain.KubernetesVersions()
	names := NodeTemplates()
	if len(names) != len(versions.Versions) {
		t.Fatalf("NodeTemplates() = %v for versions %v", names, versions.Versions)
	}
	for i, v := range versions.Versions {
		if want := "ubuntu-2404-kube-v" + domain.KubernetesMinor(v); names[i] != want || TemplateName(v) != want {
			t.Errorf("template of %s: %q, want %q", v, names[i], want)
		}
	}
	if want := TemplateName(versions.Default); DefaultTemplate != want {
		t.Errorf("DefaultTemplate = %q, want %q (the default version's)", DefaultTemplate, want)
	}
}

func TestDefaultPasswordIsRandom(t *testing.T) {
	a, b := start(t, VCenterOptions{}), start(t, VCenterOptions{})
	if a.Username != DefaultUsername || a.Password == "" || a.Password == b.Password {
		t.Fatalf("default credentials %q/%q and %q/%q", a.Username, a.Password, b.Username, b.Password)
	}
	creds := a.Credentials()
	if creds.Server != a.URL().String() || creds.Password != a.Password || creds.Thumbprint != a.Thumbprint || creds.Insecure {
		t.Fatalf("Credentials() = server %q thumbprint %q insecure %v", creds.Server, creds.Thumbprint, creds.Insecure)
	}
}

func TestVCentersSideBySide(t *testing.T) {
	a := start(t, VCenterOptions{ExtraTemplates: []string{"only-a"}})
	b := start(t, VCenterOptions{ClusterHosts: 1, VMs: -1, ExtraTemplates: []string{"only-b"}})
	if a.URL().Host == b.URL().Host {
		t.Fatal("both vCenters listen on the same address")
	}
	names := func(vc *VCenter) []string {
		c, err := login(t, vc, vc.Username, vc.Password)
		if err != nil {
			t.Fatal(err)
		}
		vms, err := find.NewFinder(c.Client).VirtualMachineList(context.Background(), "/DC0/vm/*")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, vm := range vms {
			out = append(out, vm.Name())
		}
		return out
	}
	na, nb := names(a), names(b)
	if !slices.Contains(na, "only-a") || slices.Contains(na, "only-b") {
		t.Errorf("a's VMs: %v", na)
	}
	if !slices.Contains(nb, "only-b") || slices.Contains(nb, "only-a") || len(nb) != len(NodeTemplates())+1 {
		t.Errorf("b's VMs: %v, want only the node templates and only-b", nb)
	}

	// Closing one leaves the other serving.
	b.Close()
	b.Close()
	if got := names(a); len(got) != len(na) {
		t.Errorf("a after closing b: %v", got)
	}
}

func TestStartVCenterBadAddress(t *testing.T) {
	vc, err := StartVCenter(VCenterOptions{Addr: "256.0.0.1:0"})
	if err == nil {
		vc.Close()
		t.Fatal("StartVCenter on an invalid address succeeded")
	}
	t.Logf("error: %v", err)
}
