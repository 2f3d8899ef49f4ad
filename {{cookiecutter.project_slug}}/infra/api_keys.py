"""List, add, rotate and revoke the service's API keys in a stack's secret (what
`make api-keys` runs; docs/api-keys.md). The secret is one JSON object, client name ->
key; the service re-reads it while it runs, so each change reaches every pod within
the bound docs/api-keys.md gives, without a rollout.

Calls the AWS CLI with the caller's credentials. A key only ever travels on standard
input and output: never in a command line, which any process on the machine can read.
"""

import argparse
import json
import re
import secrets
import subprocess
import sys

# The canary's load tests send this client's key: it may be rotated, never revoked.
from cloud.secrets import CANARY_CLIENT

# The service's own rules (service/<package>/api_keys.py); a test keeps them equal.
CLIENT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
KEY_BYTES = 36  # 48 URL-safe characters, as the stack's first key
# External Secrets' refresh (1 min), the kubelet's update of the mounted secret (its
# 1 min sync period) and the service's re-read (10 s), with a margin.
BOUND = "4 minutes"


def aws(arguments: list[str], standard_input: str | None = None) -> str:
    # The user's AWS CLI, found on PATH as they would run it, with our own arguments.
    result = subprocess.run(  # noqa: S603
        ["aws", *arguments],  # noqa: S607
        input=standard_input,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"aws {' '.join(arguments[:2])} failed: {result.stderr.strip()}")
    return result.stdout


def read_keys(secret: str, region: str) -> dict[str, str]:
    document = aws(
        [
            *("secretsmanager", "get-secret-value", "--secret-id", secret, "--region", region),
            *("--query", "SecretString", "--output", "text"),
        ]
    )
    return json.loads(document)


def write_keys(secret: str, region: str, keys: dict[str, str]) -> None:
    aws(
        [
            *("secretsmanager", "put-secret-value", "--secret-id", secret, "--region", region),
            *("--secret-string", "file:///dev/stdin"),
        ],
        standard_input=json.dumps(keys),
    )


def changed(action: str, client: str, keys: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """The keys after `action` on `client`, and the new key to hand over, if any."""
    if not CLIENT_NAME.fullmatch(client):
        raise SystemExit(f"{client!r}: use 1 to 63 lowercase letters, digits and hyphens")
    exists = client in keys
    if action == "add" and exists:
        raise SystemExit(f"{client!r} already has a key: rotate or revoke it")
    if action in ("rotate", "revoke") and not exists:
        raise SystemExit(f"{client!r} has no key; clients: {', '.join(sorted(keys))}")
    if action == "revoke":
        if client == CANARY_CLIENT:
            raise SystemExit("the canary's load tests send this key: rotate it instead")
        return {name: key for name, key in keys.items() if name != client}, None
    new_key = secrets.token_urlsafe(KEY_BYTES)
    return {**keys, client: new_key}, new_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--secret", required=True, help="the stack's apiKeysSecretName output")
    parser.add_argument("--region", required=True)
    parser.add_argument("action", choices=["list", "add", "rotate", "revoke"])
    parser.add_argument("client", nargs="?", help="the client's name (not for list)")
    args = parser.parse_args(argv)
    keys = read_keys(args.secret, args.region)
    if args.action == "list":
        print("\n".join(sorted(keys)))
        return 0
    if not args.client:
        parser.error(f"{args.action} needs a client name: CLIENT=<name>")
    keys, new_key = changed(args.action, args.client, keys)
    write_keys(args.secret, args.region, keys)
    if new_key is None:
        print(f"Revoked {args.client!r}: refused by every pod within {BOUND}.", file=sys.stderr)
    else:
        print(
            f"{args.client!r}'s key, shown once; every pod accepts it within {BOUND}:",
            file=sys.stderr,
        )
        print(new_key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
