package sim

import (
	"context"
	"net/url"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/mo"
)

func TestProbe(t *testing.T) {
	vc, err := StartVCenter(VCenterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	ctx := context.Background()
	u := vc.URL()
	t.Log(u, vc.Thumbprint)
	u.User = url.UserPassword(vc.Username, vc.Password)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		t.Fatal(err)
	}
	f := find.NewFinder(c.Client)
	vm, err := f.VirtualMachine(ctx, "/DC0/vm/"+DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	var m mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config", "summary"}, &m); err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v %+v %v %v %v", m.Config.GuestFullName, m.Config.Version, m.Config.Template, m.Config.Hardware.NumCPU, m.Config.Hardware.MemoryMB)
	for _, d := range m.Config.Hardware.Device {
		t.Logf("%T %+v", d, d.GetVirtualDevice().DeviceInfo)
	}
}
