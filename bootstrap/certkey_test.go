package bootstrap_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// TestCertificateKeyJoin renders a joining control plane's guestinfo with and without
// a stored certificate key: with one, its userdata holds no private key at all (no
// PEM "PRIVATE KEY" block) and no shared PKI file, and kubeadm's join configuration
// carries the key, which opens the kubeadm-certs data made from the cluster's shared
// files; the first control plane (kubeadm init) and workers are not affected; without
// one (deleted, twice: idempotent) the join gets the CA keys as before.
func TestCertificateKeyJoin(t *testing.T) {
	s, c := newCluster(t)
	src := &bootstrap.Source{Store: s}
	ctx := context.Background()
	if err := src.Prepare(ctx, c.ID, c.ControlPlaneEndpoint); err != nil {
		t.Fatal(err)
	}
	render := func(vm string) (*cloudinit.Node, []byte) {
		t.Helper()
		gi, err := src.GuestInfo(ctx, c.ID, vm)
		if err != nil {
			t.Fatal(err)
		}
		md, ud, err := cloudinit.DecodeGuestInfo(gi)
		if err != nil {
			t.Fatal(err)
		}
		node, err := cloudinit.ParseNode(md, ud)
		if err != nil {
			t.Fatalf("parse %s: %v", vm, err)
		}
		return node, ud
	}
	joiner := domain.VMName(c.Name, domain.ControlPlanePool, 1)

	if _, err := src.CertificateKey(ctx, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("certificate key before one was put: %v, want not found", err)
	}
	node, ud := render(joiner)
	if !bytes.Contains(ud, []byte("PRIVATE KEY")) || len(node.PKIFiles[pki.CAKeyFile]) == 0 || node.Kubeadm.Join.ControlPlane.CertificateKey != "" {
		t.Fatal("without a certificate key a joining control plane does not get the CA keys")
	}

	key, err := pki.NewCertificateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := src.PutCertificateKey(ctx, c.ID, key); err != nil {
		t.Fatal(err)
	}
	node, ud = render(joiner)
	if bytes.Contains(ud, []byte("PRIVATE KEY")) {
		t.Error("the userdata of a control plane joining with a certificate key holds a private key")
	}
	for _, f := range pki.SharedCAFiles {
		if _, ok := node.PKIFiles[f]; ok {
			t.Errorf("the userdata carries %s", f)
		}
	}
	if node.Role != cloudinit.RoleJoinControlPlane || node.Kubeadm.Join.ControlPlane.CertificateKey != key {
		t.Fatalf("role %s, join carries the certificate key: %v", node.Role, node.Kubeadm.Join.ControlPlane.CertificateKey == key)
	}
	files, err := src.SharedCAFiles(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	data, err := pki.EncryptKubeadmCerts(files, key)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := pki.DecryptKubeadmCerts(data, node.Kubeadm.Join.ControlPlane.CertificateKey)
	if err != nil || len(opened) != len(pki.SharedCAFiles) {
		t.Fatalf("the node's key opens kubeadm-certs: %v (%d files)", err, len(opened))
	}
	if first, _ := render(domain.VMName(c.Name, domain.ControlPlanePool, 0)); first.Role != cloudinit.RoleInit || len(first.PKIFiles[pki.CAKeyFile]) == 0 {
		t.Error("kubeadm init lost its CA keys")
	}
	if worker, ud := render("c1-w-1"); worker.Role != cloudinit.RoleJoinWorker || bytes.Contains(ud, []byte("PRIVATE KEY")) {
		t.Error("a worker's userdata changed role or holds a private key")
	}

	for range 2 {
		if err := src.DeleteCertificateKey(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	if node, _ = render(joiner); node.Kubeadm.Join.ControlPlane.CertificateKey != "" || len(node.PKIFiles[pki.CAKeyFile]) == 0 {
		t.Error("after the key's delete a joining control plane does not get the CA keys")
	}
}
