#!/usr/bin/env bash
# Install one binary of a GitHub release into ~/.local/bin, checked against the checksums
# published with the same release: the Argo Rollouts kubectl plugin of the controller's
# version, and cosign. No setup action needed, so it runs the same on GitHub's runners
# and on the in-VPC CodeBuild runner.
# Usage: install-release-binary.sh <owner/repo> <version> <asset> <checksums file> <installed name>
#   e.g. install-release-binary.sh sigstore/cosign v3.1.2 cosign-linux-amd64 cosign_checksums.txt cosign
set -euo pipefail

usage="usage: $0 <owner/repo> <version> <asset> <checksums file> <installed name>"
repository="${1:?${usage}}"
version="${2:?${usage}}"
asset="${3:?${usage}}"
checksums="${4:?${usage}}"
name="${5:?${usage}}"
release="https://github.com/${repository}/releases/download/${version}"
workdir="$(mktemp -d)"
trap 'rm -rf "${workdir}"' EXIT

cd "${workdir}"
curl --fail --silent --show-error --location --remote-name "${release}/${asset}"
curl --fail --silent --show-error --location --remote-name "${release}/${checksums}"
grep " ${asset}\$" "${checksums}" | sha256sum --check --strict
install -D --mode 0755 "${asset}" "${HOME}/.local/bin/${name}"
echo "${HOME}/.local/bin" >> "${GITHUB_PATH:-/dev/null}"
