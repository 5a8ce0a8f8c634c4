package domain

import (
	"errors"
	"testing"
)

// TestCheckRestore: a Completed backup of the cluster at its minor version may be
// restored (another patch release is fine); another cluster's, a deleted one and one of
// another minor are refused naming what is wrong.
func TestCheckRestore(t *testing.T) {
	c := Cluster{ID: "c1", Name: "east", Spec: ClusterSpec{KubernetesVersion: "v1.34.2"}}
	ok := Backup{ID: "b1", ClusterID: "c1", State: BackupCompleted, KubernetesVersion: "v1.34.1"}
	if err := CheckRestore(c, ok); err != nil {
		t.Errorf("same minor: %v", err)
	}
	for _, tc := range []struct {
		change func(b *Backup)
		field  string
	}{
		{func(b *Backup) { b.ClusterID = "c2" }, "backup"},
		{func(b *Backup) { b.State = BackupDeleted }, "backup"},
		{func(b *Backup) { b.KubernetesVersion = "v1.33.9" }, "kubernetes_version"},
		{func(b *Backup) { b.KubernetesVersion = "" }, "kubernetes_version"},
	} {
		b := ok
		tc.change(&b)
		var refusal *RestoreRefusedError
		if err := CheckRestore(c, b); !errors.As(err, &refusal) || refusal.Field != tc.field {
			t.Errorf("backup %+v: %v; want a refusal of %s", b, err, tc.field)
		}
	}
	for v, want := range map[string]string{"v1.34.2": "1.34", "1.35.0": "1.35", "v1": "", "": ""} {
		if got := KubernetesMinor(v); got != want {
			t.Errorf("KubernetesMinor(%q) = %q, want %q", v, got, want)
		}
	}
}
