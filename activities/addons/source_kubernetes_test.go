package addons_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/domain"
)

func TestKubernetesMinorChartVersion(t *testing.T) {
	for k8s, want := range map[string]string{
		"v1.35.8": "1.35.0", "v1.36.5": "1.36.0", "v1.37.2": "1.37.0",
		"1.36.5": "1.36.0", "v1.38.0-rc.1": "1.38.0",
	} {
		if got, err := addons.KubernetesMinorChartVersion(k8s); err != nil || got != want {
			t.Errorf("KubernetesMinorChartVersion(%q) = %q, %v; want %q", k8s, got, err, want)
		}
	}
	for _, bad := range []string{"", "v1.36", "latest", "v2.0.0", "v1.36.5.1"} {
		if got, err := addons.KubernetesMinorChartVersion(bad); !errors.Is(err, addons.ErrInvalidRelease) {
			t.Errorf("KubernetesMinorChartVersion(%q) = %q, %v; want ErrInvalidRelease", bad, got, err)
		}
	}
}

// TestDefaultCPISourceFollowsKubernetes checks the CPI chart version chosen
// for each supported Kubernetes version, and that pinned sources keep
// theirs.
func TestDefaultCPISourceFollowsKubernetes(t *testing.T) {
	def := addons.DefaultSources()
	if !def.CPI.FollowKubernetesMinor || def.CPI.Version != "" {
		t.Fatalf("default CPI source %+v, want it to follow the Kubernetes minor", def.CPI)
	}
	for _, src := range []addons.Source{def.Antrea, def.CSI, def.KubeSphere} {
		if src.FollowKubernetesMinor || src.Version == "" {
			t.Errorf("default source %+v, want a pinned version", src)
		}
	}
	if s := def.CPI.String(); !strings.Contains(s, "vsphere-cpi (of the Kubernetes minor) from https://") {
		t.Errorf("String() = %q", s)
	}

	want := map[string]string{"v1.35.8": "1.35.0", "v1.36.5": "1.36.0", "v1.37.2": "1.37.0"}
	versions := domain.KubernetesVersions()
	if len(versions.Versions) != len(want) {
		t.Fatalf("supported versions %v, want a case for each", versions.Versions)
	}
	for _, k8s := range versions.Versions {
		got, err := def.CPI.ForKubernetes(k8s)
		if err != nil {
			t.Fatal(err)
		}
		wantSrc := def.CPI
		wantSrc.Version = want[k8s]
		if got != wantSrc {
			t.Errorf("CPI source for %s = %+v, want %+v", k8s, got, wantSrc)
		}
	}
	// No version in the spec: the default one, as spec defaults fill in.
	if got, err := def.CPI.ForKubernetes(""); err != nil || got.Version != want[versions.Default] {
		t.Errorf("CPI source for no version = %+v, %v; want %s", got, err, want[versions.Default])
	}
	if _, err := def.CPI.ForKubernetes("v1.x"); !errors.Is(err, addons.ErrInvalidRelease) || !strings.Contains(err.Error(), "vsphere-cpi") {
		t.Errorf("CPI source for a bad version: %v, want ErrInvalidRelease naming the chart", err)
	}

	// An operator's explicit version is kept, following or not; other
	// sources never change.
	pinned := def.CPI
	pinned.Version = "1.33.1"
	notFollowing := addons.Source{Dir: "/srv/charts", Chart: "vsphere-cpi", Version: "1.34.0"}
	for _, src := range []addons.Source{pinned, notFollowing, def.Antrea, {Dir: "/srv/charts", Chart: "vsphere-cpi"}} {
		if got, err := src.ForKubernetes("v1.37.2"); err != nil || got != src {
			t.Errorf("ForKubernetes(%+v) = %+v, %v; want it unchanged", src, got, err)
		}
	}
}
