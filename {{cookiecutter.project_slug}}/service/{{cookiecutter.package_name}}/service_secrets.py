"""The service's own secrets besides its API keys, declared in service_secrets.toml: the
one list the service's start-up check (settings.py), the local .env and `make secrets`
all read.

A secret `<name>` reaches the service as the environment variable SERVICE_<NAME>:
locally from .env, which this file writes when run as a script (`make .env`); in the
cluster from the stack's secret in AWS Secrets Manager, synced by External Secrets
(docs/secrets.md). Standard library only: `make .env` runs it with the system's Python,
before the project's environment exists.
"""

import argparse
import json
import os
import re
import secrets
import sys
import tomllib
from pathlib import Path

DECLARATIONS = Path(__file__).with_name("service_secrets.toml")
# Lowercase, as a settings field; its variable is SERVICE_ and the name in capitals.
NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
VARIABLE_PREFIX = "SERVICE_"


def variable(name: str) -> str:
    return VARIABLE_PREFIX + name.upper()


def declared(path: Path = DECLARATIONS) -> dict[str, str]:
    """Every declared secret's name and what it is for, in the file's order."""
    try:
        tables = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: {error}") from None
    problems = [
        f"[{name}]: name it with lowercase letters, digits and underscores, from a letter"
        for name in tables
        if not NAME.fullmatch(name)
    ] + [
        f'[{name}]: give it exactly one key, description = "what it is for"'
        for name, table in tables.items()
        if not isinstance(table, dict)
        or set(table) != {"description"}
        or not str(table["description"]).strip()
    ]
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return {name: table["description"] for name, table in tables.items()}


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read, whatever the umask."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def write_local_env(env_file: Path, keys_file: Path, path: Path = DECLARATIONS) -> list[str]:
    """Create `env_file` with a development API key (and `keys_file`, the service's keys)
    the first time; then add a random development value for every declared secret it
    lacks, never touching what is there. Returns the variables added."""
    lines = env_file.read_text().splitlines() if env_file.exists() else []
    present = {line.partition("=")[0].strip() for line in lines if "=" in line}
    added = []
    if "API_KEY" not in present:
        key = "dev-" + secrets.token_urlsafe(32)
        write_private(keys_file, json.dumps({"developer": key}) + "\n")
        lines += [f"API_KEY={key}", f"SERVICE_API_KEYS_FILE={keys_file.resolve()}"]
        added += ["API_KEY", "SERVICE_API_KEYS_FILE"]
    for name, description in declared(path).items():
        if variable(name) not in present:
            lines += [
                f"# {description} (a development value)",
                f"{variable(name)}=dev-{secrets.token_urlsafe(24)}",
            ]
            added.append(variable(name))
    if added:
        write_private(env_file, "\n".join(lines) + "\n")
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the local .env (make .env).")
    parser.add_argument("--env-file", type=Path, required=True)
    parser.add_argument("--keys-file", type=Path, required=True)
    arguments = parser.parse_args(argv)
    try:
        added = write_local_env(arguments.env_file, arguments.keys_file)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    if added:
        print(f"Wrote {', '.join(added)} to {arguments.env_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
