package idp_test

import (
	"testing"

	"github.com/clusterwright/clusterwright/sim/idp"
)

// TestStartRefusesBadOptions: the provider speaks plain HTTP, so it listens on
// loopback only and sends browsers to http URIs on loopback only.
func TestStartRefusesBadOptions(t *testing.T) {
	user := idp.User{Subject: "u1", Username: "u", Password: "pw"}
	client := idp.Client{ID: "c", RedirectURIs: []string{"http://127.0.0.1:8080/callback"}}
	for name, opts := range map[string]idp.Options{
		"public address":             {Addr: "0.0.0.0:0"},
		"no password":                {Users: []idp.User{{Subject: "u1", Username: "u"}}},
		"duplicate username":         {Users: []idp.User{user, {Subject: "u2", Username: "u", Password: "x"}}},
		"no redirect URI":            {Clients: []idp.Client{{ID: "c"}}},
		"duplicate client":           {Clients: []idp.Client{client, client}},
		"http redirect off loopback": {Clients: []idp.Client{{ID: "c", RedirectURIs: []string{"http://portal.example.test/callback"}}}},
	} {
		if p, err := idp.Start(opts); err == nil {
			_ = p.Close()
			t.Errorf("%s: Start succeeded", name)
		}
	}
	p, err := idp.Start(idp.Options{Users: []idp.User{user}, Clients: []idp.Client{client, {ID: "tls", RedirectURIs: []string{"https://portal.example.test/callback"}}}})
	if err != nil {
		t.Fatalf("valid options: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}
