package addons

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/domain"
)

// Temporal error types of the add-on activities, for workflows and retry
// policies.
const (
	ErrTypeChartNotFound       = "ChartNotFound"
	ErrTypeInvalidChart        = "InvalidChart"
	ErrTypeInvalidValues       = "InvalidValues"
	ErrTypeInvalidRelease      = "InvalidRelease"
	ErrTypeSourceNotConfigured = "ChartSourceNotConfigured"
	ErrTypeInvalidKubeconfig   = "InvalidKubeconfig"
	ErrTypeReleaseNotFound     = "ReleaseNotFound"
	ErrTypeUnreachable         = "Unreachable"
	ErrTypeSourceUnreachable   = "ChartSourceUnreachable"
	ErrTypeReleaseBusy         = "ReleaseBusy"
	ErrTypeNotReady            = "NotReady"
	ErrTypeUnknownAddon        = "UnknownAddon"
	ErrTypeAddonDisabled       = "AddonDisabled"
	ErrTypeNotFound            = "NotFound"
	// ErrTypeNoClusterAccount: the cluster's vCenter has no account for clusters and
	// does not share the service's (a PATCH of the vCenter fixes it; then retry).
	ErrTypeNoClusterAccount = "NoClusterAccount"
)

// errorTypes maps each class to its Temporal type and whether retrying can help.
var errorTypes = []struct {
	class     error
	typ       string
	retryable bool
}{
	{ErrChartNotFound, ErrTypeChartNotFound, false},
	{ErrInvalidChart, ErrTypeInvalidChart, false},
	{ErrInvalidValues, ErrTypeInvalidValues, false},
	{ErrInvalidRelease, ErrTypeInvalidRelease, false},
	{ErrSourceNotConfigured, ErrTypeSourceNotConfigured, false},
	{ErrInvalidKubeconfig, ErrTypeInvalidKubeconfig, false},
	{ErrReleaseNotFound, ErrTypeReleaseNotFound, false},
	{ErrUnknownAddon, ErrTypeUnknownAddon, false},
	{ErrAddonDisabled, ErrTypeAddonDisabled, false},
	{domain.ErrNotFound, ErrTypeNotFound, false},
	{domain.ErrNoClusterAccount, ErrTypeNoClusterAccount, false},
	{ErrUnreachable, ErrTypeUnreachable, true},
	{ErrSourceUnreachable, ErrTypeSourceUnreachable, true},
	{ErrReleaseBusy, ErrTypeReleaseBusy, true},
	{ErrNotReady, ErrTypeNotReady, true},
}

// ActivityError turns an error of this package into a Temporal application
// error typed by its class (ErrType*), non-retryable when retrying cannot
// help. Cancellation and unclassified errors are returned as they are
// (Temporal retries those). The message is err's, which this package has
// already cleared of secrets.
func ActivityError(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err
	}
	for _, t := range errorTypes {
		if errors.Is(err, t.class) {
			return temporal.NewApplicationErrorWithOptions(err.Error(), t.typ, temporal.ApplicationErrorOptions{
				NonRetryable: !t.retryable,
				Cause:        err,
			})
		}
	}
	return err
}
