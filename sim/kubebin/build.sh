#!/usr/bin/env bash
# build.sh VERSION [OUTDIR] builds the Kubernetes control-plane binaries that
# the simulated datacenter runs (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) and the etcd command-line tools that Day-2 node commands run
# (etcdctl, etcdutl) into OUTDIR/VERSION/.
#
# Each Kubernetes minor has its own module, v1.MINOR/ next to this script,
# which requires exactly one k8s.io/kubernetes release and the etcd that
# release pins (newmodule.sh writes it). VERSION must be that release: the
# binaries are built from its sources and report it (`--version`, GET
# /version), as an upstream release build does.
#
# A binary is skipped when it exists next to a stamp file that records the same
# sources, VERSION and Go toolchain, so a second run is a no-op. Two runs for
# the same VERSION take turns (a lock in OUTDIR/VERSION).
#
# OUTDIR defaults to ${CLUSTERWRIGHT_KUBEBIN_DIR:-$HOME/.cache/clusterwright/kubebin}.
set -euo pipefail

usage() {
	echo "usage: $0 VERSION [OUTDIR]   (VERSION like v1.36.5)" >&2
	exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
version=$1
outdir=${2:-${CLUSTERWRIGHT_KUBEBIN_DIR:-$HOME/.cache/clusterwright/kubebin}}
[[ $version =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || usage
minor=${BASH_REMATCH[1]}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
module=$here/v1.$minor
if [[ ! -f $module/go.mod ]]; then
	echo "kubebin: no module builds Kubernetes v1.$minor (sim/kubebin/v1.$minor/go.mod); write one with sim/kubebin/newmodule.sh $version" >&2
	exit 1
fi
cd "$module"
go=${GO:-go}

# The stamp names everything that goes into a binary besides the flags below.
kube_src=$("$go" list -m -f '{{.Path}}@{{.Version}}' k8s.io/kubernetes)
if [[ $kube_src != "k8s.io/kubernetes@$version" ]]; then
	echo "kubebin: sim/kubebin/v1.$minor builds $kube_src, not $version; use that version or rewrite the module with sim/kubebin/newmodule.sh $version" >&2
	exit 1
fi
etcd_src=$("$go" list -m -f '{{.Path}}@{{.Version}}' go.etcd.io/etcd/server/v3)
etcdctl_src=$("$go" list -m -f '{{.Path}}@{{.Version}}' go.etcd.io/etcd/etcdctl/v3)
etcdutl_src=$("$go" list -m -f '{{.Path}}@{{.Version}}' go.etcd.io/etcd/etcdutl/v3)
goversion=$("$go" env GOVERSION)
declare -A stamps=(
	[etcd]="version=$version etcd=$etcd_src go=$goversion"
	[etcdctl]="version=$version etcdctl=$etcdctl_src go=$goversion"
	[etcdutl]="version=$version etcdutl=$etcdutl_src go=$goversion"
	[kube-apiserver]="version=$version kubernetes=$kube_src go=$goversion"
	[kube-controller-manager]="version=$version kubernetes=$kube_src go=$goversion"
	[kube-scheduler]="version=$version kubernetes=$kube_src go=$goversion"
)

declare -A pkgs=(
	[etcd]=go.etcd.io/etcd/server/v3
	[kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
	[kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
	[kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
	[etcdctl]=go.etcd.io/etcd/etcdctl/v3
	[etcdutl]=go.etcd.io/etcd/etcdutl/v3
)

dest=$outdir/$version
mkdir -p "$dest"

# One build per version at a time: a second run waits, then finds the stamps.
exec 9>"$dest/.lock"
if ! flock -n 9; then
	echo "kubebin: waiting for another build of $version to finish"
	flock 9
fi

todo=()
for bin in etcd etcdctl etcdutl kube-apiserver kube-controller-manager kube-scheduler; do
	if [[ -x $dest/$bin && -f $dest/$bin.stamp && $(<"$dest/$bin.stamp") == "${stamps[$bin]}" ]]; then
		continue
	fi
	todo+=("$bin")
done
if [[ ${#todo[@]} -eq 0 ]]; then
	echo "kubebin: Kubernetes $version binaries are up to date in $dest"
	exit 0
fi
echo "kubebin: building Kubernetes $version binaries from $kube_src and $etcd_src (${todo[*]}); the first build of a version takes minutes"

# Build into a private directory and move each binary into place, so that an
# interrupted build never leaves a half-written binary next to a valid stamp.
tmp=$(mktemp -d "$dest/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The version variables an upstream release build sets (hack/lib/version.sh);
# without them the components report v0.0.0-master.
ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=$version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
ldflags+=" -X k8s.io/component-base/version.gitCommit=$kube_src"
ldflags+=" -X k8s.io/component-base/version.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

total=$SECONDS
n=0
for bin in "${todo[@]}"; do
	n=$((n + 1))
	echo "kubebin: [$n/${#todo[@]}] building $version/$bin from ${pkgs[$bin]}"
	start=$SECONDS
	# Like the upstream release, the control-plane binaries are static (no cgo).
	CGO_ENABLED=0 "$go" build -trimpath -ldflags "$ldflags" -o "$tmp/$bin" "${pkgs[$bin]}"
	mv -f "$tmp/$bin" "$dest/$bin"
	printf '%s\n' "${stamps[$bin]}" >"$dest/$bin.stamp"
	echo "kubebin: built $version/$bin in $((SECONDS - start))s"
done
echo "kubebin: built Kubernetes $version binaries in $((SECONDS - total))s"
