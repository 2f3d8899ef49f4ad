#!/usr/bin/env bash
# Install the kubectl argo rollouts plugin of the controller's version into ~/.local/bin,
# checked against the checksums published with the same release.
# Usage: install-argo-rollouts-plugin.sh <version, e.g. v1.9.1>
set -euo pipefail

version="${1:?usage: $0 <version, e.g. v1.9.1>}"
binary="kubectl-argo-rollouts-linux-amd64"
release="https://github.com/argoproj/argo-rollouts/releases/download/${version}"
workdir="$(mktemp -d)"
trap 'rm -rf "${workdir}"' EXIT

cd "${workdir}"
curl --fail --silent --show-error --location --remote-name "${release}/${binary}"
curl --fail --silent --show-error --location --remote-name "${release}/argo-rollouts-checksums.txt"
grep " ${binary}\$" argo-rollouts-checksums.txt | sha256sum --check --strict
install -D --mode 0755 "${binary}" "${HOME}/.local/bin/kubectl-argo-rollouts"
"${HOME}/.local/bin/kubectl-argo-rollouts" version --short
