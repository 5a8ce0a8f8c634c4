#!/usr/bin/env bash
# build.sh VERSION [OUTDIR] builds the Kubernetes control-plane binaries that
# the simulated datacenter runs (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) and the etcd command-line tools that Day-2 node commands run
# (etcdctl, etcdutl) into OUTDIR/VERSION/.
#
# The sources are the ones this module pins (k8s.io/kubernetes and the etcd
# server, see go.mod); VERSION is only stamped into the binaries, so that
# `kube-apiserver --version` and GET /version report it and the components
# emulate that release (Kubernetes' compatibility versions allow the three
# minors below the source's). One source tree thus stands for several
# Kubernetes versions, e.g. v1.34.2 and v1.35.1.
#
# A binary is skipped when it exists next to a stamp file that records the same
# sources, VERSION and Go toolchain, so a second run is a no-op.
#
# OUTDIR defaults to ${CLUSTERWRIGHT_KUBEBIN_DIR:-$HOME/.cache/clusterwright/kubebin}.
set -euo pipefail

usage() {
	echo "usage: $0 VERSION [OUTDIR]   (VERSION like v1.35.1)" >&2
	exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
version=$1
outdir=${2:-${CLUSTERWRIGHT_KUBEBIN_DIR:-$HOME/.cache/clusterwright/kubebin}}
[[ $version =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || usage
minor=${BASH_REMATCH[1]}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
go=${GO:-go}

# The stamp names everything that goes into a binary besides the flags below.
kube_src=$("$go" list -m -f '{{.Path}}@{{.Version}}' k8s.io/kubernetes)
etcd_src=$("$go" list -m -f '{{.Path}}@{{.Version}}' go.etcd.io/etcd/server/v3)
etcdctl_src=$("$go" list -m -f '{{.Path}}@{{.Version}}' go.etcd.io/etcd/etcdctl/v3)
etcdutl_src=$("$go" list -m -f '{{.Path}}@{{.Version}}' go.etcd.io/etcd/etcdutl/v3)
stamp="version=$version kubernetes=$kube_src etcd=$etcd_src go=$("$go" env GOVERSION)"
# The etcd tools get their own stamp: they do not change with the Kubernetes sources.
declare -A stamps=(
	[etcdctl]="version=$version etcdctl=$etcdctl_src go=$("$go" env GOVERSION)"
	[etcdutl]="version=$version etcdutl=$etcdutl_src go=$("$go" env GOVERSION)"
)

declare -A pkgs=(
	[etcd]=./cmd/etcd
	[kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
	[kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
	[kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
	[etcdctl]=go.etcd.io/etcd/etcdctl/v3
	[etcdutl]=go.etcd.io/etcd/etcdutl/v3
)

dest=$outdir/$version
mkdir -p "$dest"

todo=()
stamp_of() { printf '%s' "${stamps[$1]:-$stamp}"; }

for bin in etcd etcdctl etcdutl kube-apiserver kube-controller-manager kube-scheduler; do
	if [[ -x $dest/$bin && -f $dest/$bin.stamp && $(<"$dest/$bin.stamp") == "$(stamp_of "$bin")" ]]; then
		echo "kubebin: $version/$bin is up to date"
		continue
	fi
	todo+=("$bin")
done
[[ ${#todo[@]} -gt 0 ]] || exit 0

# Build into a private directory and move each binary into place, so that an
# interrupted build never leaves a half-written binary next to a valid stamp.
tmp=$(mktemp -d "$dest/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=$version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
ldflags+=" -X k8s.io/component-base/version.gitCommit=$kube_src"
ldflags+=" -X k8s.io/component-base/version.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

for bin in "${todo[@]}"; do
	echo "kubebin: building $version/$bin from ${pkgs[$bin]}"
	start=$SECONDS
	# Like the upstream release, the control-plane binaries are static (no cgo).
	CGO_ENABLED=0 "$go" build -trimpath -ldflags "$ldflags" -o "$tmp/$bin" "${pkgs[$bin]}"
	mv -f "$tmp/$bin" "$dest/$bin"
	printf '%s\n' "$(stamp_of "$bin")" >"$dest/$bin.stamp"
	echo "kubebin: built $version/$bin in $((SECONDS - start))s"
done
