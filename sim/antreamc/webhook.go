package antreamc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Paths of the real leader's validating webhooks.
const (
	announceWebhookPath = "/validate-multicluster-crd-antrea-io-v1alpha1-memberclusterannounce"
	exportWebhookPath   = "/validate-multicluster-crd-antrea-io-v1alpha1-resourceexport"
)

// webhook is the leader's validating admission webhook server. The API
// server calls it by URL (the simulated controller has no Pod network for
// the real manifest's Service), with the CA registered in the
// ValidatingWebhookConfiguration.
type webhook struct {
	c  *Controller
	ns string
	// self is the user the simulated controller acts as; like the real
	// controller's own ServiceAccount it may update and delete.
	self   string
	log    *slog.Logger
	server *http.Server
}

// webhookConfigName is the name the leader's release YAML gives the
// ValidatingWebhookConfiguration (kustomize prefixes the namespace).
func webhookConfigName(ns string) string { return ns + "-antrea-mc-validating-webhook-configuration" }

// startWebhook serves the webhook on the API server's address (a free port)
// and registers it.
func startWebhook(ctx context.Context, c *Controller, ns string, log *slog.Logger) (*webhook, error) {
	u, err := url.Parse(c.cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("API server address %q: %w", c.cfg.Host, err)
	}
	host := u.Hostname()
	review, err := c.kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("who am I: %w", err)
	}
	cert, caPEM, err := selfSignedCert(host)
	if err != nil {
		return nil, err
	}
	ln, err := tls.Listen("tcp", net.JoinHostPort(host, "0"), &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, fmt.Errorf("listen for the webhook: %w", err)
	}
	w := &webhook{c: c, ns: ns, self: review.Status.UserInfo.Username, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc(announceWebhookPath, w.handle(w.validateAnnounce))
	mux.HandleFunc(exportWebhookPath, w.handle(w.validateExport))
	w.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = w.server.Serve(ln) }()
	base := "https://" + ln.Addr().String()
	if err := registerWebhook(ctx, c, ns, base, caPEM); err != nil {
		w.close()
		return nil, err
	}
	log.Info("admission webhook serves", "url", base)
	return w, nil
}

func (w *webhook) close() { _ = w.server.Close() }

// registerWebhook creates or updates the leader's
// ValidatingWebhookConfiguration for MemberClusterAnnounces and
// ResourceExports of namespace ns.
func registerWebhook(ctx context.Context, c *Controller, ns, base string, caPEM []byte) error {
	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	timeout := int32(5)
	hook := func(name, path, resource string) admissionregistrationv1.ValidatingWebhook {
		u := base + path
		return admissionregistrationv1.ValidatingWebhook{
			Name:                    name,
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &u, CABundle: caPEM},
			AdmissionReviewVersions: []string{"v1"},
			FailurePolicy:           &fail,
			SideEffects:             &none,
			TimeoutSeconds:          &timeout,
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
				"kubernetes.io/metadata.name": ns,
			}},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{
					admissionregistrationv1.Create, admissionregistrationv1.Update, admissionregistrationv1.Delete,
				},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{mcGroup}, APIVersions: []string{"v1alpha1"}, Resources: []string{resource},
				},
			}},
		}
	}
	want := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{
			Name: webhookConfigName(ns),
			Labels: map[string]string{
				"app": "antrea", "role": roleLeader, "served-by": controllerDeployment, "served-in": ns,
			},
		},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			hook("vmemberclusterannounce.kb.io", announceWebhookPath, "memberclusterannounces"),
			hook("vresourceexport.kb.io", exportWebhookPath, "resourceexports"),
		},
	}
	api := c.kube.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	have, err := api.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = api.Create(ctx, want, metav1.CreateOptions{})
	case err == nil:
		want.ResourceVersion = have.ResourceVersion
		_, err = api.Update(ctx, want, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("register ValidatingWebhookConfiguration %s: %w", want.Name, err)
	}
	return nil
}

// unregisterWebhook deletes the leader's ValidatingWebhookConfiguration.
func unregisterWebhook(ctx context.Context, c *Controller, ns string) error {
	err := c.kube.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, webhookConfigName(ns), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete ValidatingWebhookConfiguration %s: %w", webhookConfigName(ns), err)
	}
	return nil
}

// verdict is a webhook's answer: allowed, or denied with a message.
type verdict struct {
	allowed bool
	message string
}

var allow = verdict{allowed: true}

func deny(format string, args ...any) verdict { return verdict{message: fmt.Sprintf(format, args...)} }

// handle decodes an AdmissionReview, validates its request and answers.
func (w *webhook) handle(validate func(ctx context.Context, req *admissionv1.AdmissionRequest) verdict) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		var review admissionv1.AdmissionReview
		if err := json.NewDecoder(http.MaxBytesReader(rw, r.Body, 1<<20)).Decode(&review); err != nil || review.Request == nil {
			http.Error(rw, "malformed AdmissionReview", http.StatusBadRequest)
			return
		}
		v := validate(r.Context(), review.Request)
		resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: v.allowed}
		if !v.allowed {
			resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden,
				Reason: metav1.StatusReasonForbidden, Message: v.message}
			w.log.Info("webhook denied", "kind", review.Request.Kind.Kind, "name", review.Request.Name,
				"operation", review.Request.Operation, "user", review.Request.UserInfo.Username, "reason", v.message)
		}
		review.Response, review.Request = resp, nil
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(&review)
	}
}

// selfSignedCert makes the webhook's serving certificate for an IP address;
// it is its own CA.
func selfSignedCert(ip string) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("webhook key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("webhook serial: %w", err)
	}
	addr := net.ParseIP(ip)
	if addr == nil {
		return tls.Certificate{}, nil, errors.New("webhook: the API server's host is not an IP address: " + ip)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "antrea-mc-webhook-service"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{addr},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("webhook certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
