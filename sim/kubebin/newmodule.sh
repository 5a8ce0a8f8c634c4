#!/usr/bin/env bash
# newmodule.sh VERSION writes the module that builds Kubernetes VERSION (like
# v1.36.5) for the simulator: sim/kubebin/v1.MINOR/ with a go.mod that requires
# k8s.io/kubernetes VERSION, replaces each of its k8s.io staging modules with the
# proxy's v0.MINOR.PATCH, and requires the etcd server (and etcdctl, etcdutl) at
# the version that Kubernetes release pins. It then runs `go mod tidy` and
# reports any module whose version differs from what k8s.io/kubernetes VERSION
# requires (the etcd tools may raise one; the binaries would then not be built
# from exactly the release's dependencies).
#
# Run it once when a version is added; build.sh builds from the result.
set -euo pipefail

[[ $# -eq 1 && $1 =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { echo "usage: $0 VERSION   (like v1.36.5)" >&2; exit 2; }
version=$1
minor=${BASH_REMATCH[1]}
patch=${BASH_REMATCH[2]}
staging=v0.$minor.$patch
go=${GO:-go}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$here/v1.$minor
mkdir -p "$dir"
cd "$dir"

kmod=$("$go" mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
[[ -f $kmod ]] || { echo "newmodule: the proxy does not serve k8s.io/kubernetes@$version" >&2; exit 1; }
etcd=$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$kmod")
[[ -n $etcd ]] || { echo "newmodule: k8s.io/kubernetes@$version pins no go.etcd.io/etcd/server/v3" >&2; exit 1; }
# The staging modules are the ones k8s.io/kubernetes replaces with ./staging/...;
# the proxy does not serve the sample-cli-plugin and sample-controller examples,
# which nothing requires.
mapfile -t mods < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$kmod" |
	grep -v -e '^k8s.io/sample-cli-plugin$' -e '^k8s.io/sample-controller$')

{
	echo "// Module v1.$minor builds the Kubernetes $version control-plane binaries and the"
	echo "// etcd $etcd server and tools for the simulated datacenter (see ../README.md)."
	echo "// Written by ../newmodule.sh $version."
	echo "module github.com/clusterwright/clusterwright/sim/kubebin/v1.$minor"
	echo
	echo "go $(awk '$1 == "go" { print $2; exit }' "$kmod")"
	echo
	echo "require ("
	echo "	go.etcd.io/etcd/etcdctl/v3 $etcd"
	echo "	go.etcd.io/etcd/etcdutl/v3 $etcd"
	echo "	go.etcd.io/etcd/server/v3 $etcd"
	echo "	k8s.io/kubernetes $version"
	echo ")"
	echo
	echo "// k8s.io/kubernetes points its staging modules at ./staging/...; outside its"
	echo "// own repository they come from the proxy at the matching $staging tag."
	echo "replace ("
	for m in "${mods[@]}"; do echo "	$m => $m $staging"; done
	echo ")"
} >go.mod

cat >tools.go <<GO
//go:build tools

// Package kubebin pins the commands build.sh builds for Kubernetes $version:
// the control-plane components, the etcd server and the etcd command-line
// tools, so that \`go mod tidy\` keeps every module they need. Nothing imports
// this package.
package kubebin

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO

"$go" mod tidy

# Compare the selected versions with what the release requires.
drift=0
while read -r path want; do
	got=$("$go" list -m -f '{{.Version}}' "$path" 2>/dev/null || true)
	if [[ -n $got && $got != "$want" ]]; then
		echo "newmodule: $path is $got here, k8s.io/kubernetes@$version requires $want" >&2
		drift=1
	fi
done < <(awk '/^require \(/ { r = 1; next } r && /^\)/ { r = 0 } r && $1 !~ /^k8s.io\// && $1 !~ /^\/\// { print $1, $2 }' "$kmod")
[[ $drift -eq 0 ]] && echo "newmodule: v1.$minor/go.mod requires k8s.io/kubernetes $version and etcd $etcd; no dependency differs from the release's"
exit 0
