package app_test

import (
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// TestCreateDeleteCreateAgain provisions and deletes clusters one after the other in ONE
// simulated datacenter, as a person does in `clusterwright dev`: a cluster, the same
// name again after its delete, then another name, each Ready, with nothing left after
// each delete. Every other test gets a fresh vCenter, so a delete that harms what the
// next provision needs (the template's disk) would go unnoticed there.
func TestCreateDeleteCreateAgain(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	env := apptest.StartDatacenter(t, "69", nil)
	var ids []string
	for _, name := range []string{"again", "again", "other"} {
		// The smallest cluster with a worker; only the add-ons every cluster has.
		spec := apptest.ClusterSpec(name, 1, 1)
		spec.Addons.KubeSphere = nil
		spec.Addons.Antrea.Multicluster = false
		if op := env.WaitOperationFor(apptest.StartProvision(t, env, spec).ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
			t.Fatalf("provision %s after %d deletes = %s: %s; steps %+v", name, len(ids), op.State, op.Error, op.Steps)
		}
		c := apptest.GetCluster(t, env, name)
		if c.Phase != domain.PhaseReady || len(c.Nodes) != 2 {
			t.Fatalf("cluster %s after %d deletes: phase %s, %d nodes", name, len(ids), c.Phase, len(c.Nodes))
		}
		for _, n := range c.Nodes {
			if !n.Ready {
				t.Errorf("cluster %s: node %s not Ready", name, n.Name)
			}
		}
		for _, id := range ids {
			if c.ID == id {
				t.Errorf("cluster %s has the ID %s of a deleted cluster", name, id)
			}
		}
		ids = append(ids, c.ID)

		if op := deleteCluster(t, env, name); op.State != domain.OpSucceeded {
			t.Fatalf("delete %s = %s: %s; steps %+v", name, op.State, op.Error, op.Steps)
		}
		apptest.CheckNothingLeft(t, env, c.ID)
	}
}
