package steptrack

import (
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/sdk/temporal"
)

func TestErrorMessage(t *testing.T) {
	locked := errors.New("Unable to access file [LocalDS_0] t/t.vmdk since it is locked")
	clone := temporal.NewApplicationErrorWithCause("vCenter fault FileLocked", "FileLocked",
		temporal.NewApplicationErrorWithCause("clone t to beta-cp-0: "+locked.Error(), "wrapError",
			temporal.NewApplicationError(locked.Error(), "Error")))
	cases := []struct {
		err  error
		want string
	}{
		{clone, "vCenter fault FileLocked: clone t to beta-cp-0: Unable to access file [LocalDS_0] t/t.vmdk since it is locked"},
		{fmt.Errorf("clone: %w", locked), "clone: " + locked.Error()},
		{errors.Join(clone, clone, errors.New("power on beta-md-0: host down")),
			"vCenter fault FileLocked: clone t to beta-cp-0: Unable to access file [LocalDS_0] t/t.vmdk since it is locked; power on beta-md-0: host down"},
		{temporal.NewCanceledError(), "canceled"},
		{temporal.NewNonRetryableApplicationError("preflight refused: placement.template: no such template", "PreflightFailed", nil),
			"preflight refused: placement.template: no such template"},
	}
	for _, c := range cases {
		if got := ErrorMessage(c.err); got != c.want {
			t.Errorf("ErrorMessage(%v)\n got %q\nwant %q", c.err, got, c.want)
		}
	}
}
