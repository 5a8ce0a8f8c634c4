package workflows

// TaskQueue is the queue every Clusterwright worker polls.
const TaskQueue = "clusterwright"

// VCenterWorkflowID is the workflow id of operations on a vCenter: one at a time.
func VCenterWorkflowID(vcenterID string) string { return "vcenter/" + vcenterID }

// ClusterWorkflowID is the workflow id of mutating operations on a cluster: one at a time.
func ClusterWorkflowID(clusterID string) string { return "cluster/" + clusterID }

// ClusterSetWorkflowID is the workflow id of mutating operations on a ClusterSet (form,
// join, leave, disband): one at a time.
func ClusterSetWorkflowID(clusterSetID string) string { return "clusterset/" + clusterSetID }

// SchedulePrefix starts the id of every Temporal Schedule of Clusterwright: the reconcile
// deletes those with this prefix that have no record.
const SchedulePrefix = "clusterwright-schedule/"

// ScheduleID is the Temporal Schedule id of the Day-2 schedule with id.
func ScheduleID(id string) string { return SchedulePrefix + id }

// ScheduledRunWorkflowID is the workflow id of a schedule's runs; Temporal appends each
// run's time.
func ScheduledRunWorkflowID(id string) string { return "scheduled-run/" + id }
