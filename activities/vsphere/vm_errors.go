package vsphere

import (
	"context"
	"errors"
	"reflect"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/types"
	"go.temporal.io/sdk/temporal"
)

// Classes of VM operation failures. Errors of the VM functions wrap one of
// them (test with errors.Is) or a vCenter fault.
var (
	// ErrInvalidVMRequest: the request itself is malformed; retrying cannot help.
	ErrInvalidVMRequest = errors.New("invalid VM request")
	// ErrVMNameTaken: a VM of the requested name exists in the target folder
	// and does not carry this cluster's marker.
	ErrVMNameTaken = errors.New("VM name taken by a VM that does not belong to the cluster")
	// ErrVMNotOwned: the VM does not carry this cluster's marker, so it is
	// left alone.
	ErrVMNotOwned = errors.New("VM does not belong to the cluster")
	// ErrVMNotFound: no such VM.
	ErrVMNotFound = errors.New("VM not found")
	// ErrVMPoweredOff: the VM is powered off, so it will not get an address.
	ErrVMPoweredOff = errors.New("VM is powered off")
	// ErrUnsupported: vCenter or the template cannot do what the request
	// needs (e.g. the hardware version is not supported by the hosts).
	ErrUnsupported = errors.New("not supported")
	// ErrGuestInfo: the guestinfo of a VM could not be obtained.
	ErrGuestInfo = errors.New("guestinfo unavailable")
	// ErrNotEnoughHosts: the compute cluster has fewer usable ESXi hosts
	// (connected, not in maintenance mode, reaching the VMs' datastores)
	// than VMs to keep apart.
	ErrNotEnoughHosts = errors.New("not enough ESXi hosts to keep the VMs apart")
)

// Temporal error types of the VM activities, besides those of activities.go.
// vCenter faults are reported with their fault type as error type (e.g.
// "FileLocked", "InsufficientResourcesFault"), retryable unless permanent.
const (
	ErrTypePlacementNotFound = "PlacementNotFound"
	ErrTypePlacementInvalid  = "PlacementInvalid"
	ErrTypeInvalidVMRequest  = "InvalidVMRequest"
	ErrTypeVMNameTaken       = "VMNameTaken"
	ErrTypeVMNotOwned        = "VMNotOwned"
	ErrTypeVMNotFound        = "VMNotFound"
	ErrTypeVMPoweredOff      = "VMPoweredOff"
	ErrTypeUnsupported       = "Unsupported"
	ErrTypeGuestInfo         = "GuestInfoUnavailable"
	ErrTypeNotEnoughHosts    = "NotEnoughHosts"
)

// vmActivityError turns an error of a VM function into what the activity
// returns: a non-retryable application error for the classes above and
// permanent vCenter faults, a retryable one typed after the fault for other
// vCenter faults, and activityError's classification otherwise. secrets are
// masked from the message and from the error chain Temporal records.
func vmActivityError(err error, secrets GuestInfoValues) error {
	if err == nil {
		return nil
	}
	clean := scrub(err, secrets)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return clean // Temporal reports the activity cancelled or timed out
	}
	nonRetryable := func(class error, typ string, details ...any) error {
		return temporal.NewNonRetryableApplicationError(class.Error(), typ, clean, details...)
	}
	var perr *PlacementError
	switch {
	case errors.As(err, &perr):
		if perr.NotFound {
			return nonRetryable(ErrPlacementNotFound, ErrTypePlacementNotFound, perr.Field)
		}
		return nonRetryable(ErrPlacementInvalid, ErrTypePlacementInvalid, perr.Field)
	case errors.Is(err, ErrInvalidVMRequest):
		return nonRetryable(ErrInvalidVMRequest, ErrTypeInvalidVMRequest)
	case errors.Is(err, ErrVMNameTaken):
		return nonRetryable(ErrVMNameTaken, ErrTypeVMNameTaken)
	case errors.Is(err, ErrVMNotOwned):
		return nonRetryable(ErrVMNotOwned, ErrTypeVMNotOwned)
	case errors.Is(err, ErrVMNotFound):
		return nonRetryable(ErrVMNotFound, ErrTypeVMNotFound)
	case errors.Is(err, ErrVMPoweredOff):
		return nonRetryable(ErrVMPoweredOff, ErrTypeVMPoweredOff)
	case errors.Is(err, ErrUnsupported):
		return nonRetryable(ErrUnsupported, ErrTypeUnsupported)
	case errors.Is(err, ErrNotEnoughHosts):
		return nonRetryable(ErrNotEnoughHosts, ErrTypeNotEnoughHosts)
	}
	if f := vimFault(err); f != nil {
		name := faultType(f)
		if permanentFault(f) {
			return temporal.NewNonRetryableApplicationError("vCenter fault "+name, name, clean)
		}
		return temporal.NewApplicationErrorWithCause("vCenter fault "+name, name, clean)
	}
	return activityError(classify(clean))
}

