package nodes

import "context"

// Open lets the package's external tests open sessions.
func Open(ctx context.Context, a *Activities, node NodeRef) (*Session, error) {
	return a.open(ctx, node)
}
