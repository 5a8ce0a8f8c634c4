package workflows

// Placeholders of the Day-2 node workflows, so that the API, cwctl and the portal compile
// before the workflows land. DELETE THIS FILE when they are merged; they are not
// registered in All().

import (
	"errors"

	"go.temporal.io/sdk/workflow"
)

var errDay2NotImplemented = errors.New("not implemented yet")

// UpgradeCluster is a placeholder of the cluster.upgrade workflow.
func UpgradeCluster(ctx workflow.Context, in UpgradeClusterInput) error { return errDay2NotImplemented }

// ScaleCluster is a placeholder of the cluster.scale workflow.
func ScaleCluster(ctx workflow.Context, in ScaleClusterInput) error { return errDay2NotImplemented }

// ReplaceNode is a placeholder of the cluster.node-replace workflow.
func ReplaceNode(ctx workflow.Context, in ReplaceNodeInput) error { return errDay2NotImplemented }
