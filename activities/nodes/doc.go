// Package nodes runs commands on clusters' nodes over SSH, for Day-2
// operations (certificate expiry and renewal, etcd health, membership and
// backups, Kubernetes upgrades with kubeadm and the pkgs.k8s.io packages).
//
// Access is the cluster's own SSH key, read from its sealed secrets inside
// the activity and never returned, logged or put into an error. Nodes are
// logged in to as the user of their cloud-init (cloudinit.DefaultSSHUser),
// which has passwordless sudo.
//
// A node's SSH host key is pinned in the inventory at the first successful
// login and checked at every later one: a node that presents another key
// is refused with a non-retryable ErrTypeHostKeyMismatch error until the
// key is forgotten explicitly (inventory Store.ForgetHostKey, when a node
// is replaced).
//
// A Session is one login to one node: dial once, run many commands, close.
// Each command has a timeout, and a failed one reports its exit status and
// the end of its output, with secrets redacted (see Redact).
package nodes
