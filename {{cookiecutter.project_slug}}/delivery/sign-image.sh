#!/usr/bin/env bash
# Sign an image by digest, and attest its SBOM and its build provenance, with the
# account's KMS key (IMAGE_SIGNING_KEY in .github/delivery.env; the private half never
# leaves KMS). Nothing is sent to the public transparency log: the repository may be
# private. Signatures are stored as tags beside the image (sha256-<digest>.sig, .att),
# the form `cosign copy` carries into production's registry (promote-image.sh).
# Usage: sign-image.sh <repository>@sha256:<digest> <sbom.spdx.json> <provenance.json>
set -euo pipefail

image="${1:?usage: $0 <image by digest> <sbom> <provenance>}"
sbom="${2:?usage: $0 <image by digest> <sbom> <provenance>}"
provenance="${3:?usage: $0 <image by digest> <sbom> <provenance>}"
: "${IMAGE_SIGNING_KEY:?}"
[[ "${image}" == *@sha256:* ]] || { echo "::error::sign by digest, not by tag: ${image}"; exit 1; }

# --k8s-keychain: registry credentials from the job's AWS role, through the ECR credential
# helper built into cosign, so no `docker login` is needed.
signing=(--yes --k8s-keychain --key "${IMAGE_SIGNING_KEY}" --new-bundle-format=false
    --use-signing-config=false --tlog-upload=false)
cosign sign "${signing[@]}" "${image}"
cosign attest "${signing[@]}" --type spdxjson --predicate "${sbom}" "${image}"
cosign attest "${signing[@]}" --type slsaprovenance1 --predicate "${provenance}" "${image}"
