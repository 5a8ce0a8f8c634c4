package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
)

// checkHistoryHoldsNoSecrets decodes every payload of the operation's workflow history
// with the service's own codec and checks that none of the cluster's secrets (CA and
// service-account keys, bootstrap token, SSH key, admin kubeconfig, KubeSphere password)
// nor the vCenter password appears in it, in inputs, results or errors.
func checkHistoryHoldsNoSecrets(t *testing.T, env *apptest.Env, op domain.Operation, clusterID string) {
	t.Helper()
	ctx := context.Background()
	var canaries []string
	for _, name := range []string{bootstrap.SecretBootstrapToken, bootstrap.SecretKubeSphereAdminPassword} {
		v, err := env.App.Store.ClusterSecret(ctx, clusterID, name)
		if err != nil {
			t.Fatalf("secret %s: %v", name, err)
		}
		canaries = append(canaries, string(v))
	}
	for _, name := range []string{bootstrap.SecretSSHPrivateKey, bootstrap.SecretAdminKubeconfig} {
		v, err := env.App.Store.ClusterSecret(ctx, clusterID, name)
		if err != nil {
			t.Fatalf("secret %s: %v", name, err)
		}
		canaries = append(canaries, keyLines(string(v))...)
	}
	raw, err := env.App.Store.ClusterSecret(ctx, clusterID, bootstrap.SecretPKI)
	if err != nil {
		t.Fatal(err)
	}
	var files map[string][]byte
	if err := json.Unmarshal(raw, &files); err != nil {
		t.Fatal(err)
	}
	for _, pem := range files {
		if strings.Contains(string(pem), "PRIVATE KEY") {
			canaries = append(canaries, keyLines(string(pem))...)
		}
	}
	canaries = append(canaries, env.VCenter.Password)

	history, err := proto.Marshal(env.History(op))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(history, []byte(clusterID)) {
		t.Fatal("the decoded history does not even name the cluster: decoding failed")
	}
	for _, c := range canaries {
		if len(c) >= 16 && bytes.Contains(history, []byte(c)) {
			t.Errorf("a secret of the cluster appears in the workflow history (%d bytes of it)", len(c))
		}
	}
}

// keyLines returns the base64 body lines of the private keys in a PEM text (or in the
// base64 of a kubeconfig's key data, which the whole string stands for).
func keyLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "client-key-data:") {
			out = append(out, strings.TrimSpace(strings.TrimPrefix(line, "client-key-data:")))
		}
		if len(line) >= 40 && !strings.Contains(line, " ") && !strings.Contains(line, ":") {
			out = append(out, line)
		}
	}
	return out
}
