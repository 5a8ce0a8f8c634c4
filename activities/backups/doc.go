// Package backups takes etcd backups of clusters: on a control-plane node
// over SSH (activities/nodes), an etcd snapshot checked with etcdutl is
// streamed off the node through age encryption straight into a backup
// target (backupstore), with the node's PKI beside it, and recorded in the
// inventory. Retention deletes the oldest backups beyond a count.
//
// Workflows pass ids and names only: the backup id they chose, the node,
// the name of a configured target. Keys and target credentials stay in the
// worker's configuration.
package backups
