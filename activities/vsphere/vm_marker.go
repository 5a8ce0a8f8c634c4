package vsphere

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// The marker of a VM says which cluster it belongs to. It is written twice:
// in extraConfig (MarkerKey), atomically with the clone, so that no VM of
// ours is ever without it; and as the custom attribute MarkerKey, which
// vCenter users see in the UI and which is cheap to collect. The custom
// attribute wins when both are set. Without custom fields (a bare ESXi, or
// no permission to define them) the extraConfig entry alone is used.

// markerField is the custom field of the marker; ok is false when there is none.
type markerField struct {
	key int32
	ok  bool
}

// findMarkerField looks up the marker's custom field definition and, if
// create is set, defines it when it is missing.
func findMarkerField(ctx context.Context, c *vim25.Client, create bool, logger *slog.Logger) (markerField, error) {
	m, err := object.GetCustomFieldsManager(c)
	if errors.Is(err, object.ErrNotSupported) {
		return markerField{}, nil
	}
	key, err := m.FindKey(ctx, MarkerKey)
	switch {
	case err == nil:
		return markerField{key: key, ok: true}, nil
	case !errors.Is(err, object.ErrKeyNameNotFound):
		return markerField{}, fmt.Errorf("read custom field %s: %w", MarkerKey, err)
	case !create:
		return markerField{}, nil
	}
	def, err := m.Add(ctx, MarkerKey, "VirtualMachine", nil, nil)
	switch {
	case err == nil:
		return markerField{key: def.Key, ok: true}, nil
	case isFault(err, &types.DuplicateName{}):
		// Defined concurrently by another call.
		return findMarkerField(ctx, c, false, logger)
	case isFault(err, &types.NoPermission{}):
		logger.WarnContext(ctx, "no permission to define the custom attribute; VMs are marked in extraConfig only", "attribute", MarkerKey)
		return markerField{}, nil
	}
	return markerField{}, fmt.Errorf("define custom field %s: %w", MarkerKey, err)
}

// markerField returns the marker's custom field, defining it if missing.
func (o *VMOps) markerField(ctx context.Context, c *vim25.Client) (markerField, error) {
	return o.findMarkerField(ctx, c, true)
}

// findMarkerField is findMarkerField through o.Lookups, when set.
func (o *VMOps) findMarkerField(ctx context.Context, c *vim25.Client, create bool) (markerField, error) {
	if o.Lookups != nil {
		return o.Lookups.MarkerField(ctx, c, create, o.logger())
	}
	return findMarkerField(ctx, c, create, o.logger())
}

// ownerOf returns the cluster id that vm is marked with, or "".
func ownerOf(vm mo.VirtualMachine, f markerField) string {
	if v := customValue(vm.CustomValue, f); v != "" {
		return v
	}
	if vm.Config != nil {
		v, _ := extraConfigValue(vm.Config.ExtraConfig, MarkerKey)
		return v
	}
	return ""
}

// customValue returns the value of field f among values, or "".
func customValue(values []types.BaseCustomFieldValue, f markerField) string {
	if !f.ok {
		return ""
	}
	for _, v := range values {
		if sv, ok := v.(*types.CustomFieldStringValue); ok && sv.Key == f.key {
			return sv.Value
		}
	}
	return ""
}

// ownerDescription explains for errors who a VM belongs to.
func ownerDescription(owner string) string {
	if owner == "" {
		return "not made by Clusterwright"
	}
	return fmt.Sprintf("marked for cluster %q", owner)
}

// setMarker sets the marker's custom attribute on vm (read as cur) unless it
// is set already. Lacking permission is logged, not fatal: the extraConfig
// marker is there.
func (o *VMOps) setMarker(ctx context.Context, c *vim25.Client, vm *object.VirtualMachine, cur mo.VirtualMachine, f markerField, clusterID string) error {
	if !f.ok || customValue(cur.CustomValue, f) == clusterID {
		return nil
	}
	err := object.NewCustomFieldsManager(c).Set(ctx, vm.Reference(), f.key, clusterID)
	if isFault(err, &types.NoPermission{}) {
		o.logger().WarnContext(ctx, "no permission to set the custom attribute; the VM is marked in extraConfig only", "vm", cur.Name, "attribute", MarkerKey)
		return nil
	}
	if err != nil {
		if o.Lookups != nil {
			o.Lookups.forgetMarkerField(c) // e.g. the field was removed meanwhile
		}
		return fmt.Errorf("mark VM %s: %w", cur.Name, err)
	}
	return nil
}
