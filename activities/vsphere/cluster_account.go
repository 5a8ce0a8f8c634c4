package vsphere

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"

	"github.com/clusterwright/clusterwright/domain"
)

// ClusterAccountError is a cluster account that logs in but lacks what the clusters'
// vSphere drivers need, or holds VM provisioning privileges that clusters must not get.
// Its problems name privileges and entities only, never a secret.
type ClusterAccountError struct {
	Problems []domain.FieldError
}

func (e *ClusterAccountError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return "cluster account refused: " + strings.Join(msgs, "; ")
}

// CheckClusterAccount logs in to the vCenter named by creds with the cluster account
// they carry, checks on the vCenter root folder that it holds the vSphere CSI driver's
// vCenter-wide privileges (ClusterPrivileges["vcenter"]) and none of
// ForbiddenClusterPrivileges, and logs out. A login that fails wraps the classes of
// CheckCredentials; an account with the wrong privileges is a *ClusterAccountError. The
// error never contains the password. Without a deadline on ctx, it gives up after 15
// seconds.
func CheckClusterAccount(ctx context.Context, creds domain.VCenterCredentials) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	err := withLogin(ctx, creds, func(c *vim25.Client) error {
		_, _, problems, err := checkClusterPrivileges(ctx, c, []privilegeTarget{{"vcenter", "the vCenter root folder", c.ServiceContent.RootFolder}})
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return &ClusterAccountError{Problems: problems}
		}
		return nil
	})
	return redact(err, creds.Password)
}

// withLogin runs fn with a client logged in as creds' user, and logs out after.
func withLogin(ctx context.Context, creds domain.VCenterCredentials, fn func(*vim25.Client) error) error {
	c, err := dial(ctx, creds)
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()
	sm := session.NewManager(c)
	if err := sm.Login(ctx, userinfo(creds)); err != nil {
		return fmt.Errorf("log in to %s as %q: %w", c.URL().Host, creds.Username, classify(err))
	}
	defer func() { _ = sm.Logout(context.WithoutCancel(ctx)) }()
	return fn(c)
}

// checkClusterAccountLive checks, for the preflight of spec, the account the cluster's
// vSphere drivers will get: there is one (a cluster account, or the service's shared on
// purpose), and a cluster account logs in and holds ClusterPrivileges and none of
// ForbiddenClusterPrivileges on the placement's entities. Problems go into live.
func (a *Activities) checkClusterAccountLive(ctx context.Context, vcenterID string, spec domain.ClusterSpec, c *vim25.Client, live *liveFacts) error {
	acct, err := a.Store.ClusterAccountCredentials(ctx, vcenterID)
	switch {
	case errors.Is(err, domain.ErrNoClusterAccount):
		live.facts.Problems = append(live.facts.Problems, domain.FieldError{Field: "vcenter", Message: domain.NoClusterAccountMessage(spec.VCenter)})
		return nil
	case err != nil:
		return activityError(fmt.Errorf("read the cluster account of vCenter %s: %w", vcenterID, err))
	case acct.Shared:
		live.report.ClusterUser, live.report.ClusterAccountShared = acct.Username, true
		return nil
	}
	progress(ctx, "cluster account")
	targets := placementTargets(c, live.placement, spec.Placement)
	err = withLogin(ctx, acct.VCenterCredentials, func(cc *vim25.Client) error {
		user, checked, problems, err := checkClusterPrivileges(ctx, cc, targets)
		if err != nil {
			return err
		}
		live.facts.Problems = append(live.facts.Problems, problems...)
		live.report.ClusterUser, live.report.ClusterPrivileges = user, checked
		return nil
	})
	if errors.Is(err, ErrBadCredentials) {
		live.facts.Problems = append(live.facts.Problems, domain.FieldError{Field: "vcenter",
			Message: fmt.Sprintf("vCenter %q refused the cluster account %q: set its current password with PATCH /api/v1/vcenters/%s",
				spec.VCenter, acct.Username, spec.VCenter)})
		return nil
	}
	if err != nil {
		return vmActivityError(redact(err, acct.Password), nil)
	}
	return nil
}
