package domain

import (
	"fmt"
	"strings"
)

// ErrDefaultProject is what deleting the default project returns; it wraps ErrConflict.
var ErrDefaultProject = fmt.Errorf("project %s holds everything not given a project and cannot be deleted: %w", DefaultProject, ErrConflict)

// ProjectInUseError says that a project cannot be deleted because it still holds live
// clusters or ClusterSets; it wraps ErrConflict.
type ProjectInUseError struct {
	Project     string
	Clusters    int64
	ClusterSets int64
}

func (e *ProjectInUseError) Error() string {
	var held []string
	if e.Clusters > 0 {
		held = append(held, plural(e.Clusters, "cluster", "clusters"))
	}
	if e.ClusterSets > 0 {
		held = append(held, plural(e.ClusterSets, "ClusterSet", "ClusterSets"))
	}
	return fmt.Sprintf("project %s still holds %s: delete them first", e.Project, strings.Join(held, " and "))
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ProjectInUseError) Unwrap() error { return ErrConflict }

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
