// Package addons installs Clusterwright's platform add-ons into workload
// clusters with the Helm SDK: Antrea (CNI), the vSphere cloud provider
// (CPI), the vSphere CSI driver with a default StorageClass and volume
// snapshots, and KubeSphere core. Day-2 changes reuse the same Installer.
//
// The parts:
//
//   - Source and Sources: where charts come from — an HTTP(S) chart
//     repository, an OCI registry, or a local directory for air-gapped
//     sites. DefaultSources are the public upstream repositories, except
//     KubeSphere's, whose downloads are suspended and which must be
//     mirrored and configured. The vSphere CPI chart, released once per
//     Kubernetes minor, follows the cluster's Kubernetes version
//     (Source.FollowKubernetesMinor: v1.36.5 gets vsphere-cpi 1.36.0).
//   - AntreaValues, CPIValues, CSIValues, KubeSphereValues: the chart values
//     for a cluster, pure functions of its spec (and secrets).
//   - Installer: Apply (idempotent upgrade-or-install, recovering releases
//     left pending by a crashed worker), Status and Uninstall. Each call
//     builds its own Helm configuration from an in-memory kubeconfig, with
//     a discovery cache per cluster under Installer.CacheDir; no global
//     Helm settings or environment are read or written, so calls for
//     different clusters run concurrently.
//   - Activities: the Temporal activities over Installer. Workflows pass a
//     cluster id and an add-on name; the activity reads the spec, the
//     kubeconfig and the secrets through ClusterAccess.
//
// Secrets (vCenter and KubeSphere passwords) go into chart values, so, as
// with any helm install, into the release record (a Secret in the workload
// cluster) and the objects the charts make. They are never logged, never
// returned in a Status, and masked in errors.
//
// Errors wrap a class (ErrChartNotFound, ErrInvalidValues, ErrUnreachable,
// ...); ActivityError turns them into Temporal application errors typed
// ChartNotFound, InvalidValues, Unreachable, ..., non-retryable when
// retrying cannot help.
//
// Waiting (Release.Wait) uses Helm 3's readiness checks (the legacy
// waiter): Helm 3 has no kstatus waiter, which came with Helm 4.
package addons
