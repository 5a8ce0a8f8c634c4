package nodes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// Temporal error types of the activities. Those marked not retryable are
// returned as non-retryable application errors: no retry can fix them.
const (
	// ErrTypeHostKeyMismatch: the node presented another SSH host key than
	// the one pinned at first contact. Not retryable: a person decides
	// whether the node was replaced (and its key is to be forgotten) or
	// something else answers at its address.
	ErrTypeHostKeyMismatch = "HostKeyMismatch"
	// ErrTypeInvalidInput: the node reference lacks a cluster, name or
	// address. Not retryable.
	ErrTypeInvalidInput = "NodeInvalidInput"
	// ErrTypeNoKey: the cluster has no SSH key, or one that does not parse.
	// Not retryable.
	ErrTypeNoKey = "NodeSSHKeyMissing"
	// ErrTypeAuthFailed: the node refused the cluster's SSH key. Not
	// retryable.
	ErrTypeAuthFailed = "NodeSSHAuthFailed"
	// ErrTypeCommandFailed: a command exited with a non-zero status, or its
	// connection was lost before it exited. Retryable.
	ErrTypeCommandFailed = "NodeCommandFailed"
	// ErrTypeCommandTimeout: a command did not finish within its timeout.
	// Retryable.
	ErrTypeCommandTimeout = "NodeCommandTimeout"
	// ErrTypeBadOutput: a command's output does not parse as the tool's
	// documented format. Not retryable.
	ErrTypeBadOutput = "NodeOutputInvalid"
	// ErrTypeNoControlPlane: the node has no static Pod manifests of a kubeadm
	// control plane, neither in place nor held. Not retryable.
	ErrTypeNoControlPlane = "NodeNoControlPlane"
	// ErrTypeVersionUnavailable: the Kubernetes packages of the version asked
	// for cannot be installed on the node (its package repository has no such
	// version, or no repository for its minor release exists). Not retryable.
	ErrTypeVersionUnavailable = "NodeVersionUnavailable"
	// ErrTypeUpgradeRefused: kubeadm's version policy refused the upgrade (its
	// FATAL message is in the error), or the node runs a newer version than
	// the one asked for (UpgradeNode does not downgrade), or a further control
	// plane was upgraded before the first one. Not retryable.
	ErrTypeUpgradeRefused = "NodeUpgradeRefused"
	// ErrTypeEtcdMemberRefused: the etcd member asked to be removed is the
	// member of the node the command runs on, or its removal would leave the
	// remaining voting members without a healthy quorum. Not retryable.
	ErrTypeEtcdMemberRefused = "EtcdMemberRemovalRefused"
)

// HostKeyMismatchError is a node presenting another host key than the one
// pinned for it.
type HostKeyMismatchError struct {
	ClusterID, Node, Address string
	// Expected is the pinned key's fingerprint, Presented the node's.
	Expected, Presented string
	// ExpectedType and PresentedType are the keys' algorithms.
	ExpectedType, PresentedType string
	// FirstSeen is when the pinned key was first seen, where.
	FirstSeen        time.Time
	FirstSeenAddress string
}

func (e *HostKeyMismatchError) Error() string {
	return fmt.Sprintf("host key mismatch for node %s of cluster %s at %s: presented %s %s, but %s %s was pinned at first contact (%s at %s); "+
		"if the node was replaced, forget its host key first",
		e.Node, e.ClusterID, e.Address, e.PresentedType, e.Presented, e.ExpectedType, e.Expected,
		e.FirstSeen.UTC().Format(time.RFC3339), e.FirstSeenAddress)
}

// CommandError is a command that failed on a node: a non-zero exit status,
// a timeout or a lost connection. Its command line and output are redacted.
type CommandError struct {
	Node, Address string
	// Command is the command line, redacted.
	Command string
	// ExitStatus is the command's exit status; -1 when it has none (timed
	// out, connection lost).
	ExitStatus int
	// TimedOut is set when the command ran longer than Timeout.
	TimedOut bool
	Timeout  time.Duration
	// Output is the end of the command's combined stdout and stderr
	// (at most OutputTail bytes), redacted; OutputBytes is its whole size.
	Output      string
	OutputBytes int64
	outputCut   bool
	// Err is the cause other than an exit status (a lost connection).
	Err error
}

func (e *CommandError) Error() string {
	var what string
	switch {
	case e.TimedOut:
		what = fmt.Sprintf("timed out after %s", e.Timeout)
	case e.ExitStatus >= 0:
		what = fmt.Sprintf("exited with status %d", e.ExitStatus)
	default:
		what = fmt.Sprintf("failed: %v", e.Err)
	}
	return fmt.Sprintf("command %q on node %s (%s) %s; %s", e.Command, e.Node, e.Address, what,
		describeOutput(e.Output, e.OutputBytes, e.outputCut))
}

func (e *CommandError) Unwrap() error { return e.Err }

// nonRetryable is a non-retryable application error of errType.
func nonRetryable(errType, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), errType, nil)
}

// classify turns an error of a node activity into a Temporal application
// error typed by what no retry can fix; others stay retryable. Errors
// already classified and cancellation stay as they are.
func classify(err error) error {
	var appErr *temporal.ApplicationError
	var mismatch *HostKeyMismatchError
	var cmdErr *CommandError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &appErr), errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &mismatch):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeHostKeyMismatch, nil)
	case errors.As(err, &cmdErr) && cmdErr.TimedOut:
		return temporal.NewApplicationError(err.Error(), ErrTypeCommandTimeout)
	case errors.As(err, &cmdErr):
		return temporal.NewApplicationError(err.Error(), ErrTypeCommandFailed)
	case strings.Contains(err.Error(), "unable to authenticate"):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeAuthFailed, nil)
	}
	return err
}
