package domain

import (
	"encoding/json"
	"time"
)

// Operation kinds: one per long-running workflow type.
const (
	OpSyncInventory    = "vcenter.sync"
	OpProvisionCluster = "cluster.provision"
	OpDeleteCluster    = "cluster.delete"
)

// Operation states.
const (
	OpPending   = "Pending"
	OpRunning   = "Running"
	OpSucceeded = "Succeeded"
	OpFailed    = "Failed"
	OpCanceled  = "Canceled"
)

// Step states (an operation's states plus Skipped).
const (
	StepPending   = "Pending"
	StepRunning   = "Running"
	StepSucceeded = "Succeeded"
	StepFailed    = "Failed"
	StepCanceled  = "Canceled"
	StepSkipped   = "Skipped"
)

// OperationStates lists the states a client may filter on.
var OperationStates = []string{OpPending, OpRunning, OpSucceeded, OpFailed, OpCanceled}

// Target names what an operation acts on.
type Target struct {
	Kind string `json:"kind"` // vcenter, cluster, clusterset
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
}

// Operation is one long-running piece of work: a workflow run as the user sees it.
type Operation struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	Target     Target          `json:"target"`
	Actor      string          `json:"actor"`
	RequestID  string          `json:"request_id,omitempty"`
	State      string          `json:"state"`
	Error      string          `json:"error,omitempty"`
	Params     json.RawMessage `json:"params,omitempty"`
	WorkflowID string          `json:"workflow_id"`
	RunID      string          `json:"run_id,omitempty"`
	Steps      []Step          `json:"steps"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

// Step is one named step of an operation, as the operation timeline shows it.
type Step struct {
	Name       string     `json:"name"`
	State      string     `json:"state"`
	Attempts   int        `json:"attempts"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// AuditEvent is one entry of the append-only audit log.
type AuditEvent struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor"`
	Action    string          `json:"action"`
	Target    string          `json:"target"`
	RequestID string          `json:"request_id"`
	Outcome   string          `json:"outcome"` // success, failure, denied
	Status    int             `json:"status"`
	Detail    json.RawMessage `json:"detail,omitempty"`
}

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
)

// APIToken is a bearer token's record; the token itself is shown once at creation.
type APIToken struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	CreatedBy  string     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// TokenInput is the body of POST /api/v1/tokens.
type TokenInput struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// Validate checks the token request.
func (in *TokenInput) Validate() error {
	var v ValidationError
	checkName(&v, "name", in.Name)
	if _, err := ParseRole(in.Role); err != nil {
		v.Add("role", "must be one of admin, operator, viewer")
	}
	return v.Err()
}
