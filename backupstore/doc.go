// Package backupstore keeps etcd backups encrypted at a target: the
// encryption key derived from the service's master key (Key), the targets
// (a directory, an S3-compatible bucket, a vSphere datastore folder) behind
// one interface (Target), the streaming upload that encrypts and hashes on
// the way (Upload), and the retention that deletes old backups at the
// target and in the inventory (Prune).
//
// A snapshot holds every Secret of its cluster: it is encrypted before the
// first byte leaves the process and never written anywhere in clear.
package backupstore
