#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go modules, because envtest's usual
# download (setup-envtest) cannot reach its bucket from machines without
# general internet access. The binaries are cached by version under
# bin/k8s/<version>, so only the first run pays for the build (~8 min on
# 2 cores). kubectl comes from the machine (Debian package) when present.
#
# Usage: hack/control-plane.sh        prints the assets directory for
#                                     KUBEBUILDER_ASSETS on stdout.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.1}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
assets="${root}/bin/k8s/${KUBE_VERSION}-etcd-${ETCD_VERSION}"
mkdir -p "${assets}"

log() { echo "control-plane: $*" >&2; }

# staging_replaces MODULE@VERSION STAGING_VERSION prints `replace` lines that
# point every module the parent's go.mod maps to ./staging at a release.
staging_replaces() {
  local gomod
  gomod="$(go mod download -json "$1" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  sed -n 's#^[[:space:]]*\([^[:space:]]*\) => \./staging/.*#\1#p' "${gomod}" |
    while read -r mod; do echo "replace ${mod} => ${mod} $2"; done
}

build() { # build NAME MAIN_PACKAGE REQUIRE_LINE REPLACES LDFLAGS
  local name="$1" pkg="$2" require="$3" replaces="$4" ldflags="$5"
  if [[ -x "${assets}/${name}" ]]; then return; fi
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' RETURN
  log "building ${name} (first run only; several minutes)"
  (
    cd "${work}"
    printf 'module localbuild\n\ngo 1.26\n\nrequire %s\n\n%s\n' "${require}" "${replaces}" > go.mod
    printf 'package tools\n\nimport _ "%s"\n' "${pkg}" > tools.go
    GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
    GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "${ldflags}" -o "${assets}/${name}.tmp" "${pkg}"
  )
  mv "${assets}/${name}.tmp" "${assets}/${name}"
}

export GOFLAGS=-mod=mod
tmpgo="$(mktemp -d)"
trap 'rm -rf "${tmpgo}"' EXIT
(cd "${tmpgo}" && go mod init tmp >/dev/null 2>&1)

kube_minor="v0.${KUBE_VERSION#v1.}"
kube_replaces="$(cd "${tmpgo}" && staging_replaces "k8s.io/kubernetes@${KUBE_VERSION}" "${kube_minor}")"
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver \
  "k8s.io/kubernetes ${KUBE_VERSION}" "${kube_replaces}" \
  "-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "${KUBE_VERSION}" | cut -d. -f2)"

etcd_replaces=""
for m in api client/pkg client/v3 pkg; do
  mod="go.etcd.io/etcd/${m}"; [[ "${mod}" == */v3 ]] || mod="${mod}/v3"
  etcd_replaces+="replace ${mod} => ${mod} ${ETCD_VERSION}"$'\n'
done
build etcd go.etcd.io/etcd/server/v3 \
  "go.etcd.io/etcd/server/v3 ${ETCD_VERSION}" "${etcd_replaces}" \
  "-s -w"

if [[ ! -x "${assets}/kubectl" ]]; then
  if command -v kubectl >/dev/null; then
    ln -sf "$(command -v kubectl)" "${assets}/kubectl"
  else
    log "kubectl not found; install it (apt-get install kubectl) for kubectl-based tests"
  fi
fi
echo "${assets}"
