package sim

import (
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/clusterwright/clusterwright/domain"
)

// Names of objects that every simulated vCenter has.
const (
	DefaultDatacenter = "DC0"
	DefaultCluster    = "DC0_C0"
	DefaultDatastore  = "LocalDS_0"
	DefaultNetwork    = "VM Network"
	// DefaultTemplate is the node template of the default Kubernetes version
	// (TemplateName of domain.KubernetesVersions().Default; a test keeps them equal).
	DefaultTemplate = "ubuntu-2404-kube-v1.37"
	DefaultUsername = "administrator@vsphere.local"
	// DefaultClusterUsername is the least-privileged user every simulated vCenter has for
	// the clusters' vSphere CPI and CSI drivers (see ClusterRole).
	DefaultClusterUsername = "k8s-cluster@vsphere.local"
)

// TemplateName is the name of the simulated node template (the VM image with the
// Kubernetes packages installed) of Kubernetes version v, one per minor:
// "ubuntu-2404-kube-v1.37" for v1.37.2.
func TemplateName(v string) string { return "ubuntu-2404-kube-v" + domain.KubernetesMinor(v) }

// NodeTemplates are the node templates every simulated vCenter has: one per
// supported Kubernetes version (domain.KubernetesVersions), oldest first.
func NodeTemplates() []string {
	var names []string
	for _, v := range domain.KubernetesVersions().Versions {
		names = append(names, TemplateName(v))
	}
	return names
}

// VCenterOptions configures StartVCenter. The zero value gives govmomi's VPX
// model (datacenter DC0 with a standalone host DC0_H0, cluster DC0_C0 of three
// hosts, datastore LocalDS_0, networks "VM Network" and DC0_DVPG0, two VMs per
// resource pool) plus the node templates (NodeTemplates, DefaultTemplate among them).
type VCenterOptions struct {
	// Addr is the TCP address to listen on; empty means 127.0.0.1:0 (a free loopback port).
	Addr string
	// Username and Password are the only credentials the vCenter accepts. The
	// default user name is DefaultUsername; the default password is random (see
	// VCenter.Password).
	Username string
	Password string
	// ClusterUsername and ClusterPassword are a second user, for clusters: it holds
	// ClusterRole on the root folder (the vSphere CSI driver's privileges, no VM
	// provisioning). The defaults are DefaultClusterUsername and a random password.
	ClusterUsername string
	ClusterPassword string

	// ClusterHosts is the number of hosts in DC0_C0; 0 keeps the model's 3.
	ClusterHosts int
	// Pools is the number of child resource pools under DC0_C0/Resources.
	Pools int
	// VMs is the number of ordinary (non-template) VMs per resource pool;
	// 0 keeps the model's 2 and a negative value creates none.
	VMs int
	// ExtraTemplates names further templates to create next to the node
	// templates (NodeTemplates), with the same hardware.
	ExtraTemplates []string

	// Customize, if set, may change the govmomi model before it is created.
	// The objects named by the Default* constants must remain.
	Customize func(*simulator.Model)

	// Faults, if set, makes VirtualMachine clone, power-on, reconfigure and
	// destroy calls of this vCenter fail when its rules say so (see Faults).
	// Creating the templates is not counted.
	Faults *Faults

	// Logger receives what goes wrong inside the simulator, such as a vSphere call
	// whose handler panicked (see guardSDK); nil means slog.Default().
	Logger *slog.Logger
}

// VCenter is a running simulated vCenter. Its methods are safe for concurrent use.
type VCenter struct {
	// Username and Password are the service user's credentials.
	Username string
	Password string
	// ClusterUsername and ClusterPassword are the cluster user's (see
	// VCenterOptions.ClusterUsername); SetPassword changes either password.
	ClusterUsername string
	ClusterPassword string
	// Thumbprint is the SHA-256 thumbprint of the server's TLS certificate,
	// in the colon-separated form that vSphere clients pin.
	Thumbprint string

	model     *simulator.Model
	server    *simulator.Server
	url       url.URL
	logins    *logins
	log       *slog.Logger
	closeOnce sync.Once
}

