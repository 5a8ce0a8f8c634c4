package cloudinit

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Node is a node's bootstrap as read back from its guestinfo: the spec it
// was rendered from, plus the kubeadm command it runs.
type Node struct {
	NodeSpec
	// Command is the kubeadm runcmd entry.
	Command []string
}

// ParseNode parses the metadata and userdata of a node rendered by Render
// and recovers its spec: hostname, network, role (from the kubeadm command
// in runcmd and the controlPlane section of the join configuration), the
// kubeadm configuration, the PKI files and the SSH login. The result is
// validated as Render validates its input.
func ParseNode(metadata, userdata []byte) (*Node, error) {
	md, err := ParseMetadata(metadata)
	if err != nil {
		return nil, err
	}
	ud, err := ParseUserData(userdata)
	if err != nil {
		return nil, err
	}

	n := &Node{}
	n.InstanceID = md.InstanceID
	n.Hostname = ud.Hostname
	if n.Hostname == "" {
		n.Hostname = md.LocalHostname
	}
	if n.Address, err = md.Address(); err != nil {
		return nil, err
	}
	if n.Gateway, err = md.Gateway(); err != nil {
		return nil, err
	}
	_, eth, _ := md.ethernet() // Address succeeded, so there is one
	if eth.Match != nil {
		n.MACAddress = eth.Match.MACAddress
	}
	if eth.Nameservers != nil {
		n.DNS = eth.Nameservers.Addresses
	}

	cmd, configPath, err := findKubeadmCommand(ud.RunCmd)
	if err != nil {
		return nil, err
	}
	n.Command = cmd
	f, ok := ud.File(configPath)
	if !ok {
		return nil, fmt.Errorf("cloudinit: kubeadm configuration %s is not in write_files", configPath)
	}
	data, err := f.Data()
	if err != nil {
		return nil, err
	}
	kc, err := ParseKubeadm(data)
	if err != nil {
		return nil, err
	}
	n.Kubeadm = *kc
	switch {
	case cmd[1] == "init":
		n.Role = RoleInit
	case kc.Join != nil && kc.Join.ControlPlane != nil:
		n.Role = RoleJoinControlPlane
	default:
		n.Role = RoleJoinWorker
	}

	for _, f := range ud.WriteFiles {
		if name, ok := strings.CutPrefix(path.Clean(f.Path), ManifestsDir+"/"); ok {
			data, err := f.Data()
			if err != nil {
				return nil, err
			}
			if n.StaticPods == nil {
				n.StaticPods = map[string][]byte{}
			}
			n.StaticPods[name] = data
			continue
		}
		rel, ok := strings.CutPrefix(path.Clean(f.Path), PKIDir+"/")
		if !ok {
			continue
		}
		data, err := f.Data()
		if err != nil {
			return nil, err
		}
		if n.PKIFiles == nil {
			n.PKIFiles = map[string][]byte{}
		}
		n.PKIFiles[rel] = data
	}

	for _, u := range ud.Users {
		if len(u.SSHAuthorizedKeys) > 0 {
			n.SSHUser, n.SSHAuthorizedKey = u.Name, u.SSHAuthorizedKeys[0]
			break
		}
	}

	if err := n.validate(); err != nil {
		return nil, err
	}
	return n, nil
}

// findKubeadmCommand returns the `kubeadm init|join` entry of runcmd and
// the path of its --config file.
func findKubeadmCommand(runcmd []Command) ([]string, string, error) {
	if len(runcmd) == 0 {
		return nil, "", errors.New("cloudinit: userdata has no runcmd")
	}
	for _, c := range runcmd {
		if len(c) < 2 || path.Base(c[0]) != "kubeadm" || (c[1] != "init" && c[1] != "join") {
			continue
		}
		for i, arg := range c {
			if v, ok := strings.CutPrefix(arg, "--config="); ok {
				return c, v, nil
			}
			if arg == "--config" && i+1 < len(c) {
				return c, c[i+1], nil
			}
		}
		return nil, "", fmt.Errorf("cloudinit: %q has no --config", strings.Join(c, " "))
	}
	return nil, "", errors.New("cloudinit: runcmd has no kubeadm init or join command")
}
