"""List, add, rotate and revoke the service's API keys in a stack's secret (what
`make api-keys` runs; docs/api-keys.md). The secret is one JSON object, client name ->
key; the service re-reads it while it runs, so each change reaches every pod within
the bound docs/api-keys.md gives, without a rollout. A key is printed once, on standard
output (secrets_manager.py says why nothing travels in a command line).
"""

import argparse
import re
import secrets
import sys

from secrets_manager import read_document, write_document

# The canary's load tests send this client's key: it may be rotated, never revoked.
from cloud.secrets import CANARY_CLIENT

# The service's own rules (service/<package>/api_keys.py); a test keeps them equal.
CLIENT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
KEY_BYTES = 36  # 48 URL-safe characters, as the stack's first key
# External Secrets' refresh (1 min), the kubelet's update of the mounted secret (its
# 1 min sync period) and the service's re-read (10 s), with a margin.
BOUND = "4 minutes"


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
    keys = read_document(args.secret, args.region)
    if args.action == "list":
        print("\n".join(sorted(keys)))
        return 0
    if not args.client:
        parser.error(f"{args.action} needs a client name: CLIENT=<name>")
    keys, new_key = changed(args.action, args.client, keys)
    write_document(args.secret, args.region, keys)
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
