// Package domain holds the types that the API, the workflows and the activities share:
// resource specs with their validation, roles, operation kinds and states, and the
// vCenter inventory records. It has no dependencies on the rest of Clusterwright.
package domain
