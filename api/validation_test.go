package api_test

import (
	"context"
	"net/http"
	"sort"
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// TestBadInputNamesFieldsAndWritesNothing sends bad bodies to every POST that takes one:
// each reply is 400 or 422 naming exactly the bad fields, and no row is written.
func TestBadInputNamesFieldsAndWritesNothing(t *testing.T) {
	env := apptest.Start(t)
	good := env.VCenterInput("vc1")
	cases := []struct {
		name, path string
		body       any
		fields     []string
	}{
		{"token empty", "/api/v1/tokens", `{}`, []string{"name", "role"}},
		{"token bad values", "/api/v1/tokens", domain.TokenInput{Name: "Not A Name", Role: "root"}, []string{"name", "role"}},
		{"token unknown field", "/api/v1/tokens", `{"name":"a","role":"viewer","admin":true}`, []string{"admin"}},
		{"token wrong type", "/api/v1/tokens", `{"name":1,"role":"viewer"}`, []string{"name"}},
		{"not json", "/api/v1/tokens", `{"name":`, []string{"body"}},
		{"empty body", "/api/v1/tokens", ``, []string{"body"}},
		{"trailing data", "/api/v1/tokens", `{"name":"a","role":"viewer"} {}`, []string{"body"}},
		{"trailing brace", "/api/v1/tokens", `{"name":"a","role":"viewer"}}`, []string{"body"}},
		{"vcenter empty", "/api/v1/vcenters", `{}`, []string{"name", "password", "server", "username"}},
		{"vcenter http and thumbprint", "/api/v1/vcenters", domain.VCenterInput{Name: "vc1", Server: "http://vc/sdk",
			Username: "u", Password: "p", Thumbprint: "nope"}, []string{"server", "thumbprint"}},
		{"vcenter wrong type", "/api/v1/vcenters", `{"name":"vc1","server":"x","username":"u","password":"p","insecure":"yes"}`, []string{"insecure"}},
		{"ippool empty", "/api/v1/ippools", `{}`, []string{"cidr", "name", "range_end", "range_start"}},
		{"ippool outside", "/api/v1/ippools", domain.IPPoolInput{Name: "p", CIDR: "10.0.0.0/24", RangeStart: "10.0.1.1",
			RangeEnd: "10.0.0.9", Gateway: "10.0.9.1", DNS: []string{"8.8.8.8", "dns.example"}},
			[]string{"dns[1]", "gateway", "range_end", "range_start"}},
		// Fields of the embedded spec are named by their JSON path alone.
		{"cluster wrong nested type", "/api/v1/clusters", `{"name":"a","network":{"pod_cidr":5}}`, []string{"network.pod_cidr"}},
		{"clusterset wrong type", "/api/v1/clustersets", `{"name":"a","leader":"b","members":"c"}`, []string{"members"}},
		{"ippool host bits", "/api/v1/ippools", domain.IPPoolInput{Name: "p", CIDR: "10.0.0.1/24", RangeStart: "10.0.0.10", RangeEnd: "10.0.0.20"}, []string{"cidr"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := env.Do("POST", c.path, env.AdminToken, c.body)
			if r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			var p struct {
				Type   string
				Status int
				Errors []domain.FieldError
			}
			r.JSON(t, &p)
			var got []string
			for _, e := range p.Errors {
				if e.Message == "" {
					t.Errorf("field %s has no message", e.Field)
				}
				got = append(got, e.Field)
			}
			sort.Strings(got)
			if p.Status != r.Status || len(got) != len(c.fields) {
				t.Fatalf("fields %v, want %v: %s", got, c.fields, r.Body)
			}
			for i := range got {
				if got[i] != c.fields[i] {
					t.Fatalf("fields %v, want %v", got, c.fields)
				}
			}
		})
	}
	if r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, good); r.Status != http.StatusCreated {
		t.Fatalf("a good registration after the bad ones: %d %s", r.Status, r.Body)
	}
	if r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, good); r.Status != http.StatusConflict {
		t.Fatalf("a second registration of the same name: %d %s", r.Status, r.Body)
	}
	// Nothing but the one good registration (and its sync operation) was written.
	ctx := context.Background()
	for table, want := range map[string]int{"api_tokens": 1, "vcenters": 1, "ip_pools": 0, "operations": 1} {
		var n int
		if err := env.App.Store.Pool().QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s has %d rows, want %d", table, n, want)
		}
	}
}
