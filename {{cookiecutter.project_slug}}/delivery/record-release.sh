#!/usr/bin/env bash
# Once an image serves all traffic: the drift job runs it too (its model's reference
# profile), so does the batch job (its model scores files as the service scores requests),
# and the environment's release record names it, so the next `pulumi up` of the
# cluster layer creates the service with it (infra/cloud/release_record.py).
# Usage: record-release.sh <image>   (needs ROLLOUT_NAME, APP_NAMESPACE, RELEASE_RECORD)
set -euo pipefail

image="${1:?usage: $0 <registry>/<repository>@sha256:<digest>}"
: "${ROLLOUT_NAME:?}" "${APP_NAMESPACE:?}" "${RELEASE_RECORD:?}"

kubectl set image "cronjob/${ROLLOUT_NAME}-drift-job" "drift-job=${image}" --namespace "${APP_NAMESPACE}"
kubectl set image "cronjob/${ROLLOUT_NAME}-batch" "batch=${image}" --namespace "${APP_NAMESPACE}"
aws ssm put-parameter --name "${RELEASE_RECORD}" --value "${image}" --type String --overwrite > /dev/null
echo "Recorded \`${image}\` as released in ${RELEASE_RECORD}."
