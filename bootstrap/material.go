package bootstrap

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/clusterwright/clusterwright/pki"
)

// Names of a cluster's sealed secrets in the inventory.
const (
	SecretPKI                     = "pki"
	SecretBootstrapToken          = "bootstrap-token"
	SecretSSHPrivateKey           = "ssh-private-key"
	SecretSSHAuthorizedKey        = "ssh-authorized-key"
	SecretAdminKubeconfig         = "admin-kubeconfig" // the service's own identity (pki.ServiceUser); never handed out
	SecretKubeSphereAdminPassword = "kubesphere-admin-password"
)

// Material is what the service generates for a cluster before its first
// VM exists. Every field is secret.
type Material struct {
	PKI   *pki.ClusterPKI
	Token pki.BootstrapToken
	// SSHPrivateKey (PEM) logs in to the nodes on Day 2; SSHAuthorizedKey
	// is its authorized_keys line, given to every node by cloud-init.
	SSHPrivateKey    []byte
	SSHAuthorizedKey string
	// KubeSphereAdminPassword is KubeSphere's initial admin password.
	KubeSphereAdminPassword string
}

// Generate makes new material for the cluster clusterName.
func Generate(clusterName string) (*Material, error) {
	p, err := pki.NewClusterPKI(clusterName)
	if err != nil {
		return nil, err
	}
	tok, err := pki.NewBootstrapToken()
	if err != nil {
		return nil, fmt.Errorf("bootstrap token: %w", err)
	}
	sshKey, authorized, err := pki.NewSSHKeyPair()
	if err != nil {
		return nil, fmt.Errorf("ssh key: %w", err)
	}
	return &Material{PKI: p, Token: tok, SSHPrivateKey: sshKey, SSHAuthorizedKey: authorized,
		KubeSphereAdminPassword: newPassword()}, nil
}

// passwordAlphabet avoids characters that YAML, shells and URLs treat specially.
const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"

// newPassword returns a random password of 24 characters (about 140 bits)
// with at least one upper-case letter, one lower-case letter and one digit,
// as KubeSphere's password policy asks.
func newPassword() string {
	for {
		b := make([]byte, 24)
		for i := range b {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(passwordAlphabet))))
			if err != nil {
				panic(err) // crypto/rand never fails on supported platforms
			}
			b[i] = passwordAlphabet[n.Int64()]
		}
		if pw := string(b); hasClass(pw, 'A', 'Z') && hasClass(pw, 'a', 'z') && hasClass(pw, '2', '9') {
			return pw
		}
	}
}

func hasClass(s string, lo, hi byte) bool {
	for i := range len(s) {
		if s[i] >= lo && s[i] <= hi {
			return true
		}
	}
	return false
}

// secrets returns the material as named secrets.
func (m *Material) secrets() (map[string][]byte, error) {
	files, err := json.Marshal(m.PKI.Files())
	if err != nil {
		return nil, fmt.Errorf("encode pki: %w", err)
	}
	return map[string][]byte{
		SecretPKI:                     files,
		SecretBootstrapToken:          []byte(m.Token.String()),
		SecretSSHPrivateKey:           m.SSHPrivateKey,
		SecretSSHAuthorizedKey:        []byte(m.SSHAuthorizedKey),
		SecretKubeSphereAdminPassword: []byte(m.KubeSphereAdminPassword),
	}, nil
}

// fromSecrets is the inverse of secrets; get returns one secret by name.
func fromSecrets(get func(name string) ([]byte, error)) (*Material, error) {
	var errs []error
	read := func(name string) []byte {
		b, err := get(name)
		if err != nil {
			errs = append(errs, err)
		}
		return b
	}
	var files map[string][]byte
	if raw := read(SecretPKI); raw != nil {
		if err := json.Unmarshal(raw, &files); err != nil {
			errs = append(errs, fmt.Errorf("decode pki: %w", err))
		}
	}
	tok, ssh, authorized, pw := read(SecretBootstrapToken), read(SecretSSHPrivateKey), read(SecretSSHAuthorizedKey), read(SecretKubeSphereAdminPassword)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	p, err := pki.ParseClusterPKI(files)
	if err != nil {
		return nil, err
	}
	token, err := pki.ParseBootstrapToken(string(tok))
	if err != nil {
		return nil, fmt.Errorf("bootstrap token: %w", err)
	}
	return &Material{PKI: p, Token: token, SSHPrivateKey: ssh, SSHAuthorizedKey: string(authorized),
		KubeSphereAdminPassword: string(pw)}, nil
}
