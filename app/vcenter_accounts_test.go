package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// vsphereSecrets are the cluster's CPI and CSI Secrets that carry a vCenter account.
var vsphereSecrets = [][2]string{{"kube-system", "vsphere-cloud-secret"}, {"vmware-system-csi", "vsphere-config-secret"}}

// checkSecretsHoldClusterAccount reads the cluster's CPI and CSI Secrets from its API
// server and checks that each carries the vCenter's cluster account with password and
// never the service's account.
func checkSecretsHoldClusterAccount(t *testing.T, env *apptest.Env, cs kubernetes.Interface, password string) {
	t.Helper()
	vc := env.VCenter
	for _, ref := range vsphereSecrets {
		s, err := cs.CoreV1().Secrets(ref[0]).Get(context.Background(), ref[1], metav1.GetOptions{})
		if err != nil {
			t.Fatalf("Secret %s/%s: %v", ref[0], ref[1], err)
		}
		var all strings.Builder
		for k, v := range s.Data {
			all.WriteString(k + "=" + string(v) + "\n")
		}
		text := all.String()
		if !strings.Contains(text, vc.ClusterUsername) || !strings.Contains(text, password) {
			t.Errorf("Secret %s/%s does not carry the cluster account and its current password", ref[0], ref[1])
		}
		if strings.Contains(text, vc.Password) || strings.Contains(text, vc.Username) {
			t.Errorf("Secret %s/%s carries the service's account", ref[0], ref[1])
		}
	}
}

// checkClusterAccountRotation checks the provisioned cluster's vSphere Secrets, rotates
// the cluster account's password (in vCenter, then with PATCH) and reads them again; a
// PATCH with a wrong password is 400 and changes nothing.
func checkClusterAccountRotation(t *testing.T, env *apptest.Env, cs kubernetes.Interface, cluster string) {
	t.Helper()
	vc := env.VCenter
	checkSecretsHoldClusterAccount(t, env, cs, vc.ClusterPassword)

	rotated := "rotated-" + vc.ClusterPassword
	if err := vc.SetPassword(vc.ClusterUsername, rotated); err != nil {
		t.Fatal(err)
	}
	r := env.Do("PATCH", "/api/v1/vcenters/vc1", env.AdminToken, domain.VCenterPatch{ClusterCredentials: &domain.ClusterAccountPatch{Password: rotated}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("PATCH cluster password: %d %s", r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	op := env.WaitOperationFor(reply.Operation.ID, 3*time.Minute)
	steps := apptest.StepStates(op)
	if op.State != domain.OpSucceeded || steps[workflows.StepListClusters] != domain.StepSucceeded ||
		steps[workflows.StepUpdateClusterSecrets+"-"+cluster] != domain.StepSucceeded {
		t.Fatalf("rotation = %s %s; steps %+v", op.State, op.Error, op.Steps)
	}
	env.CheckReplay("vcenter-update", op)
	checkSecretsHoldClusterAccount(t, env, cs, rotated)

	r = env.Do("PATCH", "/api/v1/vcenters/vc1", env.AdminToken, domain.VCenterPatch{ClusterCredentials: &domain.ClusterAccountPatch{Password: "wrong-" + rotated}})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"cluster_credentials.password"`) {
		t.Fatalf("PATCH wrong password: %d %s", r.Status, r.Body)
	}
	checkSecretsHoldClusterAccount(t, env, cs, rotated)
}
