// Package deploy holds the files that deploy Clusterwright: the container image
// (Dockerfile), a compose file with Postgres and Temporal, and a Helm chart (helm/). It has
// no code; its tests check those files against the server they deploy.
package deploy
