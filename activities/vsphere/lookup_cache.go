package vsphere

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/vmware/govmomi/vim25"
)

// DefaultLookupTTL is how long a LookupCache trusts what it looked up.
const DefaultLookupTTL = 2 * time.Minute

// LookupCache remembers, per vCenter client, what the VM operations look up
// on every call and what rarely changes: resolved placements (see
// LookupCache.Placement) and the marker's custom field. Entries expire
// after TTL and are dropped sooner when using them shows them stale.
// Entries are per client: a client that the session pool replaced (new
// credentials) looks up afresh.
//
// A LookupCache is safe for concurrent use; its zero value is ready, with
// DefaultLookupTTL.
type LookupCache struct {
	// TTL is how long an entry is used; 0 means DefaultLookupTTL.
	TTL time.Duration

	mu         sync.Mutex
	placements map[placementKey]*placementEntry
	fields     map[*vim25.Client]fieldEntry

	resolving singleflight.Group
}

// fieldEntry is the marker field of one client.
type fieldEntry struct {
	field   markerField
	expires time.Time
}

func (lc *LookupCache) ttl() time.Duration {
	if lc.TTL > 0 {
		return lc.TTL
	}
	return DefaultLookupTTL
}

// MarkerField returns the marker's custom field on c, remembered once it
// is defined; see findMarkerField. A field found missing is not remembered,
// so that it is looked up (or defined, when create is set) again next time.
func (lc *LookupCache) MarkerField(ctx context.Context, c *vim25.Client, create bool, logger *slog.Logger) (markerField, error) {
	lc.mu.Lock()
	e, ok := lc.fields[c]
	lc.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e.field, nil
	}
	f, err := findMarkerField(ctx, c, create, logger)
	if err != nil || !f.ok {
		return f, err
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	lc.dropExpired()
	if lc.fields == nil {
		lc.fields = make(map[*vim25.Client]fieldEntry)
	}
	lc.fields[c] = fieldEntry{field: f, expires: time.Now().Add(lc.ttl())}
	return f, nil
}

// forgetMarkerField drops the marker field of c, e.g. after vCenter refused it.
func (lc *LookupCache) forgetMarkerField(c *vim25.Client) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	delete(lc.fields, c)
}

// dropExpired removes expired entries (such as those of replaced clients);
// the caller holds lc.mu.
func (lc *LookupCache) dropExpired() {
	now := time.Now()
	for k, e := range lc.placements {
		if now.After(e.expires) {
			delete(lc.placements, k)
		}
	}
	for k, e := range lc.fields {
		if now.After(e.expires) {
			delete(lc.fields, k)
		}
	}
}
