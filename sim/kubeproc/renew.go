package kubeproc

import "fmt"

// RenewCertificates does what `kubeadm certs renew all` does for cfg: it
// issues every leaf certificate of the control plane and the client
// certificate of every kubeconfig anew from the CAs of cfg.PKI, with new
// keys, whether or not the old ones are still valid. The serving
// certificates that the controller manager and the scheduler keep for
// themselves are left alone, as kubeadm leaves them. A running control
// plane goes on using the old certificates until it is restarted.
func RenewCertificates(cfg ControlPlaneConfig) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	if _, err := loadCerts(cfg, true); err != nil {
		return fmt.Errorf("kubeproc: renew certificates: %w", err)
	}
	return nil
}
