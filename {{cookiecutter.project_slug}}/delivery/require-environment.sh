#!/usr/bin/env bash
# Fail unless the GitHub environment is provisioned, that is listed in the repository
# variable DEPLOY_ENVIRONMENTS (which `make github-variables` keeps): a job on that
# environment's in-VPC runner would otherwise wait a day for a runner that does not exist.
# Usage: require-environment.sh <staging|production>
set -euo pipefail

environment="${1:?usage: $0 <staging|production>}"
case "${DEPLOY_ENVIRONMENTS:-[]}" in
    *"\"${environment}\""*) ;;
    *)
        echo "::error::The ${environment} environment is not provisioned (DEPLOY_ENVIRONMENTS:" \
            "${DEPLOY_ENVIRONMENTS:-unset}), so it has no in-VPC runner. Run make provision and" \
            "make github-variables for its stack (docs/infrastructure.md)."
        exit 1
        ;;
esac
