package node

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// `kubeadm certs check-expiration` and `kubeadm certs renew all`, computed
// from the node's certificate files and kubeconfigs.

// expirationInfo is kubeadm's CertificateExpirationInfo
// (output.kubeadm.k8s.io/v1alpha3), as `-o json` prints it.
type expirationInfo struct {
	metav1.TypeMeta        `json:",inline"`
	Certificates           []certExpiration `json:"certificates"`
	CertificateAuthorities []certExpiration `json:"certificateAuthorities"`
}

// certExpiration is kubeadm's output Certificate.
type certExpiration struct {
	Name                string      `json:"name"`
	ExpirationDate      metav1.Time `json:"expirationDate"`
	ResidualTimeSeconds int64       `json:"residualTime"`
	ExternallyManaged   bool        `json:"externallyManaged"`
	CAName              string      `json:"caName,omitempty"`
	Missing             bool        `json:"missing"`
}

// managedCert is a certificate kubeadm manages: a file in the certificates
// directory or the client certificate of a kubeconfig in /etc/kubernetes.
type managedCert struct {
	name, longName string
	// file is relative to the certificates directory; kubeconfig to /etc/kubernetes.
	file, kubeconfig string
	ca               string
}

// managedCerts are kubeadm's renewable certificates, in its order (by name).
var managedCerts = []managedCert{
	{name: "admin.conf", longName: "certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself", kubeconfig: kubeproc.AdminConf, ca: "ca"},
	{name: "apiserver", longName: "certificate for serving the Kubernetes API", file: "apiserver.crt", ca: "ca"},
	{name: "apiserver-etcd-client", longName: "certificate the apiserver uses to access etcd", file: "apiserver-etcd-client.crt", ca: "etcd-ca"},
	{name: "apiserver-kubelet-client", longName: "certificate for the API server to connect to kubelet", file: "apiserver-kubelet-client.crt", ca: "ca"},
	{name: "controller-manager.conf", longName: "certificate embedded in the kubeconfig file for the controller manager to use", kubeconfig: kubeproc.ControllerManagerConf, ca: "ca"},
	{name: "etcd-healthcheck-client", longName: "certificate for liveness probes to healthcheck etcd", file: "etcd/healthcheck-client.crt", ca: "etcd-ca"},
	{name: "etcd-peer", longName: "certificate for etcd nodes to communicate with each other", file: "etcd/peer.crt", ca: "etcd-ca"},
	{name: "etcd-server", longName: "certificate for serving etcd", file: "etcd/server.crt", ca: "etcd-ca"},
	{name: "front-proxy-client", longName: "certificate for the front proxy client", file: "front-proxy-client.crt", ca: "front-proxy-ca"},
	{name: "scheduler.conf", longName: "certificate embedded in the kubeconfig file for the scheduler manager to use", kubeconfig: kubeproc.SchedulerConf, ca: "ca"},
	{name: "super-admin.conf", longName: "certificate embedded in the kubeconfig file for the super-admin", kubeconfig: kubeproc.SuperAdminConf, ca: "ca"},
}

// certAuthorities are the cluster's CAs: name and base file name.
var certAuthorities = []struct{ name, base string }{
	{"ca", "ca"}, {"etcd-ca", "etcd/ca"}, {"front-proxy-ca", "front-proxy-ca"},
}

// readCertFile reads the first certificate of a PEM file on the node.
func (n *Node) readCertFile(p string) (*x509.Certificate, error) {
	b, err := os.ReadFile(n.path(p))
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", p)
	}
	return x509.ParseCertificate(block.Bytes)
}

