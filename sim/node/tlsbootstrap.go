package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterwright/clusterwright/pki"
)

// kubeletClientSigner signs kubelet client certificates; the CSR approver
// approves requests for it from bootstrap tokens and from nodes.
const kubeletClientSigner = "kubernetes.io/kube-apiserver-client-kubelet"

// tlsBootstrapTimeout bounds the TLS bootstrap, as kubeadm's wait for the
// kubelet's bootstrap does.
const tlsBootstrapTimeout = 4 * time.Minute

// bootstrapKubeconfig is bootstrap-kubelet.conf: the discovered cluster and
// the bootstrap token.
func bootstrapKubeconfig(info *clusterInfo, token pki.BootstrapToken) ([]byte, error) {
	const user = "tls-bootstrap-token-user"
	return clientcmd.Write(clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"kubernetes": {Server: info.Server, CertificateAuthorityData: info.CAPEM}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{user: {Token: token.String()}},
		Contexts:       map[string]*clientcmdapi.Context{user + "@kubernetes": {Cluster: "kubernetes", AuthInfo: user}},
		CurrentContext: user + "@kubernetes",
	})
}

// bootstrapClient authenticates to the discovered cluster with the
// bootstrap token.
func bootstrapClient(info *clusterInfo, token pki.BootstrapToken) (kubernetes.Interface, error) {
	return kubernetes.NewForConfig(&rest.Config{
		Host:            info.Server,
		BearerToken:     token.String(),
		TLSClientConfig: rest.TLSClientConfig{CAData: info.CAPEM},
		Timeout:         clientTimeout,
	})
}

// tlsBootstrap does the kubelet's TLS bootstrap: it posts a
// CertificateSigningRequest for system:node:<name> in system:nodes with the
// bootstrap identity and waits until the controller manager has approved
// and signed it. It returns the certificate and its key in PEM.
func tlsBootstrap(ctx context.Context, c kubernetes.Interface, nodeName string) (certPEM, keyPEM []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, tlsBootstrapTimeout)
	defer cancel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	subject := pkix.Name{CommonName: nodeUserPrefix + nodeName, Organization: []string{nodesGroup}}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject}, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, err
	}
	// The kubelet names its request after a digest of key and subject.
	digest := sha256.Sum256(append(pub, subject.String()...))
	name := "node-csr-" + base64.RawURLEncoding.EncodeToString(digest[:])[:32]
	csr := &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: kubeletClientSigner,
			Usages:     []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
		},
	}
	csrs := c.CertificatesV1().CertificateSigningRequests()
	err = retry(ctx, tlsBootstrapTimeout, func(ctx context.Context) error {
		_, err := csrs.Create(ctx, csr, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create CertificateSigningRequest: %w", err)
	}
	err = poll(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		got, err := csrs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil // transient; the context bounds the wait
		}
		for _, cond := range got.Status.Conditions {
			if (cond.Type == certificatesv1.CertificateDenied || cond.Type == certificatesv1.CertificateFailed) && cond.Status == corev1.ConditionTrue {
				return false, fmt.Errorf("CertificateSigningRequest %s %s: %s", name, cond.Type, cond.Message)
			}
		}
		certPEM = got.Status.Certificate
		return len(certPEM) > 0, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("wait for CertificateSigningRequest %s to be approved and signed: %w", name, err)
	}
	return certPEM, keyPEM, nil
}
