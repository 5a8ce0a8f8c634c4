// Package workflows holds Clusterwright's Temporal workflows: deterministic code only, one
// file per workflow. Side effects live in the activities packages; workflow IDs are built
// in ids.go and nowhere else. Every workflow runs its steps through the shared step
// runner in operation.go, which records each run and attempt and, when a step fails,
// waits for a person's decision.
//
// # Changing workflow code
//
// Operations live for hours or days (a failed step waits a day for a decision), so a new
// release meets workflows that an older release started, and the new code replays their
// histories. Code that would make a running workflow issue different commands (another
// activity, step, timer, local activity, or the same ones in another order) must not
// reach it. This package uses one approach: workflow.GetVersion patches.
//
// Put the change behind a guard whose change id is declared in versions.go:
//
//	if workflow.GetVersion(ctx, changeNewStep, workflow.DefaultVersion, 1) >= 1 {
//		// the new behaviour
//	}
//
// Workflows that passed this point before the release replay DefaultVersion and keep
// the old behaviour; new ones record version 1. Then:
//
//   - Keep the old branch until no workflow that can take it runs any more (the longest an
//     operation lives: its decision timeout, at most 720 h, after the release), then
//     remove it with workflow.GetVersion(ctx, changeNewStep, 1, 1) kept in place.
//
//   - Record new histories of the workflows whose commands changed and keep the old ones
//     beside them (rename provision-succeeded.json to provision-succeeded-<release>.json
//     first; recording overwrites the plain names): replay_test.go replays every history under
//     testdata/histories with the SDK's WorkflowReplayer in make test, so a change that
//     would break a running operation fails CI. The app tests record them
//     (apptest.Env.CheckReplay, which also replays each history it meets):
//     CLUSTERWRIGHT_RECORD_HISTORIES=1 go test ./app -run 'TestProvisionAndDelete$|TestProvisionRetriedFromFailedStep'
//     writes provision-succeeded, delete, sync and provision-retried.
//
// Inputs and outputs change compatibly (new fields optional, never renamed); step names
// are part of the operation record that users see.
package workflows