// permanentFault reports whether retrying a call that failed with f cannot
// help without someone changing vCenter or the request.
func permanentFault(f types.BaseMethodFault) bool {
	switch f.(type) {
	case *types.NoPermission, *types.NotSupported, *types.InvalidArgument,
		*types.InvalidDeviceSpec, *types.DeviceUnsupportedForVmVersion,
		*types.InvalidName, *types.InvalidDatastorePath:
		return true
	}
	return false
}

// vimFault returns the outermost vSphere fault in err's chain, or nil.
// (fault.In would do, but panics on an Unwrap that returns nil.)
func vimFault(err error) types.BaseMethodFault {
	for err != nil {
		switch e := err.(type) {
		case types.HasLocalizedMethodFault:
			if lf := e.GetLocalizedMethodFault(); lf != nil && lf.Fault != nil {
				return lf.Fault
			}
		case interface{ Fault() types.BaseMethodFault }:
			if f := e.Fault(); f != nil {
				return f
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if f := vimFault(e); f != nil {
					return f
				}
			}
			return nil
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return nil
		}
	}
	return nil
}

// isFault reports whether err carries a vSphere fault of the type of one of
// targets. Some faults exist under two Go types (AlreadyUpgraded and
// AlreadyUpgradedFault); pass both.
func isFault(err error, targets ...types.BaseMethodFault) bool {
	for _, t := range targets {
		if fault.Is(err, t) {
			return true
		}
	}
	return false
}

// faultType returns the vSphere name of a fault type, e.g. "FileLocked".
func faultType(f types.BaseMethodFault) string {
	t := reflect.TypeOf(f)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// minSecretLen is the length from which guestinfo values are masked in
// errors: shorter values (encodings such as "base64") are not secrets, and
// masking them would garble messages.
const minSecretLen = 8

// scrub returns err unchanged unless a guestinfo value of secrets appears in
// the message of err or of any error it wraps. Then it returns an error with
// the values masked that does not unwrap to the original chain (Temporal
// records every error of a chain), but still matches it with errors.Is and
// still reports its vSphere fault.
func scrub(err error, secrets GuestInfoValues) error {
	if err == nil || len(secrets) == 0 {
		return err
	}
	var values []string
	for _, v := range secrets {
		if len(v) >= minSecretLen {
			values = append(values, v)
		}
	}
	if !chainContains(err, values) {
		return err
	}
	msg := err.Error()
	for _, v := range values {
		msg = strings.ReplaceAll(msg, v, "<redacted>")
	}
	return &scrubbedError{msg: msg, orig: err}
}

// chainContains reports whether any error of err's chain mentions a value.
func chainContains(err error, values []string) bool {
	if err == nil || len(values) == 0 {
		return false
	}
	msg := err.Error()
	for _, v := range values {
		if strings.Contains(msg, v) {
			return true
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if chainContains(e, values) {
				return true
			}
		}
	case interface{ Unwrap() error }:
		return chainContains(u.Unwrap(), values)
	}
	return false
}

// scrubbedError is an error whose message had secrets masked. It keeps the
// original for errors.Is and vimFault but does not unwrap to it.
type scrubbedError struct {
	msg  string
	orig error
}

func (e *scrubbedError) Error() string { return e.msg }

// Is reports whether the original error matches target.
func (e *scrubbedError) Is(target error) bool { return errors.Is(e.orig, target) }

// Fault returns the vSphere fault of the original error, if any.
func (e *scrubbedError) Fault() types.BaseMethodFault { return vimFault(e.orig) }
