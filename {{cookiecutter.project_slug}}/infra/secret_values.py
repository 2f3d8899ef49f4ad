"""List, set and unset the values of the service's own secrets in a stack (what `make
secrets` runs; docs/secrets.md). service/<package>/service_secrets.toml declares them;
the stack's secret holds one entry per secret, SERVICE_<NAME> -> value, which External
Secrets copies into the service pods' environment.

A value is read from standard input (typed without echo at a terminal): never from a
command line, which any process on the machine can read (secrets_manager.py).
"""

import argparse
import getpass
import importlib
import sys
from pathlib import Path

from secrets_manager import read_document, write_document

# External Secrets' refresh interval (cloud/secrets.py): when new pods see a change.
REFRESH = "1 minute"


def declarations(package: str, path: Path) -> dict[str, str]:
    """SERVICE_<NAME> -> what it is for, read from `path` as the service reads it."""
    service_secrets = importlib.import_module(f"{package}.service_secrets")
    try:
        declared = service_secrets.declared(path)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    return {service_secrets.variable(name): text for name, text in declared.items()}


def listing(declared: dict[str, str], document: dict[str, str]) -> list[str]:
    lines = [
        f"{variable}  {'set' if variable in document else 'NOT SET'}  ({description})"
        for variable, description in declared.items()
    ]
    lines += [
        f"{variable}  set, but not declared: `make secrets ACTION=unset NAME={variable}`"
        for variable in sorted(set(document) - set(declared))
    ]
    return lines or ["service_secrets.toml declares no secret (docs/secrets.md)"]


def read_value(variable: str) -> str:
    value = getpass.getpass(f"{variable}: ") if sys.stdin.isatty() else sys.stdin.read()
    value = value.removesuffix("\n")
    if not value:
        raise SystemExit(f"no value given for {variable}: nothing changed")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--secret", required=True, help="the stack's serviceSecretsName output")
    parser.add_argument("--region", required=True)
    parser.add_argument("--package", required=True, help="the service's Python package")
    parser.add_argument("--declarations", type=Path, required=True, help="its service_secrets.toml")
    parser.add_argument("action", choices=["list", "set", "unset"])
    parser.add_argument("name", nargs="?", help="SERVICE_<NAME>, or <name> (not for list)")
    args = parser.parse_args(argv)
    declared = declarations(args.package, args.declarations)
    document = read_document(args.secret, args.region)
    if args.action == "list":
        print("\n".join(listing(declared, document)))
        return 0
    if not args.name:
        parser.error(f"{args.action} needs a secret: NAME=<name>")
    variable = args.name if args.name.startswith("SERVICE_") else f"SERVICE_{args.name.upper()}"
    if args.action == "unset":
        if variable not in document:
            raise SystemExit(f"{variable} is not set in {args.secret}: nothing changed")
        write_document(
            args.secret, args.region, {k: v for k, v in document.items() if k != variable}
        )
        print(f"Unset {variable}.", file=sys.stderr)
        return 0
    if variable not in declared:
        names = ", ".join(declared) or "none"
        raise SystemExit(
            f"{variable} is not declared in service_secrets.toml (declared: {names}); "
            "declare it first (docs/secrets.md)"
        )
    write_document(args.secret, args.region, {**document, variable: read_value(variable)})
    print(
        f"Set {variable}. Pods read their secrets when they start: new pods see it within "
        f"{REFRESH}; running ones at the next delivery, or now with "
        "`kubectl argo rollouts restart <rollout> -n <namespace>` (docs/secrets.md).",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
