package antrea

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// MoveGatewayRequest asks to take Nodes that are about to be drained or removed out of
// a member's gateway candidates, and to wait until its active Gateway is elsewhere.
type MoveGatewayRequest struct {
	Set     string   `json:"set"`
	Cluster Cluster  `json:"cluster"`
	Nodes   []string `json:"nodes"`
	// Timeout bounds the wait for Antrea to move the Gateway; default DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// MoveGatewayOff annotates a member's gateway candidates without the Nodes named (a
// replacement candidate takes each one's place: see AnnotateGateways with Exclude) and
// waits until Antrea's active Gateway is on none of them, so that cross-cluster traffic
// has moved before a Node drains or goes. It returns the candidates now. Repeating it
// changes nothing.
func (a *Activities) MoveGatewayOff(ctx context.Context, req MoveGatewayRequest) (GatewaysResult, error) {
	res, err := a.AnnotateGateways(ctx, GatewaysRequest{Set: req.Set, Cluster: req.Cluster, Exclude: req.Nodes})
	if err != nil {
		return GatewaysResult{}, err
	}
	c, err := a.connect(ctx, req.Cluster)
	if err != nil {
		return GatewaysResult{}, classify(err)
	}
	var gw GatewayStatus
	progress, err := poll(ctx, orDefault(req.Timeout, DefaultTimeout), func(ctx context.Context) (bool, string, error) {
		gw = GatewayStatus{}
		if err := c.readGateway(ctx, &gw); err != nil {
			return false, "read the Gateway: " + err.Error(), nil
		}
		if gw.Active == "" {
			return false, fmt.Sprintf("cluster %s has no active Gateway yet (candidates %v)", c.cluster, gw.Candidates), nil
		}
		if slices.Contains(req.Nodes, gw.Active) {
			return false, fmt.Sprintf("the active Gateway of cluster %s is still on %s", c.cluster, gw.Active), nil
		}
		return true, fmt.Sprintf("the active Gateway of cluster %s is on %s", c.cluster, gw.Active), nil
	})
	if err == errTimeout {
		return res, timedOut(ErrTypeNotReady, progress, gw)
	}
	res.Active = gw.Active
	return res, err
}
