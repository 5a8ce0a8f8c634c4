package domain

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestNormalizeServer(t *testing.T) {
	for in, want := range map[string]string{
		"vc.example.com":              "https://vc.example.com/sdk",
		"vc.example.com:8443":         "https://vc.example.com:8443/sdk",
		"https://vc.example.com/sdk":  "https://vc.example.com/sdk",
		"https://vc.example.com/":     "https://vc.example.com/sdk",
		" https://10.0.0.5:443/sdk ":  "https://10.0.0.5:443/sdk",
		"https://[2001:db8::1]:8443/": "https://[2001:db8::1]:8443/sdk",
	} {
		got, err := NormalizeServer(in)
		if err != nil || got != want {
			t.Errorf("NormalizeServer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"http://vc/sdk", "https://user:pw@vc/sdk", "https://", "https://vc:99999/sdk", "://"} {
		if got, err := NormalizeServer(bad); err == nil {
			t.Errorf("NormalizeServer(%q) = %q, want an error", bad, got)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("error for %q echoes the credentials: %v", bad, err)
		}
	}
}

func TestRoles(t *testing.T) {
	if !RoleAdmin.Allows(RoleOperator) || !RoleOperator.Allows(RoleViewer) || RoleViewer.Allows(RoleOperator) || Role("").Allows(RoleViewer) {
		t.Fatal("role order wrong")
	}
	if _, err := ParseRole("root"); err == nil {
		t.Fatal("unknown role accepted")
	}
}

func TestIPPoolValidate(t *testing.T) {
	good := IPPoolInput{Name: "lab", CIDR: "10.0.0.0/24", RangeStart: "10.0.0.10", RangeEnd: "10.0.0.200", Gateway: "10.0.0.1"}
	if err := good.Validate(); err != nil || good.DNS == nil {
		t.Fatalf("good pool: %v", err)
	}
	bad := IPPoolInput{Name: "lab", CIDR: "10.0.0.0/24", RangeStart: "10.0.0.0", RangeEnd: "10.0.0.20", Gateway: "10.0.0.15"}
	err := bad.Validate()
	v, ok := AsValidation(err)
	if !ok || len(v.Fields) != 2 || v.Fields[0].Field != "range_start" || v.Fields[1].Field != "gateway" {
		t.Fatalf("bad pool = %v", err)
	}
}

func TestValidName(t *testing.T) {
	for _, n := range []string{"a", "dev-east", "x1", strings.Repeat("a", 63)} {
		if !ValidName(n) {
			t.Errorf("%q rejected", n)
		}
	}
	for _, n := range []string{"", "-a", "a-", "A", "a_b", "a.b", strings.Repeat("a", 64)} {
		if ValidName(n) {
			t.Errorf("%q accepted", n)
		}
	}
}

// TestVersionsMatchSimulatorBuild keeps the supported versions and the control-plane
// binaries the simulator builds (the Makefile's KUBE_VERSIONS) the same list.
func TestVersionsMatchSimulatorBuild(t *testing.T) {
	b, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^KUBE_VERSIONS \?= (.+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no KUBE_VERSIONS in the Makefile")
	}
	got := strings.Fields(string(m[1]))
	want := KubernetesVersions().Versions
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Makefile builds %v, domain supports %v", got, want)
	}
	if !SupportedVersion(KubernetesVersions().Default) {
		t.Fatal("the default version is not supported")
	}
}
