package idp

import (
	"context"
	"fmt"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// ClaimGroups is the claim listing the user's groups, in ID tokens and
// userinfo. It is sent whatever the scopes (requesting "groups" is allowed).
const ClaimGroups = "groups"

// SetUserinfoFromScopes is deprecated in the op package; SetUserinfoFromRequest
// does the work.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's user claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(info, r.GetSubject(), scopes)
}

// GetPrivateClaimsFromScopes adds nothing to access tokens (they are opaque).
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// setUserinfo sets the claims of a user the scopes allow: email and
// email_verified for "email", name and preferred_username for "profile",
// and always groups.
func (s *storage) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	u, ok := s.users[subject]
	if !ok {
		return fmt.Errorf("user %q not found", subject)
	}
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email, info.EmailVerified = u.Email, true
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name, info.PreferredUsername = u.Name, u.loginName()
	}
	info.AppendClaims(ClaimGroups, append([]string{}, u.Groups...))
	return nil
}
