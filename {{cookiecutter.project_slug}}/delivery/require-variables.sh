#!/usr/bin/env bash
# Fail early, naming every GitHub variable a job needs that is not set.
# Usage: require-variables.sh NAME...   (DEPLOY_ENVIRONMENT names the environment, if any)
set -euo pipefail

missing=()
for name in "$@"; do
    [ -n "${!name:-}" ] || missing+=("${name}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    where="this repository"
    if [ -n "${DEPLOY_ENVIRONMENT:-}" ]; then
        where="the GitHub environment '${DEPLOY_ENVIRONMENT}'"
    fi
    echo "::error::Not set in ${where}: ${missing[*]}." \
        "Set them from the stack's outputs as docs/delivery.md shows (make github-variables)."
    exit 1
fi
