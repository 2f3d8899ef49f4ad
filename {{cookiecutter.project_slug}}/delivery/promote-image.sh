#!/usr/bin/env bash
# Make the image this environment deploys: the same digest, in its own registry
# (ECR_REPOSITORY_URL). Staging deploys what build pushed there; production copies the
# digest staging released, with its signatures and attestations, so it runs exactly what
# staging judged and verifies it where it runs it. Prints <repository>@sha256:<digest>.
# Usage: promote-image.sh <source repository>@sha256:<digest>
set -euo pipefail

source_image="${1:?usage: $0 <repository>@sha256:<digest>}"
: "${ECR_REPOSITORY_URL:?}" "${GITHUB_SHA:?}"
[[ "${source_image}" == *@sha256:* ]] || { echo "::error::promote by digest, not by tag: ${source_image}" >&2; exit 1; }
digest="${source_image#*@}"
image="${ECR_REPOSITORY_URL}@${digest}"

if [ "${source_image%@*}" != "${ECR_REPOSITORY_URL}" ]; then
    # Tagged with the commit, as build tags it. --force rewrites only cosign's own
    # sha256-* tags (mutable in the registry) when a rerun finds them; --k8s-keychain
    # takes registry credentials from the job's AWS role (no `docker login`).
    cosign copy --k8s-keychain --force "${source_image}" "${ECR_REPOSITORY_URL}:${GITHUB_SHA}" >&2
fi
echo "${image}"
