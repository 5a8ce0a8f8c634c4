package nodes

import (
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// TestRegister registers the activities as the worker does and runs one
// through Temporal's test environment: a bad reference fails with the
// non-retryable type before any key is read or node dialed.
func TestRegister(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(&Activities{})
	_, err := env.ExecuteActivity("EtcdHealth", NodeRef{ClusterID: "c1", Node: "n1"})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrTypeInvalidInput || !appErr.NonRetryable() {
		t.Fatalf("EtcdHealth without address: %v", err)
	}
	for name, input := range map[string]any{
		"UpgradeNode":      UpgradeNodeInput{Node: NodeRef{ClusterID: "c1", Node: "n1", Address: "127.0.0.1"}, Version: "1.37"},
		"EtcdMembers":      NodeRef{ClusterID: "c1"},
		"RemoveEtcdMember": RemoveEtcdMemberInput{Node: NodeRef{ClusterID: "c1", Node: "n1", Address: "127.0.0.1"}},
	} {
		_, err := env.ExecuteActivity(name, input)
		if !errors.As(err, &appErr) || appErr.Type() != ErrTypeInvalidInput || !appErr.NonRetryable() {
			t.Errorf("%s with a bad input: %v", name, err)
		}
	}
	if _, err := env.ExecuteActivity("open", NodeRef{}); err == nil {
		t.Error("the session opener is registered as an activity")
	}
}
