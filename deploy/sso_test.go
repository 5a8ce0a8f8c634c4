package deploy

import (
	"path/filepath"
	"testing"
)

// TestChartSSO checks that the chart's sso values reach serve (and not the worker), with
// values.yaml's defaults equal to the server's, and that a client secret is mounted as
// the file the setting names.
func TestChartSSO(t *testing.T) {
	defaults := settingDefaults()
	values := readYAML(t, filepath.Join(chartDir, "values.yaml"))
	for env, key := range map[string]string{"CLUSTERWRIGHT_OIDC_CLIENT_ID": "clientID", "CLUSTERWRIGHT_OIDC_SCOPES": "scopes",
		"CLUSTERWRIGHT_OIDC_GROUPS_CLAIM": "groupsClaim", "CLUSTERWRIGHT_SESSION_TTL": "sessionTTL", "CLUSTERWRIGHT_LOGIN_TOKEN_TTL": "loginTokenTTL"} {
		if got := str(get(values, "sso", key)); !sameValue(got, defaults[env]) {
			t.Errorf("values.yaml sso.%s = %q, want the server's default of %s, %q", key, got, env, defaults[env])
		}
	}
	serve, _ := renderDeployments(t, nil)
	if v, ok := env(serve, "CLUSTERWRIGHT_OIDC_ISSUER_URL"); ok {
		t.Errorf("single sign-on is on by default: issuer %q", v)
	}

	serve, worker := renderDeployments(t, map[string]any{"sso": map[string]any{
		"issuerURL": "https://idp.example.com", "clientID": "cw", "clientSecret": map[string]any{"existingSecret": "cw-oidc"},
		"publicURL": "https://cw.example.com", "scopes": "openid,email", "groupsClaim": "roles", "groupRoles": "admins=*:admin",
		"sessionTTL": "4h", "loginTokenTTL": "1h"}})
	checkEnv(t, serve, map[string]string{
		"CLUSTERWRIGHT_OIDC_ISSUER_URL": "https://idp.example.com", "CLUSTERWRIGHT_OIDC_CLIENT_ID": "cw",
		"CLUSTERWRIGHT_OIDC_CLIENT_SECRET_FILE": "/etc/clusterwright/oidc/client-secret", "CLUSTERWRIGHT_PUBLIC_URL": "https://cw.example.com",
		"CLUSTERWRIGHT_OIDC_SCOPES": "openid,email", "CLUSTERWRIGHT_OIDC_GROUPS_CLAIM": "roles", "CLUSTERWRIGHT_OIDC_GROUP_ROLES": "admins=*:admin",
		"CLUSTERWRIGHT_SESSION_TTL": "4h", "CLUSTERWRIGHT_LOGIN_TOKEN_TTL": "1h",
	})
	if v, ok := env(worker, "CLUSTERWRIGHT_OIDC_ISSUER_URL"); ok {
		t.Errorf("the worker, which serves no API, got the issuer %q", v)
	}
	mounted := false
	for _, m := range serve.Spec.Template.Spec.Containers[0].VolumeMounts {
		if m.Name == "oidc-client-secret" && m.MountPath == "/etc/clusterwright/oidc" && m.ReadOnly {
			mounted = true
		}
	}
	secret := false
	for _, v := range serve.Spec.Template.Spec.Volumes {
		if v.Name == "oidc-client-secret" && v.Secret != nil && v.Secret.SecretName == "cw-oidc" {
			secret = true
		}
	}
	if !mounted || !secret {
		t.Errorf("client secret: mounted %v, volume of Secret cw-oidc %v", mounted, secret)
	}
}
