package node

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/pki"
)

// discoveryRetryInterval is the pause between cluster-info requests
// (kubeadm waits 5 s; the simulator is quicker).
const discoveryRetryInterval = time.Second

// clusterInfo is what token discovery learns about the cluster.
type clusterInfo struct {
	// Server is the API URL in cluster-info (the control-plane endpoint).
	Server string
	// CAPEM is the cluster CA, validated against the pinned hashes.
	CAPEM []byte
}

// discover does kubeadm's token discovery: it fetches cluster-info from the
// discovery endpoint anonymously and without trusting its certificate,
// checks the JWS signature the bootstrap signer made with the token, checks
// the CA in it against the pinned CA hashes, then fetches cluster-info again
// over TLS verified with that CA and checks it is the same. It retries while
// the API server does not answer or the signature for the token ID is not
// there yet; anything else fails at once (wrapping errJoin).
func discover(ctx context.Context, d *cloudinit.BootstrapTokenDiscovery, token pki.BootstrapToken, log *slog.Logger) (*clusterInfo, error) {
	host := "https://" + d.APIServerEndpoint
	insecure, err := kubernetes.NewForConfig(&rest.Config{
		Host: host, Timeout: 10 * time.Second,
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
	})
	if err != nil {
		return nil, err
	}
	cm, err := signedClusterInfo(ctx, insecure, token.ID, log)
	if err != nil {
		return nil, err
	}
	kubeconfig := cm.Data[clusterInfoKubeconfig]
	if kubeconfig == "" {
		return nil, fmt.Errorf("%w: there is no %s key in the %s ConfigMap", errJoin, clusterInfoKubeconfig, clusterInfoConfigMap)
	}
	if err := verifyDetachedJWS(cm.Data[jwsSignaturePrefix+token.ID], kubeconfig, token.ID, token.Secret); err != nil {
		return nil, fmt.Errorf("%w: failed to verify JWS signature of received cluster info object, can't trust this API Server: %w", errJoin, err)
	}
	cfg, err := clientcmd.Load([]byte(kubeconfig))
	if err != nil || len(cfg.Clusters) != 1 {
		return nil, fmt.Errorf("%w: malformed kubeconfig in the %s ConfigMap", errJoin, clusterInfoConfigMap)
	}
	var info clusterInfo
	for _, c := range cfg.Clusters {
		info = clusterInfo{Server: c.Server, CAPEM: c.CertificateAuthorityData}
	}
	if err := checkCAPins(info.CAPEM, d.CACertHashes); err != nil {
		return nil, fmt.Errorf("%w: cluster CA found in %s ConfigMap is invalid: %w", errJoin, clusterInfoConfigMap, err)
	}

	secure, err := kubernetes.NewForConfig(&rest.Config{
		Host: host, Timeout: 10 * time.Second,
		TLSClientConfig: rest.TLSClientConfig{CAData: info.CAPEM},
	})
	if err != nil {
		return nil, err
	}
	again, err := signedClusterInfo(ctx, secure, token.ID, log)
	if err != nil {
		return nil, err
	}
	if again.Data[clusterInfoKubeconfig] != kubeconfig {
		return nil, fmt.Errorf("%w: the second kubeconfig from the %s ConfigMap (using validated TLS) was different from the first", errJoin, clusterInfoConfigMap)
	}
	log.Info("discovery: cluster-info signature and contents are valid, CA pinned", "server", info.Server)
	return &info, nil
}

// signedClusterInfo gets cluster-info until it carries a signature for the
// token ID.
func signedClusterInfo(ctx context.Context, c kubernetes.Interface, tokenID string, log *slog.Logger) (*corev1.ConfigMap, error) {
	var cm *corev1.ConfigMap
	var last error
	err := poll(ctx, discoveryRetryInterval, func(ctx context.Context) (bool, error) {
		got, err := c.CoreV1().ConfigMaps(metav1.NamespacePublic).Get(ctx, clusterInfoConfigMap, metav1.GetOptions{})
		if err != nil {
			last = fmt.Errorf("failed to request the %s ConfigMap: %w", clusterInfoConfigMap, err)
			log.Debug("discovery: retrying", "err", last)
			return false, nil
		}
		if _, ok := got.Data[jwsSignaturePrefix+tokenID]; !ok {
			last = fmt.Errorf("could not find a JWS signature in the %s ConfigMap for token ID %q", clusterInfoConfigMap, tokenID)
			log.Debug("discovery: retrying", "err", last)
			return false, nil
		}
		cm = got
		return true, nil
	})
	if err != nil {
		if last == nil {
			last = err
		}
		return nil, fmt.Errorf("discovery: %w (%w)", last, err)
	}
	return cm, nil
}

// checkCAPins checks that a certificate in caPEM has one of the public key
// pins (kubeadm's --discovery-token-ca-cert-hash, see pki.CACertHash).
func checkCAPins(caPEM []byte, pins []string) error {
	var hashes []string
	rest := caPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("parse CA certificate: %w", err)
		}
		hash := pki.CACertHash(cert)
		if slices.ContainsFunc(pins, func(p string) bool { return strings.EqualFold(strings.TrimSpace(p), hash) }) {
			return nil
		}
		hashes = append(hashes, hash)
	}
	if len(hashes) == 0 {
		return fmt.Errorf("no CA certificate")
	}
	return fmt.Errorf("none of the public keys %v are pinned (pins %v)", hashes, pins)
}
