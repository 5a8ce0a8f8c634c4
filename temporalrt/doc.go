// Package temporalrt wires Clusterwright to Temporal: a payload codec that
// encrypts every workflow payload and failure message, client options and a
// retrying Dial, and an embedded SQLite-backed Temporal server for
// `clusterwright dev` that keeps its state across restarts.
package temporalrt
