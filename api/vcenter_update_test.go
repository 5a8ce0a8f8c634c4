package api_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// problemFields returns the fields a problem reply names.
func problemFields(t *testing.T, r apptest.Response) []string {
	t.Helper()
	var p struct{ Errors []domain.FieldError }
	r.JSON(t, &p)
	var out []string
	for _, f := range p.Errors {
		out = append(out, f.Field)
	}
	return out
}

// grantClusterUser gives the simulator's cluster user a role of privileges on the root
// folder instead of sim.ClusterRole (nil gives sim.ClusterRole back).
func grantClusterUser(t *testing.T, env *apptest.Env, role string, privileges []string) {
	t.Helper()
	ctx := context.Background()
	u := env.VCenter.URL()
	u.User = apptest.URLUser(env)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout(ctx)
	authz := object.NewAuthorizationManager(c.Client)
	if privileges != nil {
		if _, err := authz.AddRole(ctx, role, privileges); err != nil {
			t.Fatal(err)
		}
	}
	roles, err := authz.RoleList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root := c.ServiceContent.RootFolder
	perms, err := authz.RetrieveEntityPermissions(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	perms = slices.DeleteFunc(perms, func(p types.Permission) bool { return p.Principal == env.VCenter.ClusterUsername })
	perms = append(perms, types.Permission{Entity: &root, Principal: env.VCenter.ClusterUsername, RoleId: roles.ByName(role).RoleId, Propagate: true})
	if err := authz.SetEntityPermissions(ctx, root, perms); err != nil {
		t.Fatal(err)
	}
}

// TestVCenterClusterAccounts registers vCenters with a cluster account, with the
// service's shared on purpose and with neither, refuses cluster accounts that cannot
// log in or may provision VMs, and changes passwords with PATCH: a wrong one is 400 and
// changes nothing, a right one is saved and starts the operation that updates the
// clusters' Secrets (none here: it succeeds after listing them).
func TestVCenterClusterAccounts(t *testing.T) {
	env := apptest.Start(t)
	ctx := context.Background()
	vc := env.VCenter
	secrets := []string{vc.Password, vc.ClusterPassword}

	// The service's own account as the cluster account, by name: refused before login.
	in := env.VCenterInput("same")
	in.ClusterCredentials.Username = strings.ToUpper(vc.Username)
	if r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, in); r.Status != http.StatusBadRequest ||
		!slices.Contains(problemFields(t, r), "cluster_credentials.username") {
		t.Fatalf("service account as cluster account: %d %s", r.Status, r.Body)
	}
	// Both a cluster account and sharing: refused.
	in = env.VCenterInput("both")
	in.ShareServiceAccountWithClusters = true
	if r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, in); r.Status != http.StatusBadRequest ||
		!slices.Contains(problemFields(t, r), "share_service_account_with_clusters") {
		t.Fatalf("cluster account and sharing: %d %s", r.Status, r.Body)
	}
	// A cluster password vCenter refuses.
	in = env.VCenterInput("badpw")
	in.ClusterCredentials.Password = "wrong-" + vc.ClusterPassword
	if r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, in); r.Status != http.StatusUnprocessableEntity ||
		!slices.Equal(problemFields(t, r), []string{"cluster_credentials.password"}) {
		t.Fatalf("wrong cluster password: %d %s", r.Status, r.Body)
	}
	// A cluster account that may clone and delete VMs: refused, naming the privileges.
	grantClusterUser(t, env, "too-much", append(slices.Clone(sim.ClusterRolePrivileges),
		"VirtualMachine.Provisioning.Clone", "VirtualMachine.Inventory.Delete"))
	r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, env.VCenterInput("toomuch"))
	if r.Status != http.StatusUnprocessableEntity || !slices.Equal(problemFields(t, r), []string{"cluster_credentials"}) ||
		!bytes.Contains(r.Body, []byte("VirtualMachine.Provisioning.Clone, VirtualMachine.Inventory.Delete")) {
		t.Fatalf("cluster account with provisioning privileges: %d %s", r.Status, r.Body)
	}
	grantClusterUser(t, env, sim.ClusterRole, nil)
	if _, err := env.App.Store.GetVCenter(ctx, "toomuch"); err == nil {
		t.Fatal("a refused registration was saved")
	}

	// The least-privileged cluster user: registered, shown by name only.
	env.RegisterVCenter("vc1")
	var v domain.VCenter
	r = env.Do("GET", "/api/v1/vcenters/vc1", env.AdminToken, nil)
	r.JSON(t, &v)
	if v.ClusterCredentials == nil || v.ClusterCredentials.Username != vc.ClusterUsername || v.ShareServiceAccountWithClusters || len(v.Warnings) != 0 {
		t.Fatalf("vc1 = %s", r.Body)
	}
	// Shared on purpose, and neither: registered, with a warning each.
	shared := env.VCenterInput("shared")
	shared.ClusterCredentials, shared.ShareServiceAccountWithClusters = nil, true
	none := env.VCenterInput("none")
	none.ClusterCredentials = nil
	for _, reg := range []domain.VCenterInput{shared, none} {
		if r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, reg); r.Status != http.StatusCreated {
			t.Fatalf("register %s: %d %s", reg.Name, r.Status, r.Body)
		}
	}
	var list struct{ Items []domain.VCenter }
	r = env.Do("GET", "/api/v1/vcenters", env.AdminToken, nil)
	r.JSON(t, &list)
	warnings := map[string]string{}
	for _, it := range list.Items {
		warnings[it.Name] = strings.Join(it.Warnings, "; ")
	}
	if !strings.Contains(warnings["shared"], "clusters receive the service account") ||
		!strings.Contains(warnings["none"], "no cluster account") || warnings["vc1"] != "" {
		t.Fatalf("warnings = %v", warnings)
	}
	for _, s := range secrets {
		if bytes.Contains(r.Body, []byte(s)) {
			t.Fatal("GET /vcenters carries a password")
		}
	}

	// Who may patch: admins only.
	op := env.Token("op", domain.RoleOperator)
	if r := env.Do("PATCH", "/api/v1/vcenters/vc1", op, `{"insecure": true}`); r.Status != http.StatusForbidden {
		t.Fatalf("operator PATCH = %d", r.Status)
	}
	// Wrong passwords: 400 naming the field, nothing saved, no operation.
	before, _ := env.App.Store.ClusterAccountCredentials(ctx, v.ID)
	for body, field := range map[string]string{
		`{"cluster_credentials": {"password": "wrong"}}`: "cluster_credentials.password",
		`{"password": "wrong"}`:                          "password",
		`{}`:                                             "body",
		`{"share_service_account_with_clusters": true}`: "share_service_account_with_clusters",
	} {
		r := env.Do("PATCH", "/api/v1/vcenters/vc1", env.AdminToken, body)
		if r.Status != http.StatusBadRequest || !slices.Contains(problemFields(t, r), field) {
			t.Errorf("PATCH %s = %d %s; want 400 naming %s", body, r.Status, r.Body, field)
		}
	}
	after, _ := env.App.Store.ClusterAccountCredentials(ctx, v.ID)
	svc, _ := env.App.Store.VCenterCredentials(ctx, v.ID)
	if after.Password != before.Password || svc.Password != vc.Password {
		t.Fatal("a refused PATCH changed a password")
	}

	// Rotated in vCenter, then here: saved, and the operation succeeds with no cluster.
	newPassword := "rotated-" + vc.ClusterPassword
	if err := vc.SetPassword(vc.ClusterUsername, newPassword); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, newPassword)
	r = env.Do("PATCH", "/api/v1/vcenters/vc1", env.AdminToken, domain.VCenterPatch{ClusterCredentials: &domain.ClusterAccountPatch{Password: newPassword}})
	if r.Status != http.StatusAccepted || r.Header.Get("Location") == "" {
		t.Fatalf("PATCH cluster password: %d %s", r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	done := env.WaitOperation(reply.Operation.ID)
	if done.State != domain.OpSucceeded || done.Kind != domain.OpUpdateVCenterCredentials || len(done.Steps) != 1 ||
		done.Steps[0].Name != workflows.StepListClusters || !strings.Contains(string(done.Params), "cluster_credentials") {
		t.Fatalf("update operation = %+v", done)
	}
	env.CheckReplay("vcenter-update-no-clusters", done)
	if got, _ := env.App.Store.ClusterAccountCredentials(ctx, v.ID); got.Password != newPassword || got.Username != vc.ClusterUsername {
		t.Fatal("the new cluster password was not saved")
	}

	// Stop sharing only with an account; give the vCenter without one an account.
	if r := env.Do("PATCH", "/api/v1/vcenters/shared", env.AdminToken, `{"share_service_account_with_clusters": false}`); r.Status != http.StatusBadRequest {
		t.Errorf("stop sharing without an account = %d %s", r.Status, r.Body)
	}
	r = env.Do("PATCH", "/api/v1/vcenters/none", env.AdminToken, domain.VCenterPatch{ClusterCredentials: &domain.ClusterAccountPatch{Username: vc.ClusterUsername, Password: newPassword}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("PATCH none: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &reply)
	env.WaitOperation(reply.Operation.ID)
	env.Do("GET", "/api/v1/vcenters/none", env.AdminToken, nil).JSON(t, &v)
	if v.ClusterCredentials == nil || len(v.Warnings) != 0 {
		t.Fatalf("none after PATCH = %+v", v)
	}

	// Audited, without a secret.
	r = env.Do("GET", "/api/v1/audit?limit=100", env.AdminToken, nil)
	if !bytes.Contains(r.Body, []byte(`"vcenter.update"`)) {
		t.Errorf("no vcenter.update audit event: %s", r.Body)
	}
	for _, s := range secrets {
		if bytes.Contains(r.Body, []byte(s)) || strings.Contains(env.Logs.String(), s) {
			t.Fatal("a password is in the audit log or the logs")
		}
	}
}

// TestVCenterPatchBusy: a PATCH while the vCenter's sync runs is 409 and saves nothing.
func TestVCenterPatchBusy(t *testing.T) {
	env := apptest.StartWith(t, apptest.Options{VCenter: sim.VCenterOptions{Customize: slowInventory}})
	r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, env.VCenterInput("slow"))
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var created struct{ Operation domain.Operation }
	r.JSON(t, &created)
	r = env.Do("PATCH", "/api/v1/vcenters/slow", env.AdminToken, domain.VCenterPatch{Thumbprint: &env.VCenter.Thumbprint})
	if r.Status != http.StatusConflict || !bytes.Contains(r.Body, []byte(created.Operation.ID)) {
		t.Fatalf("PATCH while the sync runs: %d %s", r.Status, r.Body)
	}
	var v domain.VCenter
	env.Do("GET", "/api/v1/vcenters/slow", env.AdminToken, nil).JSON(t, &v)
	if v.Thumbprint != "" {
		t.Fatalf("a refused PATCH was saved: %+v", v)
	}
	env.WaitOperation(created.Operation.ID)
}