// StartVCenter builds a simulated vCenter inventory and serves the vSphere API
// for it over HTTPS. Each VCenter has its own inventory, sessions and
// listener; Close releases them.
func StartVCenter(opts VCenterOptions) (*VCenter, error) {
	opts = opts.withDefaults()

	model := simulator.VPX()
	if opts.ClusterHosts > 0 {
		model.ClusterHost = opts.ClusterHosts
	}
	model.Pool = opts.Pools
	switch {
	case opts.VMs > 0:
		model.Machine = opts.VMs
	case opts.VMs < 0:
		model.Machine = 0
	}
	if opts.Customize != nil {
		opts.Customize(model)
	}

	if err := model.Create(); err != nil {
		removeModel(model)
		return nil, fmt.Errorf("create simulated vCenter inventory: %w", err)
	}
	templates := append(NodeTemplates(), opts.ExtraTemplates...)
	if err := createTemplates(model, templates); err != nil {
		removeModel(model)
		return nil, err
	}
	installCloneDisks(model.Map())
	installSearchIndex(model.Map(), model.ServiceContent.RootFolder)
	if err := enforcePrivileges(model, opts.Username, opts.ClusterUsername); err != nil {
		removeModel(model)
		return nil, err
	}
	users := &logins{passwords: map[string]string{opts.Username: opts.Password, opts.ClusterUsername: opts.ClusterPassword}}
	model.Map().SessionManager().ValidLogin = users.valid
	if opts.Faults != nil {
		// After installCloneDisks: a clone that must fail never starts.
		injectVSphereFaults(model.Map(), opts.Faults)
	}

	svc := model.Service
	svc.TLS = new(tls.Config)
	svc.RegisterEndpoints = true
	// A Listen.User other than simulator.DefaultLogin makes the session manager ask
	// ValidLogin (DefaultLogin accepts anyone).
	svc.Listen = &url.URL{Host: opts.Addr, User: url.UserPassword(opts.Username, opts.Password)}
	guardSDK(svc, opts.Logger)

	server, err := serve(svc)
	if err != nil {
		removeModel(model)
		return nil, err
	}

	u := *server.URL
	u.User = nil
	return &VCenter{
		Username:        opts.Username,
		Password:        opts.Password,
		ClusterUsername: opts.ClusterUsername,
		ClusterPassword: opts.ClusterPassword,
		Thumbprint:      soap.ThumbprintSHA256(server.Certificate()),
		model:           model,
		server:          server,
		url:             u,
		logins:          users,
		log:             opts.Logger,
	}, nil
}

func (o VCenterOptions) withDefaults() VCenterOptions {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Username == "" {
		o.Username = DefaultUsername
	}
	if o.Password == "" {
		o.Password = rand.Text()
	}
	if o.ClusterUsername == "" {
		o.ClusterUsername = DefaultClusterUsername
	}
	if o.ClusterPassword == "" {
		o.ClusterPassword = rand.Text()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// serve starts the HTTPS listener. The simulator panics when it cannot listen;
// that is turned into an error here.
func serve(svc *simulator.Service) (server *simulator.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("start simulated vCenter: %v", r)
		}
	}()
	return svc.NewServer(), nil
}

func removeModel(model *simulator.Model) {
	if model.Service != nil {
		model.Remove()
	}
}

// URL returns the vSphere SDK URL (https://host:port/sdk), without credentials.
func (v *VCenter) URL() *url.URL {
	u := v.url
	return &u
}

// Credentials returns what Clusterwright needs to log in to this vCenter,
// with its certificate pinned by thumbprint.
func (v *VCenter) Credentials() domain.VCenterCredentials {
	return domain.VCenterCredentials{
		Server:     v.URL().String(),
		Username:   v.Username,
		Password:   v.Password,
		Thumbprint: v.Thumbprint,
	}
}

// ClusterCredentials returns the cluster user's login, with the certificate pinned.
func (v *VCenter) ClusterCredentials() domain.VCenterCredentials {
	c := v.Credentials()
	c.Username, c.Password = v.ClusterUsername, v.ClusterPassword
	return c
}

// SetPassword changes the password of user (the service or the cluster user) from now
// on, as an administrator rotating it in vCenter would; sessions logged in stay. It is
// an error for another user.
func (v *VCenter) SetPassword(user, password string) error {
	if password == "" || !v.logins.set(user, password) {
		return fmt.Errorf("simulated vCenter: cannot set the password of %q", user)
	}
	switch user {
	case v.Username:
		v.Password = password
	case v.ClusterUsername:
		v.ClusterPassword = password
	}
	return nil
}

// closeWait bounds how long Close waits for the vSphere calls in progress.
const closeWait = 10 * time.Second

// Close stops the server and removes the simulator's files. It may be called
// more than once. The server waits for the calls in progress to end; a call still
// running after closeWait (a handler hung on an object lock, say) is logged with
// the simulator's goroutines and left running, rather than Close hanging for good.
func (v *VCenter) Close() {
	v.closeOnce.Do(func() {
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			v.server.Close()
		}()
		select {
		case <-closed:
		case <-time.After(closeWait):
			v.log.Error("simulated vCenter: vSphere calls still running after Close; they are left running (a handler hung?)",
				"vcenter", v.url.Host, "waited", closeWait, "goroutines", Goroutines(SimulatorCode))
		}
		v.model.Remove()
	})
}
