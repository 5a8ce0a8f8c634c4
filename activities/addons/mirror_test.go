package addons

import "testing"

func TestMirroredSources(t *testing.T) {
	def := DefaultSources()
	if got, err := MirroredSources(""); err != nil || got != def {
		t.Fatalf("no mirror = %+v, %v; want the defaults", got, err)
	}
	cases := map[string]func(Source) bool{
		"https://charts.internal/repo": func(s Source) bool { return s.RepoURL == "https://charts.internal/repo" && s.OCI == "" && s.Dir == "" },
		"oci://registry.internal/ch":   func(s Source) bool { return s.OCI == "oci://registry.internal/ch" && s.RepoURL == "" && s.Dir == "" },
		"/srv/charts":                  func(s Source) bool { return s.Dir == "/srv/charts" && s.RepoURL == "" && s.OCI == "" },
	}
	for location, ok := range cases {
		got, err := MirroredSources(location)
		if err != nil {
			t.Fatalf("%s: %v", location, err)
		}
		if !got.CPI.FollowKubernetesMinor {
			t.Errorf("%s: the mirrored CPI source does not follow the Kubernetes minor", location)
		}
		for _, pair := range [][2]Source{{got.Antrea, def.Antrea}, {got.CPI, def.CPI}, {got.CSI, def.CSI}, {got.KubeSphere, def.KubeSphere}} {
			if !ok(pair[0]) || pair[0].Chart != pair[1].Chart || pair[0].Version != pair[1].Version ||
				pair[0].FollowKubernetesMinor != pair[1].FollowKubernetesMinor {
				t.Errorf("%s: source %+v (upstream %+v)", location, pair[0], pair[1])
			}
		}
	}
	for _, bad := range []string{"ftp://charts.internal", "https://", "http:///path"} {
		if _, err := MirroredSources(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
