package main

import (
	"time"

	"github.com/clusterwright/clusterwright/domain"
)

// stateAwaitingDecision is the state of an operation whose step failed after its
// automatic retries and that waits for a person: `ops retry` or `ops cancel`, or its
// decision deadline, after which it compensates by itself.
const stateAwaitingDecision = "AwaitingDecision"

// operation is an operation as the API sends it (GET /api/v1/operations/{id}), with the
// decision a waiting operation carries and the runs and attempts of each step.
type operation struct {
	ID              string        `json:"id"`
	Kind            string        `json:"kind"`
	Target          domain.Target `json:"target"`
	Actor           string        `json:"actor"`
	RequestID       string        `json:"request_id,omitempty"`
	State           string        `json:"state"`
	Error           string        `json:"error,omitempty"`
	OnFailure       string        `json:"on_failure,omitempty"`
	DecisionTimeout string        `json:"decision_timeout,omitempty"`
	Decision        *decision     `json:"decision,omitempty"`
	Steps           []step        `json:"steps"`
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
	FinishedAt      *time.Time    `json:"finished_at,omitempty"`
}

// ended reports whether the operation is over: Succeeded, Failed or Canceled.
func (op operation) ended() bool {
	switch op.State {
	case domain.OpSucceeded, domain.OpFailed, domain.OpCanceled:
		return true
	}
	return false
}

// decision says which step of a waiting operation failed, why, and until when a person
// may decide.
type decision struct {
	Step     string    `json:"step"`
	Reason   string    `json:"reason"`
	Since    time.Time `json:"since"`
	Deadline time.Time `json:"deadline"`
}

// step is one step of an operation; a step retried by a person has one run per try.
type step struct {
	Name       string     `json:"name"`
	State      string     `json:"state"`
	Attempts   int        `json:"attempts"` // every attempt of every run
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
	Runs       []stepRun  `json:"runs,omitempty"`
}

// stepRun is one run of a step: the first, or one a person started with a retry.
type stepRun struct {
	Run        int        `json:"run"`
	State      string     `json:"state"`
	Actor      string     `json:"actor"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
	Attempts   []attempt  `json:"attempts,omitempty"`
}

// attempt is one automatic attempt within a run.
type attempt struct {
	Attempt    int        `json:"attempt"`
	State      string     `json:"state"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
}
