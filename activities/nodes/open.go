package nodes

import "context"

// OpenSession logs in to node for another activities package that runs
// commands of its own (activities/backups streams files off nodes). The
// caller closes the session and heartbeats; errors are as Run's, not yet
// classified for Temporal (see Classify).
//
// It is a function, not a method of Activities, so that Temporal does not
// register it as an activity.
func OpenSession(ctx context.Context, a *Activities, node NodeRef) (*Session, error) {
	return a.open(ctx, node)
}

// Classify turns an error of a session into a Temporal application error
// typed by what no retry can fix (the ErrType* constants); others stay
// retryable.
func Classify(err error) error { return classify(err) }
