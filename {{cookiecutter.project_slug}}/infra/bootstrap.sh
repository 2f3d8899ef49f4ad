#!/usr/bin/env bash
# `make bootstrap`: the account bootstrap, once per account, with administrator credentials
# and nothing else. Its state starts in a local folder (the bucket that will hold every
# stack's state does not exist yet), then moves into that bucket; the environments' stacks
# are created there with their own KMS keys for secrets. Safe to run again: once the
# bootstrap lives in the bucket, it is updated there.
set -euo pipefail
cd "$(dirname "$0")"

backend_url="$1"   # s3://<bucket>?region=<region>, computed by the Makefile from the stack file
bucket="${backend_url#s3://}"
bucket="${bucket%%\?*}"
# The bootstrap stack holds no secret values: an empty passphrase is its secrets provider.
export PULUMI_CONFIG_PASSPHRASE=""

for tool in pulumi aws; do
  command -v "$tool" >/dev/null || { echo "bootstrap needs the $tool CLI on PATH" >&2; exit 1; }
done
aws sts get-caller-identity --query Arn --output text >/dev/null \
  || { echo "no AWS credentials: sign in as an administrator of the target account" >&2; exit 1; }

# Kept until the state has moved, so a run that stopped half-way goes on from there.
local_state="$PWD/.bootstrap-state"
if [ ! -d "$local_state" ] && aws s3api head-bucket --bucket "$bucket" 2>/dev/null; then
  echo "The state bucket exists: updating the bootstrap in place."
  PULUMI_BACKEND_URL="$backend_url" pulumi up --yes --stack bootstrap
else
  mkdir -p "$local_state"
  export PULUMI_BACKEND_URL="file://$local_state"
  pulumi stack select --create bootstrap --secrets-provider passphrase
  pulumi up --yes --stack bootstrap
  pulumi stack export --stack bootstrap --file "$local_state/bootstrap.json"

  echo "Moving the bootstrap's state into $backend_url."
  export PULUMI_BACKEND_URL="$backend_url"
  pulumi stack select bootstrap 2>/dev/null \
    || pulumi stack init bootstrap --secrets-provider passphrase
  pulumi stack import --stack bootstrap --file "$local_state/bootstrap.json"
  rm -rf "$local_state"
fi

export PULUMI_BACKEND_URL="$backend_url"
# Each environment's two stacks encrypt their secrets with that environment's key.
for environment in dev prod; do
  provider="$(pulumi stack output secretsProviders --stack bootstrap --json \
    | python3 -c "import json, sys; print(json.load(sys.stdin)['$environment'])")"
  for stack in "$environment" "$environment-cluster"; do
    pulumi stack select "$stack" 2>/dev/null \
      || pulumi stack init "$stack" --secrets-provider "$provider"
  done
done
echo
echo "Bootstrapped. Next: approve the GitHub connection (docs/infrastructure.md, step 3)."
