package devenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/sim/idp"
)

// Single sign-on in dev mode: a simulated OpenID provider (sim/idp) with two teams and a
// platform admin, and the projects the teams' groups map to.
const (
	devClientID = "clusterwright"
	// DevGroupRoles map the simulated provider's groups to project roles.
	DevGroupRoles = "platform-admins=*:admin,team-a=team-a:operator,team-b=team-b:operator"
)

// DevUser is a person of dev mode's simulated identity provider.
type DevUser struct {
	Username, Email, Group, What string
}

// DevUsers sign in to dev mode's portal; their passwords are in the state directory
// (sso-USERNAME.password) and the env file (CLUSTERWRIGHT_SSO_PASSWORD_USERNAME).
var DevUsers = []DevUser{
	{"alice", "alice@example.com", "team-a", "operator of project team-a"},
	{"bob", "bob@example.com", "team-b", "operator of project team-b"},
	{"admin", "admin@example.com", "platform-admins", "platform admin"},
}

// DevProjects are the projects dev mode makes for the teams.
var DevProjects = []string{"team-a", "team-b"}

// devSSO starts the simulated provider for the API at base (its callback registered on
// 127.0.0.1 and localhost), makes the teams' projects, and returns the API's single
// sign-on settings and the env file's entries.
func devSSO(ctx context.Context, state, base string, store *inventory.Store, logger *slog.Logger) (*idp.Provider, *api.SSOConfig, map[string]string, error) {
	roles, err := domain.ParseGroupRoles(DevGroupRoles)
	if err != nil {
		return nil, nil, nil, err
	}
	env := map[string]string{}
	var users []idp.User
	var names []string
	for _, u := range DevUsers {
		pw, err := persistentSecret(filepath.Join(state, "sso-"+u.Username+".password"), "")
		if err != nil {
			return nil, nil, nil, fmt.Errorf("dev sign-in password: %w", err)
		}
		users = append(users, idp.User{Subject: "dev-" + u.Username, Username: u.Username, Email: u.Email, Name: u.Username,
			Password: pw, Groups: []string{u.Group}})
		env["CLUSTERWRIGHT_SSO_PASSWORD_"+strings.ToUpper(u.Username)] = pw
		names = append(names, u.Username+" ("+u.What+")")
	}
	host, port, err := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://"))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dev sign-in: %w", err)
	}
	scheme, _, _ := strings.Cut(base, "://")
	var redirects []string
	for _, h := range []string{"127.0.0.1", "localhost", host} {
		if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
			continue // the provider takes loopback redirects only
		}
		redirects = append(redirects, scheme+"://"+net.JoinHostPort(h, port)+"/auth/callback")
	}
	prov, err := idp.Start(idp.Options{Users: users, Clients: []idp.Client{{ID: devClientID, RedirectURIs: redirects}}, Logger: logger})
	if err != nil {
		return nil, nil, nil, err
	}
	for _, name := range DevProjects {
		if _, err := store.GetProject(ctx, name); err == nil {
			continue
		} else if !errors.Is(err, domain.ErrNotFound) {
			prov.Close()
			return nil, nil, nil, err
		}
		// Dev has one simulated vCenter and pool: each team may use all of it.
		in := domain.ProjectInput{Name: name, Description: "dev mode: the project of group " + name,
			VCenters: []string{domain.AllowAll}, IPPools: []string{domain.AllowAll},
			Placements: []domain.PlacementScope{{VCenter: domain.AllowAll, Datacenter: domain.AllowAll, ComputeCluster: domain.AllowAll}}}
		if err := in.Validate(); err != nil {
			prov.Close()
			return nil, nil, nil, err
		}
		if _, err := store.CreateProject(ctx, in, "dev"); err != nil && !errors.Is(err, domain.ErrConflict) {
			prov.Close()
			return nil, nil, nil, fmt.Errorf("dev project %s: %w", name, err)
		}
	}
	env["CLUSTERWRIGHT_DEV_IDP_URL"] = prov.Issuer()
	env["CLUSTERWRIGHT_SSO_LOGIN_URL"] = base + "/auth/login"
	env["CLUSTERWRIGHT_SSO_USERS"] = strings.Join(names, ", ")
	return prov, &api.SSOConfig{IssuerURL: prov.Issuer(), ClientID: devClientID, GroupRoles: roles}, env, nil
}
