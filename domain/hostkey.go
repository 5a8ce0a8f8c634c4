package domain

import "time"

// NodeHostKey is the SSH host key of a node as the service pinned it at
// first contact. It is public data: the key a node proves it holds.
type NodeHostKey struct {
	ClusterID string `json:"cluster_id"`
	// Node is the node's name in the cluster.
	Node string `json:"node"`
	// Address is where the key was first seen (host:port).
	Address string `json:"address"`
	// KeyType is the key's algorithm, e.g. "ssh-ed25519".
	KeyType string `json:"key_type"`
	// Fingerprint is "SHA256:<base64>", as ssh-keygen -l prints it.
	Fingerprint string `json:"fingerprint"`
	// AuthorizedKey is the key itself as an authorized_keys line ("<type> <base64>").
	AuthorizedKey string    `json:"authorized_key"`
	FirstSeen     time.Time `json:"first_seen"`
}
