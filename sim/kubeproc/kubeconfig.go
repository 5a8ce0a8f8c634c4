package kubeproc

import (
	"encoding/base64"
	"fmt"
	"os"
)

// kubeconfig renders a kubeconfig for one user with everything embedded.
func kubeconfig(server string, caPEM []byte, user string, client issued) []byte {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: %s@kubernetes
  context:
    cluster: kubernetes
    user: %s
current-context: %s@kubernetes
`, server, b64(caPEM), user, b64(client.certPEM), b64(client.keyPEM), user, user, user)
}

// writeKubeconfig writes a kubeconfig file readable by its owner only.
func writeKubeconfig(path, server string, caPEM []byte, user string, client issued) error {
	if err := os.WriteFile(path, kubeconfig(server, caPEM, user, client), 0o600); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return nil
}
