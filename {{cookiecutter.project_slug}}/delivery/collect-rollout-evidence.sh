#!/usr/bin/env bash
# After a failed rollout: save what the analyses saw into <dir> and print a Markdown
# report for the job summary. Every step tolerates a missing piece, so that one absent
# object never hides the others.
# Usage: collect-rollout-evidence.sh <dir>   (needs ROLLOUT_NAME and APP_NAMESPACE)
set -uo pipefail

dir="${1:?usage: $0 <dir>}"
: "${ROLLOUT_NAME:?}" "${APP_NAMESPACE:?}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "${dir}"

kubectl argo rollouts get rollout "${ROLLOUT_NAME}" --namespace "${APP_NAMESPACE}" \
    > "${dir}/rollout.txt" 2>&1
kubectl get analysisruns --namespace "${APP_NAMESPACE}" --output json \
    > "${dir}/analysisruns.json" 2> "${dir}/analysisruns.err" || echo '{"items": []}' > "${dir}/analysisruns.json"

# The Locust gate's Jobs: their logs end with the SLO verdict table.
python3 "${here}/rollout_report.py" jobs "${dir}/analysisruns.json" --rollout "${ROLLOUT_NAME}" |
    while read -r job; do
        kubectl logs "job/${job}" --namespace "${APP_NAMESPACE}" --all-containers \
            > "${dir}/${job}.log" 2>&1
    done

echo "## Rollout of ${ROLLOUT_NAME} stopped"
echo
echo '```'
head -n 40 "${dir}/rollout.txt"
echo '```'
echo
python3 "${here}/rollout_report.py" summary "${dir}/analysisruns.json" --rollout "${ROLLOUT_NAME}"
for log in "${dir}"/*.log; do
    [ -e "${log}" ] || continue
    echo "### Locust gate: $(basename "${log}" .log)"
    echo
    echo '```'
    tail -n 12 "${log}"
    echo '```'
done
