package vsphere

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/types"
)

func TestGuestInfoIsNeverPrinted(t *testing.T) {
	req := request("dev-cp-0")
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(format, req); strings.Contains(s, canary) {
			t.Errorf("%s of a VMRequest shows guestinfo: %s", format, s)
		}
	}
	var buf syncBuffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("request", "req", req, "guestinfo", req.GuestInfo)
	}
	if strings.Contains(buf.String(), canary) {
		t.Errorf("slog shows guestinfo: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "guestinfo.userdata") {
		t.Errorf("slog does not show the guestinfo keys: %s", buf.String())
	}
	if b, err := json.Marshal(req); err == nil {
		t.Errorf("a VMRequest was marshalled: %s", b)
	}
}

func TestScrubMasksGuestInfo(t *testing.T) {
	req := request("dev-cp-0")
	// A vCenter fault whose message quotes a guestinfo value.
	raw := fmt.Errorf("%w: reconfigure dev-cp-0: %w", ErrVMNameTaken, task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{
		Fault:            &types.InvalidArgument{InvalidProperty: "extraConfig"},
		LocalizedMessage: "A specified parameter was not correct: " + req.GuestInfo["guestinfo.userdata"],
	}})
	err := scrub(raw, req.GuestInfo)
	assertNoCanary(t, err)
	if !strings.Contains(err.Error(), "<redacted>") {
		t.Errorf("message %q not masked", err)
	}
	if !errors.Is(err, ErrVMNameTaken) || !isFault(err, &types.InvalidArgument{}) {
		t.Errorf("scrubbing lost the classification of %v", err)
	}
	appError(t, vmActivityError(raw, req.GuestInfo), ErrTypeVMNameTaken, false)

	// Errors without secrets are left as they are.
	plain := fmt.Errorf("clone: %w", task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{Fault: &types.FileLocked{}}})
	if scrub(plain, req.GuestInfo) != plain {
		t.Error("an error without secrets was rewritten")
	}
	// Short values (encodings) are not treated as secrets.
	short := errors.New("encoding base64 unknown")
	if scrub(short, req.GuestInfo) != short {
		t.Error("a short value was masked")
	}
}
