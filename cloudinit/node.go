package cloudinit

import (
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/clusterwright/clusterwright/pki"
)

// Role is what a node does when it boots.
type Role string

// Node roles.
const (
	// RoleInit is the first control-plane node: `kubeadm init`.
	RoleInit Role = "init"
	// RoleJoinControlPlane is a further control-plane node: `kubeadm join`
	// with a controlPlane section.
	RoleJoinControlPlane Role = "join-control-plane"
	// RoleJoinWorker is a worker: `kubeadm join` without one.
	RoleJoinWorker Role = "join-worker"
)

// Paths and defaults of the node layout.
const (
	// KubeadmConfigPath is where the kubeadm configuration is written.
	KubeadmConfigPath = "/etc/kubernetes/kubeadm.yaml"
	// PKIDir is kubeadm's certificates directory; NodeSpec.PKIFiles are
	// relative to it.
	PKIDir = "/etc/kubernetes/pki"
	// DefaultSSHUser is the account Clusterwright logs in with on Day 2.
	DefaultSSHUser = "clusterwright"

	// ethernetID is the netplan ID of the node's single interface.
	ethernetID = "nic0"
	// anyEthernet matches the interface by name when no MAC is known:
	// vSphere guests name their vmxnet3 NICs ens*/eth*.
	anyEthernet = "e*"
	sudoAll     = "ALL=(ALL) NOPASSWD:ALL"
	loginShell  = "/bin/bash"
)

// sharedPKIFiles are the files a control-plane node needs before kubeadm
// runs, so that kubeadm uses Clusterwright's CAs instead of making its own.
var sharedPKIFiles = []string{
	pki.CACertFile, pki.CAKeyFile,
	pki.EtcdCACertFile, pki.EtcdCAKeyFile,
	pki.FrontProxyCACertFile, pki.FrontProxyCAKeyFile,
	pki.ServiceAccountKeyFile, pki.ServiceAccountPubFile,
}

// hostnamePattern is an RFC 1123 DNS subdomain, which kubeadm requires of
// node names.
var hostnamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// NodeSpec is everything a node needs to bootstrap itself.
type NodeSpec struct {
	Hostname string
	// InstanceID identifies the VM to cloud-init; it defaults to Hostname.
	// Changing it makes cloud-init run again on the next boot.
	InstanceID string
	// MACAddress selects the interface to configure. Set it for real VMs:
	// without it the interface is matched by the name glob "e*", which
	// only netplan-based guests (Ubuntu) honour; cloud-init's other
	// network renderers match interfaces by MAC only.
	MACAddress string
	// Address is the static address and prefix length of the node.
	Address netip.Prefix
	Gateway netip.Addr
	DNS     []string
	Role    Role
	// Kubeadm is the configuration written to KubeadmConfigPath: Init and
	// Cluster for RoleInit, Join (with ControlPlane for
	// RoleJoinControlPlane) otherwise.
	Kubeadm KubeadmConfig
	// PKIFiles are placed under PKIDir, keyed by relative path (see
	// pki.ClusterPKI.Files): keys (*.key) with mode 0600, everything else
	// 0644. Control-plane roles need the whole shared PKI; workers get
	// none.
	PKIFiles map[string][]byte
	// SSHAuthorizedKey is the authorized_keys line of SSHUser.
	SSHAuthorizedKey string
	// SSHUser defaults to DefaultSSHUser. It gets passwordless sudo.
	SSHUser string
	// StaticPods are static Pod manifests placed in ManifestsDir before
	// kubeadm runs, keyed by file name (like "kube-vip.yaml"); the kubelet
	// starts them with the control plane.
	StaticPods map[string][]byte
}

// withDefaults returns a copy of s with the defaults filled in.
func (s NodeSpec) withDefaults() NodeSpec {
	if s.InstanceID == "" {
		s.InstanceID = s.Hostname
	}
	if s.SSHUser == "" {
		s.SSHUser = DefaultSSHUser
	}
	return s
}

