package domain

import (
	"fmt"
	"time"
)

// What an operation does when one of its steps fails after its automatic retries.
const (
	// OnFailureWait keeps what is done and waits for a person: retry the step, or
	// cancel (which compensates). Without a decision before the decision timeout,
	// the operation compensates by itself.
	OnFailureWait = "wait"
	// OnFailureCompensate compensates at once.
	OnFailureCompensate = "compensate"
)

// Bounds and default of the decision timeout.
const (
	MinDecisionTimeout     = time.Second
	MaxDecisionTimeout     = 720 * time.Hour
	DefaultDecisionTimeout = 24 * time.Hour
)

// FailurePolicy is a request's choice of what happens when a step fails: the fields
// on_failure and decision_timeout (a Go duration such as "30m") of every request that
// starts an operation. Failures that no retry can fix end the operation at once whatever
// the policy.
type FailurePolicy struct {
	OnFailure       string `json:"on_failure,omitempty"`
	DecisionTimeout string `json:"decision_timeout,omitempty"`
}

// Defaults fills what the request left out: wait, for timeout.
func (p *FailurePolicy) Defaults(timeout time.Duration) {
	if p.OnFailure == "" {
		p.OnFailure = OnFailureWait
	}
	if p.DecisionTimeout == "" {
		p.DecisionTimeout = timeout.String()
	}
}

// Validate adds a field error for each bad field.
func (p FailurePolicy) Validate(v *ValidationError) {
	switch p.OnFailure {
	case "", OnFailureWait, OnFailureCompensate:
	default:
		v.Add("on_failure", "must be %s or %s", OnFailureWait, OnFailureCompensate)
	}
	if p.DecisionTimeout == "" {
		return
	}
	d, err := time.ParseDuration(p.DecisionTimeout)
	if err != nil || d < MinDecisionTimeout || d > MaxDecisionTimeout {
		v.Add("decision_timeout", "must be a duration such as 30m or 24h, from %s to %s", MinDecisionTimeout, MaxDecisionTimeout)
	}
}

// Waits reports whether a failed step waits for a decision.
func (p FailurePolicy) Waits() bool { return p.OnFailure != OnFailureCompensate }

// Timeout is the decision timeout: DefaultDecisionTimeout when unset or unreadable.
func (p FailurePolicy) Timeout() time.Duration {
	d, err := time.ParseDuration(p.DecisionTimeout)
	if err != nil || d <= 0 {
		return DefaultDecisionTimeout
	}
	return d
}

// ParseDecisionTimeout reads the server's default decision timeout setting.
func ParseDecisionTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < MinDecisionTimeout || d > MaxDecisionTimeout {
		return 0, fmt.Errorf("decision timeout %q: want a duration from %s to %s", s, MinDecisionTimeout, MaxDecisionTimeout)
	}
	return d, nil
}
