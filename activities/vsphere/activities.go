package vsphere

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/clusterwright/clusterwright/activities/heartbeat"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/domain"
)

// Store is what the vSphere activities need from the inventory.
type Store interface {
	// VCenterCredentials returns the decrypted credentials of a registered
	// vCenter, or an error wrapping domain.ErrNotFound.
	VCenterCredentials(ctx context.Context, vcenterID string) (domain.VCenterCredentials, error)
	// ReplaceInventory replaces the recorded inventory of a vCenter with objs.
	ReplaceInventory(ctx context.Context, vcenterID string, objs []domain.InventoryObject) error
	// ClusterAccountCredentials returns the account the vCenter's clusters get: its
	// cluster account, or the service's when shared; an error wrapping
	// domain.ErrNoClusterAccount when there is neither.
	ClusterAccountCredentials(ctx context.Context, vcenterID string) (domain.ClusterAccountCredentials, error)
}

// Activities are the Temporal activities that talk to vCenter. Workflows pass
// them vCenter ids only; credentials are read from Store inside the activity.
type Activities struct {
	Sessions *Sessions
	Store    Store
	// Budget bounds the concurrent vCenter tasks of the VM activities; nil
	// means the budget shared by the whole process.
	Budget *TaskBudget
	// GuestInfo supplies the (secret) guestinfo of the VMs that EnsureVM makes.
	GuestInfo GuestInfoSource

	lookupsOnce sync.Once
	lookups     *LookupCache // shared by the activities' calls; see lookupCache
}

// lookupCache returns the cache of vCenter lookups that every VM activity
// of a shares, creating it on first use.
func (a *Activities) lookupCache() *LookupCache {
	a.lookupsOnce.Do(func() { a.lookups = &LookupCache{} })
	return a.lookups
}

// SyncResult is the outcome of SyncInventory. It carries no secrets.
type SyncResult struct {
	// Counts is the number of objects recorded per kind (domain.Kind*).
	Counts map[string]int `json:"counts"`
}

// Temporal error types of the vSphere activities, for workflows and retry policies.
const (
	ErrTypeBadCredentials = "BadCredentials"
	ErrTypeCertificate    = "CertificateNotTrusted"
	ErrTypeInvalidServer  = "InvalidServer"
	ErrTypeNotFound       = "NotFound"
	ErrTypeUnreachable    = "Unreachable"
)

// SyncInventory reads the inventory of the vCenter vcenterID and replaces the
// recorded one with it. Wrong credentials, an untrusted certificate, an
// invalid address or an unknown vCenter fail without retry; an unreachable
// vCenter is retried.
func (a *Activities) SyncInventory(ctx context.Context, vcenterID string) (SyncResult, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	creds, err := a.Store.VCenterCredentials(ctx, vcenterID)
	if err != nil {
		return SyncResult{}, activityError(fmt.Errorf("read credentials of vCenter %s: %w", vcenterID, err))
	}
	progress(ctx, "login")
	c, err := a.Sessions.Client(ctx, vcenterID, creds)
	if err != nil {
		return SyncResult{}, activityError(fmt.Errorf("vCenter %s: %w", vcenterID, err))
	}
	progress(ctx, "collect")
	objs, err := CollectInventory(ctx, c.Client)
	if err != nil {
		return SyncResult{}, activityError(fmt.Errorf("collect inventory of vCenter %s: %w", vcenterID, classify(err)))
	}
	progress(ctx, "store")
	if err := a.Store.ReplaceInventory(ctx, vcenterID, objs); err != nil {
		return SyncResult{}, fmt.Errorf("record inventory of vCenter %s: %w", vcenterID, err)
	}
	counts := make(map[string]int, len(domain.InventoryKinds))
	for _, o := range objs {
		counts[o.Kind]++
	}
	return SyncResult{Counts: counts}, nil
}

// HeartbeatInterval is how often long vSphere activities heartbeat while they wait;
// workflows set their heartbeat timeout to a few times this.
const HeartbeatInterval = 5 * time.Second

// activityError turns err into a Temporal application error whose type names
// its class, non-retryable when retrying cannot help. Other errors are
// returned as they are (retryable).
func activityError(err error) error {
	nonRetryable := func(class error, typ string) error {
		return temporal.NewNonRetryableApplicationError(class.Error(), typ, err)
	}
	switch {
	case errors.Is(err, ErrBadCredentials):
		return nonRetryable(ErrBadCredentials, ErrTypeBadCredentials)
	case errors.Is(err, ErrCertificate):
		return nonRetryable(ErrCertificate, ErrTypeCertificate)
	case errors.Is(err, ErrInvalidServer):
		return nonRetryable(ErrInvalidServer, ErrTypeInvalidServer)
	case errors.Is(err, domain.ErrNotFound):
		return nonRetryable(errors.New("vCenter not registered"), ErrTypeNotFound)
	case errors.Is(err, ErrUnreachable):
		return temporal.NewApplicationErrorWithCause(ErrUnreachable.Error(), ErrTypeUnreachable, err)
	}
	return err
}

// progress records a heartbeat naming the stage reached, when ctx is an activity
// context, so that the activities can also be called directly, e.g. from tests.
func progress(ctx context.Context, step string) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, step)
	}
}