// readKubeconfigCert reads the client certificate of a kubeconfig on the node.
func (n *Node) readKubeconfigCert(p string) (*x509.Certificate, error) {
	cfg, err := clientcmd.LoadFromFile(n.path(p))
	if err != nil {
		return nil, err
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	if ctx == nil || cfg.AuthInfos[ctx.AuthInfo] == nil {
		return nil, fmt.Errorf("%s: no current user", p)
	}
	block, _ := pem.Decode(cfg.AuthInfos[ctx.AuthInfo].ClientCertificateData)
	if block == nil {
		return nil, fmt.Errorf("%s: no embedded client certificate", p)
	}
	return x509.ParseCertificate(block.Bytes)
}

// expiration computes CertificateExpirationInfo from the files under certDir.
func (n *Node) expiration(certDir string, now time.Time) expirationInfo {
	info := expirationInfo{TypeMeta: metav1.TypeMeta{Kind: "CertificateExpirationInfo", APIVersion: "output.kubeadm.k8s.io/v1alpha3"}}
	external := map[string]bool{}
	for _, ca := range certAuthorities {
		cert, err := n.readCertFile(path.Join(certDir, ca.base+".crt"))
		if err != nil {
			info.CertificateAuthorities = append(info.CertificateAuthorities, certExpiration{Name: ca.name, Missing: true})
			continue
		}
		_, keyErr := os.Stat(n.path(path.Join(certDir, ca.base+".key")))
		external[ca.name] = keyErr != nil // kubeadm: a CA without its key is external
		info.CertificateAuthorities = append(info.CertificateAuthorities, certExpiration{
			Name: ca.name, ExpirationDate: metav1.NewTime(cert.NotAfter.UTC()),
			ResidualTimeSeconds: int64(cert.NotAfter.Sub(now) / time.Second), ExternallyManaged: external[ca.name],
		})
	}
	for _, mc := range managedCerts {
		var cert *x509.Certificate
		var err error
		if mc.kubeconfig != "" {
			cert, err = n.readKubeconfigCert(path.Join(kubernetesDir, mc.kubeconfig))
		} else {
			cert, err = n.readCertFile(path.Join(certDir, mc.file))
		}
		if err != nil {
			info.Certificates = append(info.Certificates, certExpiration{Name: mc.name, Missing: true})
			continue
		}
		info.Certificates = append(info.Certificates, certExpiration{
			Name: mc.name, ExpirationDate: metav1.NewTime(cert.NotAfter.UTC()),
			ResidualTimeSeconds: int64(cert.NotAfter.Sub(now) / time.Second),
			ExternallyManaged:   external[mc.ca], CAName: mc.ca,
		})
	}
	return info
}

// printExpiration prints info as kubeadm's text printer does.
func printExpiration(sh *shell, info expirationInfo) {
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	human := func(s int64) string { return duration.HumanDuration(time.Duration(s) * time.Second) }
	tw := tabwriter.NewWriter(sh.stdout, 10, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "CERTIFICATE\tEXPIRES\tRESIDUAL TIME\tCERTIFICATE AUTHORITY\tEXTERNALLY MANAGED")
	for _, c := range info.Certificates {
		if c.Missing {
			fmt.Fprintf(tw, "!MISSING! %s\t\t\t\t\n", c.Name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%-8v\n", c.Name, c.ExpirationDate.Format("Jan 02, 2006 15:04 MST"),
			human(c.ResidualTimeSeconds), c.CAName, yesNo(c.ExternallyManaged))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CERTIFICATE AUTHORITY\tEXPIRES\tRESIDUAL TIME\tEXTERNALLY MANAGED")
	for _, c := range info.CertificateAuthorities {
		if c.Missing {
			fmt.Fprintf(tw, "!MISSING! %s\t\t\t\n", c.Name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%-8v\n", c.Name, c.ExpirationDate.Format("Jan 02, 2006 15:04 MST"),
			human(c.ResidualTimeSeconds), yesNo(c.ExternallyManaged))
	}
	_ = tw.Flush()
}

// certsOptions are the flags of `kubeadm certs` commands.
type certsOptions struct {
	output  string
	certDir string
}

// parseCertsFlags reads -o/--output/--experimental-output and --cert-dir;
// --config and --kubeconfig are accepted and ignored.
func parseCertsFlags(args []string) (certsOptions, error) {
	o := certsOptions{output: "text"}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := cutFlag(args[i])
		switch name {
		case "-o", "--output", "--experimental-output", "--cert-dir", "--config", "--kubeconfig":
			if !hasValue {
				if i+1 >= len(args) {
					return o, fmt.Errorf("flag needs an argument: %s", name)
				}
				i++
				value = args[i]
			}
			switch name {
			case "-o", "--output", "--experimental-output":
				o.output = value
			case "--cert-dir":
				o.certDir = value
			}
		default:
			return o, fmt.Errorf("unknown flag: %s", name)
		}
	}
	switch o.output {
	case "text", "json", "yaml":
		return o, nil
	}
	return o, fmt.Errorf(`unable to match a printer suitable for the output format %q, allowed formats are: json,text,yaml`, o.output)
}

// cutFlag splits "--name=value".
func cutFlag(arg string) (name, value string, ok bool) {
	return strings.Cut(arg, "=")
}

// clusterCertDir reads the certificates directory from the kubeadm-config
// ConfigMap, printing what kubeadm prints; it falls back to the default.
func (sh *shell) clusterCertDir(prefix string, quiet bool) string {
	n := sh.node
	printf := func(format string, args ...any) {
		if !quiet {
			fmt.Fprintf(sh.stdout, format, args...)
		}
	}
	client, err := clientFromKubeconfig(n.path(adminConfPath), "")
	if err == nil {
		ctx, cancel := context.WithTimeout(sh.ctx, 5*time.Second)
		defer cancel()
		printf("[%s] Reading configuration from the %q ConfigMap in namespace %q...\n", prefix, kubeadmConfigMap, "kube-system")
		printf("[%s] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.\n", prefix)
		if cc, err := fetchClusterConfiguration(ctx, client); err == nil {
			printf("\n")
			return cc.CertificatesDir
		}
	}
	printf("[%s] Error reading configuration from the Cluster. Falling back to default configuration\n\n", prefix)
	return defaultCertDir
}

// certsCheckExpiration is `kubeadm certs check-expiration [-o json|yaml]`.
func (sh *shell) certsCheckExpiration(cmd command, args []string) int {
	o, err := parseCertsFlags(args)
	if err != nil {
		return sh.kubeadmError(err)
	}
	certDir := sh.clusterCertDir("check-expiration", o.output != "text")
	if o.certDir != "" {
		certDir = o.certDir
	}
	if !cmd.root {
		if _, err := os.Stat(sh.node.path(certDir)); err == nil {
			return sh.kubeadmError(fmt.Errorf("failed to load existing certificate ca: open %s/ca.crt: permission denied", certDir))
		}
	}
	info := sh.node.expiration(certDir, time.Now())
	switch o.output {
	case "json":
		b, err := json.MarshalIndent(info, "", "    ")
		if err != nil {
			return sh.kubeadmError(err)
		}
		fmt.Fprintf(sh.stdout, "%s\n", b)
	case "yaml":
		b, err := yaml.Marshal(info)
		if err != nil {
			return sh.kubeadmError(err)
		}
		_, _ = sh.stdout.Write(b)
	default:
		printExpiration(sh, info)
	}
	return 0
}

// certsRenewAll is `kubeadm certs renew all`: every managed certificate is
// issued anew from the CAs on disk. The running control plane keeps the
// old ones until each component is restarted: its manifest moved out of
// /etc/kubernetes/manifests and back (see static_pod_watcher.go).
func (sh *shell) certsRenewAll(cmd command, args []string) int {
	if _, err := parseCertsFlags(args); err != nil {
		return sh.kubeadmError(err)
	}
	if !cmd.root {
		return sh.kubeadmError(errors.New("failed to load existing certificate apiserver: open /etc/kubernetes/pki/apiserver.crt: permission denied"))
	}
	sh.clusterCertDir("renew", false)
	cfg, hasCP, err := sh.node.staticPodConfig()
	if err != nil {
		return sh.kubeadmError(err)
	}
	if !hasCP {
		// A worker has none of the control plane's certificates.
		for _, mc := range managedCerts {
			fmt.Fprintf(sh.stdout, "MISSING! %s\n", mc.longName)
		}
	} else {
		if err := kubeproc.RenewCertificates(cfg); err != nil {
			return sh.kubeadmError(err)
		}
		for _, mc := range managedCerts {
			fmt.Fprintf(sh.stdout, "%s renewed\n", mc.longName)
		}
		sh.node.log.Info("kubeadm certs renew all: certificates renewed")
	}
	fmt.Fprint(sh.stdout, "\nDone renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.\n")
	return 0
}
