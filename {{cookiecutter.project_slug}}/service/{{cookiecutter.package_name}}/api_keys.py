"""The API keys the service accepts: one named key per client, in a JSON file
(`{"<client>": "<key>", ...}`) named by SERVICE_API_KEYS_FILE.

Every worker reads the file again at most RELOAD_SECONDS after its last read, so a key
added or revoked in the file takes effect without a restart. In the cluster the file is
the Kubernetes secret that External Secrets keeps in step with Secrets Manager, mounted
as a volume, which the kubelet rewrites in place (docs/api-keys.md gives the whole
chain and its bound). A file the service cannot use accepts no key at all: a revoked key
must never keep working because its revocation was malformed."""

import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

RELOAD_SECONDS = 10.0
# A key shorter than this is guessable by brute force over the network.
MIN_KEY_LENGTH = 32
# Client names appear in the access log, so they are short and plain.
CLIENT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
GENERATE_HINT = "generate one with python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class ApiKeysError(ValueError):
    """The keys file is missing or malformed; the message never contains a key."""


def read_api_keys(path: Path) -> dict[str, bytes]:
    """Client name -> key, validated: at least one client, plain names, long distinct keys."""
    try:
        document = json.loads(path.read_bytes())
    except OSError as error:
        raise ApiKeysError(f"cannot read {path}: {error.strerror}") from None
    except ValueError:
        raise ApiKeysError(f"{path} is not JSON") from None
    if not isinstance(document, dict) or not document:
        raise ApiKeysError(f"{path} must be a JSON object of client names to keys")
    keys: dict[str, bytes] = {}
    for client, key in document.items():
        if not CLIENT_NAME.fullmatch(client):
            raise ApiKeysError(
                f"client name {client[:64]!r}: use 1 to 63 lowercase letters, digits and hyphens"
            )
        if not isinstance(key, str) or len(key) < MIN_KEY_LENGTH:
            raise ApiKeysError(
                f"the key of client {client!r} is not a string of at least {MIN_KEY_LENGTH} "
                f"characters; {GENERATE_HINT}"
            )
        keys[client] = key.encode()
    if len(set(keys.values())) < len(keys):
        raise ApiKeysError(f"{path}: two clients share a key, so neither can be revoked alone")
    return keys


class ApiKeys:
    """The keys one worker accepts, read again when RELOAD_SECONDS have passed."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.clock = clock
        # Raises at start, so a missing or weak key stops the service before it serves.
        self.keys = read_api_keys(path)
        self.read_at = clock()

    def client(self, presented: bytes) -> str | None:
        """The name of the client whose key was presented, or None."""
        self.reload_if_due()
        # Compare with every key and never stop early, so response time reveals
        # neither which key matched nor how much of one did.
        matched = None
        for client, key in self.keys.items():
            if hmac.compare_digest(presented, key):
                matched = client
        return matched

    def reload_if_due(self) -> None:
        now = self.clock()
        if now - self.read_at < RELOAD_SECONDS:
            return
        self.read_at = now
        try:
            keys = read_api_keys(self.path)
        except ApiKeysError as error:
            logger.error("API keys not reloaded; accepting no key until fixed: %s", error)
            self.keys = {}
            return
        if keys != self.keys:
            logger.info("API keys reloaded", extra={"fields": {"clients": sorted(keys)}})
        self.keys = keys
