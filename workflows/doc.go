// Package workflows holds Clusterwright's Temporal workflows: deterministic code only, one
// file per workflow. Side effects live in the activities packages; workflow IDs are built
// in ids.go and nowhere else.
package workflows
