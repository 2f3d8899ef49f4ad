#!/usr/bin/env bash
# Before any deploy: the image's signature, its SBOM attestation and its build provenance
# verify against the account's signing key, and the provenance names this repository's
# main branch, its delivery workflow and the commit being delivered (provenance.py).
# Usage: verify-image.sh <repository>@sha256:<digest>   (prints a line for the job summary)
set -euo pipefail

image="${1:?usage: $0 <image by digest>}"
: "${IMAGE_SIGNING_KEY:?}"
here="$(cd "$(dirname "$0")" && pwd)"

# The signatures are in tags beside the image (sign-image.sh); looking only there means a
# bundle attached some other way can never stand in for them. --k8s-keychain: registry
# credentials from the job's AWS role (no `docker login` on the runner).
verifying=(--k8s-keychain --key "${IMAGE_SIGNING_KEY}" --new-bundle-format=false
    --insecure-ignore-tlog=true)
cosign verify "${verifying[@]}" "${image}" > /dev/null
cosign verify-attestation "${verifying[@]}" --type spdxjson "${image}" > /dev/null
cosign verify-attestation "${verifying[@]}" --type slsaprovenance1 "${image}" |
    python3 "${here}/provenance.py" check --image "${image}"