// validate checks s (with defaults applied).
func (s NodeSpec) validate() error {
	var errs []error
	if !hostnamePattern.MatchString(s.Hostname) || len(s.Hostname) > 253 {
		errs = append(errs, fmt.Errorf("hostname %q is not a lowercase DNS name", s.Hostname))
	}
	if !s.Address.IsValid() {
		errs = append(errs, errors.New("address is not set"))
	}
	if !s.Gateway.IsValid() {
		errs = append(errs, errors.New("gateway is not set"))
	} else if s.Address.IsValid() && s.Gateway.Is4() != s.Address.Addr().Is4() {
		errs = append(errs, fmt.Errorf("gateway %s and address %s are of different families", s.Gateway, s.Address))
	}
	for _, d := range s.DNS {
		if _, err := netip.ParseAddr(d); err != nil {
			errs = append(errs, fmt.Errorf("DNS server %q: %w", d, err))
		}
	}
	if s.SSHAuthorizedKey == "" {
		errs = append(errs, errors.New("SSH authorized key is not set"))
	} else if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s.SSHAuthorizedKey)); err != nil {
		errs = append(errs, fmt.Errorf("SSH authorized key: %w", err))
	}
	for p := range s.PKIFiles {
		if _, err := pkiFilePath(p); err != nil {
			errs = append(errs, err)
		}
	}
	for name := range s.StaticPods {
		if _, err := staticPodPath(name); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.validateRole()...)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cloudinit: node %q: %w", s.Hostname, err)
	}
	return nil
}

// validateRole checks that the kubeadm documents and the PKI files fit
// the role.
func (s NodeSpec) validateRole() []error {
	var errs []error
	k := s.Kubeadm
	switch s.Role {
	case RoleInit:
		if k.Init == nil || k.Cluster == nil {
			errs = append(errs, errors.New("role init needs InitConfiguration and ClusterConfiguration"))
		}
		if k.Join != nil {
			errs = append(errs, errors.New("role init must not have a JoinConfiguration"))
		}
		errs = append(errs, s.requireSharedPKI()...)
	case RoleJoinControlPlane, RoleJoinWorker:
		if k.Join == nil {
			errs = append(errs, fmt.Errorf("role %s needs a JoinConfiguration", s.Role))
			break
		}
		if k.Init != nil || k.Cluster != nil {
			errs = append(errs, fmt.Errorf("role %s must have only a JoinConfiguration (kubeadm join ignores the others)", s.Role))
		}
		errs = append(errs, validateDiscovery(k.Join.Discovery)...)
		if s.Role == RoleJoinControlPlane {
			switch {
			case k.Join.ControlPlane == nil:
				errs = append(errs, errors.New("role join-control-plane needs JoinConfiguration.controlPlane"))
			case k.Join.ControlPlane.CertificateKey != "":
				errs = append(errs, s.validateCertificateKey(k.Join.ControlPlane.CertificateKey)...)
			default:
				errs = append(errs, s.requireSharedPKI()...)
			}
		} else {
			if k.Join.ControlPlane != nil {
				errs = append(errs, errors.New("role join-worker must not have JoinConfiguration.controlPlane"))
			}
			if len(s.PKIFiles) > 0 {
				errs = append(errs, errors.New("role join-worker must not receive cluster PKI files"))
			}
		}
	default:
		errs = append(errs, fmt.Errorf("unknown role %q", s.Role))
	}
	return errs
}

func (s NodeSpec) requireSharedPKI() []error {
	var errs []error
	for _, f := range sharedPKIFiles {
		if len(s.PKIFiles[f]) == 0 {
			errs = append(errs, fmt.Errorf("role %s needs PKI file %s", s.Role, f))
		}
	}
	return errs
}

// validateCertificateKey checks a join that downloads the shared PKI: the key is
// kubeadm's (hex of 32 bytes), and no shared file comes with the userdata besides.
func (s NodeSpec) validateCertificateKey(key string) []error {
	var errs []error
	if raw, err := hex.DecodeString(key); err != nil || len(raw) != pki.CertificateKeySize {
		errs = append(errs, fmt.Errorf("certificateKey must be %d hex-encoded bytes", pki.CertificateKeySize))
	}
	for _, f := range sharedPKIFiles {
		if _, ok := s.PKIFiles[f]; ok {
			errs = append(errs, fmt.Errorf("a join with a certificate key must not receive PKI file %s", f))
		}
	}
	return errs
}

func validateDiscovery(d Discovery) []error {
	bt := d.BootstrapToken
	if bt == nil {
		return []error{errors.New("JoinConfiguration needs discovery.bootstrapToken")}
	}
	var errs []error
	if _, err := pki.ParseBootstrapToken(bt.Token); err != nil {
		errs = append(errs, fmt.Errorf("discovery token: %w", err))
	}
	if bt.APIServerEndpoint == "" {
		errs = append(errs, errors.New("discovery needs apiServerEndpoint"))
	}
	if len(bt.CACertHashes) == 0 {
		errs = append(errs, errors.New("discovery needs caCertHashes (Clusterwright never skips CA verification)"))
	}
	return errs
}

