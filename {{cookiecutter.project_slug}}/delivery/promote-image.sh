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
    # Tagged with the commit, as build tags it: the lifecycle policy keeps tagged releases.
    cosign copy --force "${source_image}" "${ECR_REPOSITORY_URL}:${GITHUB_SHA}" >&2
fi
echo "${image}"
