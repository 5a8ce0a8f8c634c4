package workflows

// Change ids of workflow.GetVersion guards, one per change of the commands a workflow
// issues (see "Changing workflow code" in doc.go). Never reuse or rename one.
const (
	// changeDecisionOnFailure: a step that fails after its automatic retries waits for
	// a decision (retry, cancel, or the decision timeout) instead of ending the
	// operation at once.
	changeDecisionOnFailure = "decision-on-failure"
	// changeDeleteLeavesClusterSet: DeleteCluster first takes the cluster out of its
	// ClusterSet (a member leaves, a leader alone disbands it).
	changeDeleteLeavesClusterSet = "delete-leaves-clusterset"
	// changeKubeSphereMember: a cluster whose spec makes it a KubeSphere member of a
	// host registers with the host at the end of its provision (step
	// register-in-kubesphere) and is removed from it first when it is deleted (step
	// unregister-from-kubesphere).
	changeKubeSphereMember = "kubesphere-member"
	// changeControlPlaneVIP: ProvisionCluster's allocate-addresses step also gives the
	// cluster a control-plane virtual IP (AllocateControlPlaneVIP), its endpoint from
	// then on, which kube-vip serves on the control planes; provisions begun before keep
	// the first control plane's address.
	changeControlPlaneVIP = "control-plane-vip"
	// changeBootstrapPerNode: each node's guestinfo userdata is cleared as soon as that
	// node has joined (ProvisionCluster: the first control plane once kubeadm init has
	// published cluster-info, each further control plane once its Node registered, each
	// worker once its own Node registered, in parallel; Day-2 addNodes: each node once
	// it is Ready), not at the end; and a control plane that joins a running control
	// plane gets a certificate key instead of the CA keys (UploadCerts before it is made,
	// DeleteKubeadmCerts once it joined). The final sweep of the provision stays.
	changeBootstrapPerNode = "bootstrap-per-node"
	// changeDeleteDay0Token: ProvisionCluster's last step (clear-bootstrap-data) also
	// deletes the day-0 bootstrap token's Secret from the cluster (DeleteDay0Token):
	// kubeadm init makes it valid for a day, and no node needs it once all joined.
	changeDeleteDay0Token = "delete-day0-token"
)