// pkiFilePath returns the absolute path of a PKI file given relative to
// PKIDir, refusing paths that leave it.
func pkiFilePath(rel string) (string, error) {
	clean := path.Clean(rel)
	if rel == "" || path.IsAbs(rel) || clean != rel || clean == "." || strings.HasPrefix(clean, "../") || clean == ".." {
		return "", fmt.Errorf("PKI file path %q must be relative to %s and clean", rel, PKIDir)
	}
	return path.Join(PKIDir, clean), nil
}

// staticPodPath returns the path of a static Pod manifest named name,
// refusing names that are not a plain YAML file name.
func staticPodPath(name string) (string, error) {
	if name == "" || path.Base(name) != name || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".yaml") {
		return "", fmt.Errorf("static Pod manifest name %q must be a plain file name ending in .yaml", name)
	}
	return path.Join(ManifestsDir, name), nil
}

// pkiFileMode returns the permissions of a PKI file: private keys are
// readable by root only.
func pkiFileMode(rel string) string {
	if strings.HasSuffix(rel, ".key") {
		return "0600"
	}
	return "0644"
}

// Render renders the metadata and userdata documents of a node. Pass them
// to EncodeGuestInfo for the VM's extraConfig.
func Render(spec NodeSpec) (metadata, userdata []byte, err error) {
	s := spec.withDefaults()
	if err := s.validate(); err != nil {
		return nil, nil, err
	}

	eth := Ethernet{
		Match:     &Match{Name: anyEthernet},
		Addresses: []string{s.Address.String()},
		Routes:    []Route{{To: defaultRouteTo(s.Gateway), Via: s.Gateway.String()}},
	}
	if s.MACAddress != "" {
		eth.Match = &Match{MACAddress: strings.ToLower(s.MACAddress)}
	}
	if len(s.DNS) > 0 {
		eth.Nameservers = &Nameservers{Addresses: slices.Clone(s.DNS)}
	}
	metadata, err = RenderMetadata(Metadata{
		InstanceID:    s.InstanceID,
		LocalHostname: s.Hostname,
		Network:       NetworkConfig{Version: 2, Ethernets: map[string]Ethernet{ethernetID: eth}},
		// The userdata may carry CA private keys, and carries a bootstrap
		// token: have cloud-init blank it in the guest once read.
		Redact: []string{"userdata"},
	})
	if err != nil {
		return nil, nil, err
	}

	kubeadmYAML, err := s.Kubeadm.Render()
	if err != nil {
		return nil, nil, fmt.Errorf("cloudinit: node %q: %w", s.Hostname, err)
	}
	var files []File
	for _, rel := range slices.Sorted(maps.Keys(s.PKIFiles)) {
		abs, _ := pkiFilePath(rel) // validated above
		files = append(files, File{
			Path:        abs,
			Content:     string(s.PKIFiles[rel]),
			Permissions: pkiFileMode(rel),
			Owner:       "root:root",
		})
	}
	for _, name := range slices.Sorted(maps.Keys(s.StaticPods)) {
		abs, _ := staticPodPath(name) // validated above
		files = append(files, File{
			Path:        abs,
			Content:     string(s.StaticPods[name]),
			Permissions: "0600", // as kubeadm writes its manifests
			Owner:       "root:root",
		})
	}
	files = append(files, File{
		Path:        KubeadmConfigPath,
		Content:     string(kubeadmYAML),
		Permissions: "0600", // it holds the bootstrap token
		Owner:       "root:root",
	})

	userdata, err = RenderUserData(UserData{
		Hostname:       s.Hostname,
		ManageEtcHosts: true,
		Users: []User{{
			Name:              s.SSHUser,
			SSHAuthorizedKeys: []string{s.SSHAuthorizedKey},
			Sudo:              sudoAll,
			Shell:             loginShell,
		}},
		WriteFiles: files,
		RunCmd:     []Command{kubeadmCommand(s.Role)},
	})
	if err != nil {
		return nil, nil, err
	}
	return metadata, userdata, nil
}

// kubeadmCommand is the runcmd entry that bootstraps a node of role.
func kubeadmCommand(role Role) Command {
	verb := "join"
	if role == RoleInit {
		verb = "init"
	}
	return Command{"kubeadm", verb, "--config", KubeadmConfigPath}
}
