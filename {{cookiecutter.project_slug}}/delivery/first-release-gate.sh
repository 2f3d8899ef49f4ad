#!/usr/bin/env bash
# Gate a first release with the canary's Locust SLO gate (delivery/first_release_run.py
# says why) and wait for its verdict. Exits 1 unless the gate passes.
# Usage: first-release-gate.sh <analysis template> <timeout seconds>
#        (needs ROLLOUT_NAME and APP_NAMESPACE)
set -euo pipefail

template="${1:?usage: $0 <analysis template> <timeout seconds>}"
timeout="${2:?usage: $0 <analysis template> <timeout seconds>}"
: "${ROLLOUT_NAME:?}" "${APP_NAMESPACE:?}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

kubectl get analysistemplate "${template}" --namespace "${APP_NAMESPACE}" --output json > "${work}/template.json"
kubectl get rollout "${ROLLOUT_NAME}" --namespace "${APP_NAMESPACE}" --output json > "${work}/rollout.json"
python3 "${here}/first_release_run.py" "${work}/template.json" "${work}/rollout.json" > "${work}/run.json"
run="$(kubectl create --filename "${work}/run.json" --output name)"
echo "Started ${run}: the ${template} gate on the first release."

deadline=$((SECONDS + timeout))
while true; do
    phase="$(kubectl get "${run}" --namespace "${APP_NAMESPACE}" --output 'jsonpath={.status.phase}')"
    case "${phase}" in
        Successful)
            echo "${run} passed."
            exit 0
            ;;
        Failed | Error | Inconclusive)
            echo "::error::The first release failed its ${template} gate (${run}: ${phase}). It still serves: there was nothing to return to. Fix and push again, or roll forward by hand."
            exit 1
            ;;
    esac
    if ((SECONDS >= deadline)); then
        echo "::error::${run} gave no verdict within ${timeout} s (phase: ${phase:-Pending}); timed out."
        exit 1
    fi
    sleep 10
done
