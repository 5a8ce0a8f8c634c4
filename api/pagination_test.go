package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// TestListsPaginate walks every name-ordered list two items at a time.
func TestListsPaginate(t *testing.T) {
	env := apptest.Start(t)
	for i := range 5 {
		in := domain.IPPoolInput{Name: fmt.Sprintf("pool-%d", i), CIDR: fmt.Sprintf("10.%d.0.0/24", i), RangeStart: fmt.Sprintf("10.%d.0.10", i), RangeEnd: fmt.Sprintf("10.%d.0.20", i)}
		if r := env.Do("POST", "/api/v1/ippools", env.AdminToken, in); r.Status != http.StatusCreated {
			t.Fatalf("create pool: %d %s", r.Status, r.Body)
		}
		env.Token(fmt.Sprintf("user-%d", i), domain.RoleViewer)
	}
	for path, want := range map[string]int{"/api/v1/ippools": 5, "/api/v1/tokens": 6} {
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			var page struct {
				Items      []struct{ Name string }
				NextCursor string `json:"next_cursor"`
			}
			r := env.Do("GET", path+"?limit=2&cursor="+cursor, env.AdminToken, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", path, r.Status, r.Body)
			}
			r.JSON(t, &page)
			if len(page.Items) > 2 || pages > want {
				t.Fatalf("%s: page of %d, %d pages", path, len(page.Items), pages)
			}
			for _, it := range page.Items {
				if seen[it.Name] {
					t.Fatalf("%s: %s twice", path, it.Name)
				}
				seen[it.Name] = true
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if len(seen) != want {
			t.Errorf("%s: saw %d items, want %d", path, len(seen), want)
		}
	}
	if r := env.Do("GET", "/api/v1/vcenters?limit=0", env.AdminToken, nil); r.Status != http.StatusBadRequest {
		t.Errorf("limit=0: %d", r.Status)
	}
	if r := env.Do("GET", "/api/v1/vcenters?cursor=@@", env.AdminToken, nil); r.Status != http.StatusBadRequest {
		t.Errorf("bad cursor: %d", r.Status)
	}
}
