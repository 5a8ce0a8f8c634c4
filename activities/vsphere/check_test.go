package vsphere

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/mo"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

func TestCheckCredentials(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{})
	good := vc.Credentials()

	with := func(f func(*domain.VCenterCredentials)) domain.VCenterCredentials {
		c := good
		f(&c)
		return c
	}
	wrongThumbprint := strings.Repeat("AB:", 31) + "AB"

	tests := []struct {
		name  string
		creds domain.VCenterCredentials
		want  error // nil for success
	}{
		{"pinned thumbprint", good, nil},
		{"lower-case thumbprint", with(func(c *domain.VCenterCredentials) { c.Thumbprint = strings.ToLower(c.Thumbprint) }), nil},
		{"insecure", with(func(c *domain.VCenterCredentials) { c.Thumbprint, c.Insecure = "", true }), nil},
		{"host:port only", with(func(c *domain.VCenterCredentials) { c.Server = vc.URL().Host }), nil},
		{"wrong password", with(func(c *domain.VCenterCredentials) { c.Password = "x" + testPassword }), ErrBadCredentials},
		{"wrong user", with(func(c *domain.VCenterCredentials) { c.Username = "mallory" }), ErrBadCredentials},
		{"empty password", with(func(c *domain.VCenterCredentials) { c.Password = "" }), ErrBadCredentials},
		{"wrong thumbprint", with(func(c *domain.VCenterCredentials) { c.Thumbprint = wrongThumbprint }), ErrCertificate},
		{"wrong thumbprint, insecure", with(func(c *domain.VCenterCredentials) { c.Thumbprint, c.Insecure = wrongThumbprint, true }), ErrCertificate},
		{"untrusted certificate", with(func(c *domain.VCenterCredentials) { c.Thumbprint = "" }), ErrCertificate},
		{"connection refused", with(func(c *domain.VCenterCredentials) { c.Server = "https://" + closedAddr(t) + "/sdk" }), ErrUnreachable},
		{"unknown host", with(func(c *domain.VCenterCredentials) { c.Server = "vcenter.invalid" }), ErrUnreachable},
		{"http", with(func(c *domain.VCenterCredentials) { c.Server = "http://" + vc.URL().Host + "/sdk" }), ErrInvalidServer},
		{"password in URL", with(func(c *domain.VCenterCredentials) {
			c.Server = "https://root:" + testPassword + "@" + vc.URL().Host + "/sdk"
		}), ErrInvalidServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCredentials(context.Background(), tt.creds)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("CheckCredentials: %v", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("CheckCredentials: %v, want %v", err, tt.want)
			}
			if err != nil {
				t.Logf("error: %v", err)
				assertNoSecret(t, err, tt.creds.Password, testPassword)
			}
		})
	}
}

func TestCheckCredentialsTimesOut(t *testing.T) {
	creds := domain.VCenterCredentials{Server: silentAddr(t), Username: "u", Password: testPassword, Insecure: true}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := CheckCredentials(ctx, creds)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("CheckCredentials: %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v despite a 300ms deadline", d)
	}
	assertNoSecret(t, err, testPassword)
}

func TestCheckCredentialsLeavesNoSession(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{})
	if err := CheckCredentials(context.Background(), vc.Credentials()); err != nil {
		t.Fatal(err)
	}
	admin := adminClient(t, vc)
	var mgr mo.SessionManager
	if err := admin.RetrieveOne(context.Background(), *admin.ServiceContent.SessionManager, []string{"sessionList"}, &mgr); err != nil {
		t.Fatal(err)
	}
	if len(mgr.SessionList) != 1 { // the admin's own
		t.Fatalf("%d sessions after the check, want only the admin's: %+v", len(mgr.SessionList), mgr.SessionList)
	}
}

func TestRedact(t *testing.T) {
	base := fmt.Errorf("%w: dial: user:"+testPassword+"@host refused", ErrUnreachable)
	err := redact(base, testPassword)
	if strings.Contains(err.Error(), testPassword) || !errors.Is(err, ErrUnreachable) {
		t.Fatalf("redact: %q (keeps the class: %v)", err, errors.Is(err, ErrUnreachable))
	}
	// Nothing in the chain leads back to the unmasked text.
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), testPassword) {
			t.Fatalf("the chain still holds the password: %q", e)
		}
	}
	if redact(base, "") != base || redact(nil, testPassword) != nil {
		t.Fatal("redact changed an error it should have kept")
	}
}

func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error contains a password: %v", err)
		}
	}
}
