package addons

import (
	"context"
	"errors"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
)

// specAccess is ClusterAccess with a fixed spec and no secrets.
type specAccess struct{ spec domain.ClusterSpec }

func (a specAccess) AdminKubeconfig(context.Context, string) ([]byte, error) { return nil, nil }
func (a specAccess) ClusterSpec(context.Context, string) (domain.ClusterSpec, error) {
	return a.spec, nil
}
func (a specAccess) VCenterConn(context.Context, string) (VCenterConn, error) {
	return VCenterConn{Host: "vc.example.test", Username: "u", Password: "p"}, nil
}
func (a specAccess) KubeSphereAdminPassword(context.Context, string) (string, error) { return "", nil }

// TestReleaseChartVersions checks the chart versions Activities.release
// asks for: CPI's follows the spec's Kubernetes minor, unless the operator
// pinned one; the others stay pinned.
func TestReleaseChartVersions(t *testing.T) {
	mirrored, err := MirroredSources("/srv/charts")
	if err != nil {
		t.Fatal(err)
	}
	pinned := mirrored
	pinned.CPI.Version = "1.35.0"
	for _, tt := range []struct {
		sources    Sources
		k8s        string
		wantCPI    string
		wantCPIDir string
	}{
		{DefaultSources(), "v1.35.8", "1.35.0", ""},
		{DefaultSources(), "v1.36.5", "1.36.0", ""},
		{DefaultSources(), "v1.37.2", "1.37.0", ""},
		{mirrored, "v1.36.5", "1.36.0", "/srv/charts"},
		{pinned, "v1.37.2", "1.35.0", "/srv/charts"},
	} {
		acts := &Activities{
			Installer: &Installer{Sources: tt.sources},
			Clusters:  specAccess{domain.ClusterSpec{KubernetesVersion: tt.k8s, Placement: domain.Placement{Datacenter: "DC0"}}},
		}
		rel, err := acts.release(t.Context(), AddonRequest{ClusterID: "c1", Addon: AddonCPI})
		if err != nil {
			t.Fatal(err)
		}
		if rel.Source.Version != tt.wantCPI || rel.Source.Dir != tt.wantCPIDir || rel.Source.Chart != "vsphere-cpi" {
			t.Errorf("CPI release of a %s cluster from %+v: source %+v, want version %s", tt.k8s, tt.sources.CPI, rel.Source, tt.wantCPI)
		}
		rel, err = acts.release(t.Context(), AddonRequest{ClusterID: "c1", Addon: AddonAntrea})
		if err != nil || rel.Source.Version != AntreaChartVersion {
			t.Errorf("Antrea release of a %s cluster: %+v, %v; want %s", tt.k8s, rel.Source, err, AntreaChartVersion)
		}
	}

	acts := &Activities{Installer: &Installer{Sources: DefaultSources()}, Clusters: specAccess{domain.ClusterSpec{KubernetesVersion: "one-point-six"}}}
	if _, err := acts.release(t.Context(), AddonRequest{ClusterID: "c1", Addon: AddonCPI}); !errors.Is(err, ErrInvalidRelease) {
		t.Errorf("CPI release of a cluster with a bad version: %v, want ErrInvalidRelease", err)
	}
}
