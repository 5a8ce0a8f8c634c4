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
//   - Put the change behind a guard, with a change id declared in versions.go:
//
//     if workflow.GetVersion(ctx, changeNewStep, workflow.DefaultVersion, 1) >= 1 {
//     // the new behaviour
//     }
//
//     Workflows that passed this point before the release replay DefaultVersion and keep
//     the old behaviour; new ones record version 1.
//
//   - Keep the old branch until no workflow that can take it runs any more (the longest an
//     operation lives: its decision timeout, at most 720 h, after the release), then
//     remove it with workflow.GetVersion(ctx, changeNewStep, 1, 1) kept in place.
//
//   - Record a new history for each workflow type whose commands changed
//     (CLUSTERWRIGHT_RECORD_HISTORIES=1 go test ./app -run TestRecordHistories) and keep
//     the old ones: replay_test.go replays every history under testdata/histories with
//     the SDK's WorkflowReplayer in make test, so a change that would break a running
//     operation fails CI.
//
// Inputs and outputs change compatibly (new fields optional, never renamed); step names
// are part of the operation record that users see.
package workflows
