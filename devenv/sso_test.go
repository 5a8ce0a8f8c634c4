package devenv_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim/idp"
)

// checkSignIn signs alice and bob in through dev mode's simulated provider with the
// passwords of the env file: each lands in the project of their team.
func (p *devProcess) checkSignIn(t *testing.T) {
	t.Helper()
	for user, project := range map[string]string{"alice": "team-a", "bob": "team-b"} {
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := hc.Get(p.env["CLUSTERWRIGHT_SSO_LOGIN_URL"])
		if err != nil || resp.StatusCode != http.StatusFound {
			t.Fatalf("GET %s: %v %v", p.env["CLUSTERWRIGHT_SSO_LOGIN_URL"], resp, err)
		}
		resp.Body.Close()
		password := p.env["CLUSTERWRIGHT_SSO_PASSWORD_"+map[string]string{"alice": "ALICE", "bob": "BOB"}[user]]
		back, err := idp.SignInTo(context.Background(), hc, p.env["CLUSTERWRIGHT_DEV_IDP_URL"], resp.Header.Get("Location"), user, password)
		if err != nil {
			t.Fatalf("sign in as %s: %v", user, err)
		}
		if resp, err = hc.Get(back.String()); err != nil || resp.StatusCode != http.StatusFound {
			t.Fatalf("callback for %s: %v %v", user, resp, err)
		}
		resp.Body.Close()
		resp, err = hc.Get(p.env["CLUSTERWRIGHT_URL"] + "/auth/session")
		if err != nil {
			t.Fatal(err)
		}
		var info struct {
			Session *struct {
				Projects map[string]domain.Role `json:"projects"`
			} `json:"session"`
		}
		err = json.NewDecoder(resp.Body).Decode(&info)
		resp.Body.Close()
		if err != nil || info.Session == nil || len(info.Session.Projects) != 1 || info.Session.Projects[project] != domain.RoleOperator {
			t.Errorf("%s's session: %v %+v", user, err, info.Session)
		}
	}
}
