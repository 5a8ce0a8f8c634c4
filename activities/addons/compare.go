package addons

import (
	"encoding/json"
	"fmt"
	"reflect"

	"helm.sh/helm/v3/pkg/release"
)

// normalizeValues returns a deep copy of vals in the form Helm stores and
// reads back release values: decoded from JSON (numbers as float64, lists
// as []any, nil as an empty map). Installing the normalised copy makes the
// first render of a release the same as every later one from its record,
// and the caller's map is never touched by Helm. Values that do not encode
// as JSON are invalid.
func normalizeValues(vals map[string]any) (map[string]any, error) {
	out := map[string]any{}
	if len(vals) == 0 {
		return out, nil
	}
	data, err := json.Marshal(vals)
	if err != nil {
		// The message names a Go type, never a value.
		return nil, fmt.Errorf("%w: values do not encode as JSON: %w", ErrInvalidValues, err)
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%w: values do not decode from JSON: %w", ErrInvalidValues, err)
	}
	return out, nil
}

// valuesEqual compares values in their normalised form.
func valuesEqual(a, b map[string]any) bool {
	na, errA := normalizeValues(a)
	nb, errB := normalizeValues(b)
	return errA == nil && errB == nil && reflect.DeepEqual(na, nb)
}

// upToDate reports whether the deployed release r already runs chart
// name/version with values vals, so that applying them again would change
// nothing.
func upToDate(r *release.Release, name, version string, vals map[string]any) bool {
	if r == nil || r.Info == nil || r.Info.Status != release.StatusDeployed || r.Chart == nil || r.Chart.Metadata == nil {
		return false
	}
	md := r.Chart.Metadata
	return md.Name == name && md.Version == version && valuesEqual(r.Config, vals)
}
