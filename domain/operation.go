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
	// OpCheckCertificates reads every certificate of a cluster into the inventory;
	// OpRenewCertificates renews the control plane's and the service's own.
	OpCheckCertificates = "cluster.certificate-check"
	OpRenewCertificates = "cluster.certificate-renewal"

	OpFormClusterSet    = "clusterset.form"
	OpJoinClusterSet    = "clusterset.join"
	OpLeaveClusterSet   = "clusterset.leave"
	OpDisbandClusterSet = "clusterset.disband"
)

// Operation states. An operation whose step failed after its automatic retries waits in
// AwaitingDecision for a person to retry the step or cancel (see Decision).
const (
	OpPending          = "Pending"
	OpRunning          = "Running"
	OpAwaitingDecision = "AwaitingDecision"
	OpSucceeded        = "Succeeded"
	OpFailed           = "Failed"
	OpCanceled         = "Canceled"
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
var OperationStates = []string{OpPending, OpRunning, OpAwaitingDecision, OpSucceeded, OpFailed, OpCanceled}

// OperationActive reports whether an operation in state has not ended: it holds its
// target, and it can still be canceled.
func OperationActive(state string) bool {
	return state == OpPending || state == OpRunning || state == OpAwaitingDecision
}

// Target names what an operation acts on.
type Target struct {
	Kind string `json:"kind"` // vcenter, cluster, clusterset
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
}

// Operation is one long-running piece of work: a workflow run as the user sees it.
type Operation struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Target Target `json:"target"`
	// Project is the name of the project of the target; empty for the platform's own
	// operations (on a vCenter, say).
	Project    string          `json:"project,omitempty"`
	Actor      string          `json:"actor"`
	RequestID  string          `json:"request_id,omitempty"`
	State      string          `json:"state"`
	Error      string          `json:"error,omitempty"`
	Params     json.RawMessage `json:"params,omitempty"`
	WorkflowID string          `json:"workflow_id"`
	RunID      string          `json:"run_id,omitempty"`
	FailurePolicy
	// Decision is what the operation waits for while it is AwaitingDecision.
	Decision   *Decision  `json:"decision,omitempty"`
	Steps      []Step     `json:"steps"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// Reserve is what a new operation reserves of its project's quotas while it is
	// active (nil: nothing), set by whoever starts it: the inventory checks it against
	// the quotas as it records the operation (see inventory.Store.CreateOperation). It is
	// not read back nor shown; the project's usage sums the reservations.
	Reserve *Resources `json:"-"`
}

// Decision is the wait of an operation whose step failed: which step, why, since when,
// and when it compensates by itself.
type Decision struct {
	Step     string    `json:"step"`
	Reason   string    `json:"reason"`
	Since    time.Time `json:"since"`
	Deadline time.Time `json:"deadline"`
}

// Step is one named step of an operation, as the operation timeline shows it. Attempts
// counts every attempt of every run; Runs has each run with its attempts.
type Step struct {
	Name       string     `json:"name"`
	State      string     `json:"state"`
	Attempts   int        `json:"attempts"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
	Runs       []StepRun  `json:"runs"`
}

// StepRun is one run of a step: the first, or one started by a person's retry. Actor is
// who started it.
type StepRun struct {
	Run        int           `json:"run"`
	State      string        `json:"state"`
	Actor      string        `json:"actor,omitempty"`
	StartedAt  time.Time     `json:"started_at"`
	FinishedAt *time.Time    `json:"finished_at,omitempty"`
	Error      string        `json:"error,omitempty"`
	Attempts   []StepAttempt `json:"attempts"`
}

// StepAttempt is one automatic attempt within a run: the attempt-th try of the step's
// activities.
type StepAttempt struct {
	Attempt    int        `json:"attempt"`
	State      string     `json:"state"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// AuditEvent is one entry of the append-only audit log.
type AuditEvent struct {
	ID    int64     `json:"id"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	// Subject and Email name the person behind the actor, when a person acted.
	Subject string `json:"subject,omitempty"`
	Email   string `json:"email,omitempty"`
	// Project is the project of the target, when it has one.
	Project   string          `json:"project,omitempty"`
	Action    string          `json:"action"`
	Target    string          `json:"target"`
	RequestID string          `json:"request_id"`
	Outcome   string          `json:"outcome"` // pending, success, failure, denied
	Status    int             `json:"status"`
	Detail    json.RawMessage `json:"detail,omitempty"`
}

// Audit outcomes. A mutating call's event is written as pending before the call runs
// and completed with the call's outcome after it; one left pending is a call whose end
// was not recorded (the server stopped, or the audit log refused the completion).
const (
	OutcomePending = "pending"
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
)

// APIToken is a bearer token's record; the token itself is shown once at creation.
type APIToken struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Project is the name of the project a project token acts in; empty for a
	// platform-wide token (whose role holds in every project) and a person's own token.
	Project string `json:"project,omitempty"`
	// Owner is the sign-in subject of the person whose own token it is (kept by
	// `cwctl login`); it then acts as that person. OwnerEmail is their e-mail.
	Owner      string     `json:"owner,omitempty"`
	OwnerEmail string     `json:"owner_email,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	CreatedBy  string     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// TokenInput is the body of POST /api/v1/tokens.
type TokenInput struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// Project, when set, makes a project token that acts only inside that project.
	Project string `json:"project,omitempty"`
	// ExpiresAt, when set, is when the token stops being accepted; it must be in the future.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Validate checks the token request.
func (in *TokenInput) Validate() error {
	var v ValidationError
	checkName(&v, "name", in.Name)
	if _, err := ParseRole(in.Role); err != nil {
		v.Add("role", "must be one of admin, operator, viewer")
	}
	if in.Project != "" {
		checkName(&v, "project", in.Project)
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(time.Now()) {
		v.Add("expires_at", "must be in the future")
	}
	return v.Err()
}
