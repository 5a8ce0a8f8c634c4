package domain

import (
	"fmt"
	"os"
	"regexp"
	"slices"
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
// binaries the simulator builds (the Makefile's KUBE_VERSIONS, KUBE_DEFAULT_VERSION that
// `make run` builds first, and KUBE_TEST_VERSIONS that `make test` builds: the default and
// the version below it, which upgrade tests start from) the same list. The simulator's
// node templates are checked against it in package sim.
func TestVersionsMatchSimulatorBuild(t *testing.T) {
	b, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	makeVar := func(name string) []string {
		t.Helper()
		m := regexp.MustCompile(`(?m)^` + name + ` \?= (.+)$`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no %s in the Makefile", name)
		}
		return strings.Fields(string(m[1]))
	}
	versions := KubernetesVersions()
	if got := makeVar("KUBE_VERSIONS"); !slices.Equal(got, versions.Versions) {
		t.Errorf("Makefile builds %v, domain supports %v", got, versions.Versions)
	}
	if got := makeVar("KUBE_DEFAULT_VERSION"); !slices.Equal(got, []string{versions.Default}) {
		t.Errorf("Makefile builds %v first, the default version is %s", got, versions.Default)
	}
	if !SupportedVersion(versions.Default) {
		t.Fatal("the default version is not supported")
	}
	older := PreviousVersion(versions.Default)
	if older == "" {
		t.Fatalf("no supported version below the default %s to upgrade from", versions.Default)
	}
	if got, want := makeVar("KUBE_TEST_VERSIONS"), []string{older, versions.Default}; !slices.Equal(got, want) {
		t.Errorf("make test builds %v, want %v (the default and the version below it)", got, want)
	}
}

// TestSupportedVersionsOnePerMinor checks the table: oldest first, one version per
// minor, consecutive minors (upgrades go one minor at a time).
func TestSupportedVersionsOnePerMinor(t *testing.T) {
	vs := KubernetesVersions().Versions
	for i, v := range vs {
		if KubernetesMinor(v) == "" {
			t.Fatalf("%q is no Kubernetes version", v)
		}
		if i == 0 {
			if PreviousVersion(v) != "" {
				t.Errorf("PreviousVersion(%s) = %q, want none (the oldest)", v, PreviousVersion(v))
			}
			continue
		}
		var major, a, b int
		fmt.Sscanf(KubernetesMinor(vs[i-1]), "%d.%d", &major, &a)
		fmt.Sscanf(KubernetesMinor(v), "%d.%d", &major, &b)
		if b != a+1 {
			t.Errorf("%s follows %s: want consecutive minors", v, vs[i-1])
		}
		if got := PreviousVersion(v); got != vs[i-1] {
			t.Errorf("PreviousVersion(%s) = %q, want %s", v, got, vs[i-1])
		}
	}
	if PreviousVersion("v1.0.0") != "" {
		t.Error("PreviousVersion of an unsupported version is not empty")
	}
}
