"""Build provenance (SLSA v1) for an image delivery built, and the check made before it is
deployed.

`write` describes the build from the GitHub Actions run it happens in: which repository,
commit, ref and workflow, on which runner, in which run. delivery/sign-image.sh attests it
with the signing key. `check` reads what `cosign verify-attestation --type slsaprovenance1`
printed (a signed DSSE envelope per line, already verified against the key) and accepts
only provenance for this image's digest, built from this repository's main branch by its
delivery workflow, at the commit being delivered.

    python3 delivery/provenance.py write > build/provenance.json
    cosign verify-attestation ... | python3 delivery/provenance.py check --image <repo>@sha256:<hex>
"""

import argparse
import base64
import json
import os
import sys
from typing import Any

PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1"
DELIVERY_WORKFLOW = ".github/workflows/deploy.yml"
DELIVERED_REF = "refs/heads/main"


class ProvenanceRejected(Exception):
    """The provenance does not describe the build delivery expects; says which field."""


def github(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"{name} is not set: provenance is written inside a GitHub Actions job")
    return value


def predicate() -> dict[str, Any]:
    """Run facts only GitHub sets; GITHUB_WORKFLOW_REF names the calling workflow
    (owner/repo/.github/workflows/deploy.yml@refs/heads/main) even in a reusable one."""
    server, repository = github("GITHUB_SERVER_URL"), github("GITHUB_REPOSITORY")
    ref, commit = github("GITHUB_REF"), github("GITHUB_SHA")
    workflow_path = github("GITHUB_WORKFLOW_REF").removeprefix(f"{repository}/").split("@")[0]
    run = f"{server}/{repository}/actions/runs/{github('GITHUB_RUN_ID')}"
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {
                "workflow": {
                    "ref": ref,
                    "repository": f"{server}/{repository}",
                    "path": workflow_path,
                }
            },
            "internalParameters": {
                "github": {
                    "event_name": github("GITHUB_EVENT_NAME"),
                    "runner_environment": os.environ.get("RUNNER_ENVIRONMENT", "unknown"),
                }
            },
            "resolvedDependencies": [
                {"uri": f"git+{server}/{repository}@{ref}", "digest": {"gitCommit": commit}}
            ],
        },
        "runDetails": {
            "builder": {"id": f"{server}/{repository}/{workflow_path}@{ref}"},
            "metadata": {"invocationId": f"{run}/attempts/{github('GITHUB_RUN_ATTEMPT')}"},
        },
    }


def statements(verified_output: str) -> list[dict[str, Any]]:
    """The in-toto statements inside the envelopes cosign printed."""
    found = []
    for line in verified_output.splitlines():
        if line.strip():
            envelope = json.loads(line)
            found.append(json.loads(base64.b64decode(envelope["payload"])))
    return found


def check(statement: dict[str, Any], digest: str, expected: dict[str, str]) -> None:
    """Raise ProvenanceRejected naming the first field that is not what delivery built."""
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise ProvenanceRejected(f"predicateType is {statement.get('predicateType')!r}")
    digests = [subject["digest"].get("sha256") for subject in statement.get("subject", [])]
    if digest.removeprefix("sha256:") not in digests:
        raise ProvenanceRejected(f"subject digests {digests} do not include {digest}")
    definition = statement["predicate"]["buildDefinition"]
    workflow = definition["externalParameters"]["workflow"]
    [source] = definition["resolvedDependencies"]
    actual = {
        "repository": workflow["repository"],
        "ref": workflow["ref"],
        "workflow": workflow["path"],
        "commit": source["digest"]["gitCommit"],
    }
    for field, value in expected.items():
        if actual[field] != value:
            raise ProvenanceRejected(f"{field} is {actual[field]!r}, expected {value!r}")


def expected_build() -> dict[str, str]:
    """What this run delivers: the same repository and commit, from main, by delivery."""
    return {
        "repository": f"{github('GITHUB_SERVER_URL')}/{github('GITHUB_REPOSITORY')}",
        "ref": DELIVERED_REF,
        "workflow": DELIVERY_WORKFLOW,
        "commit": github("GITHUB_SHA"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("write", help="print this run's provenance predicate")
    checking = commands.add_parser("check", help="check verified provenance read from stdin")
    checking.add_argument("--image", required=True, help="<repository>@sha256:<digest>")
    arguments = parser.parse_args(argv)
    if arguments.command == "write":
        print(json.dumps(predicate(), indent=1))
        return 0
    digest = arguments.image.rsplit("@", 1)[-1]
    expected = expected_build()
    problems = []
    for statement in statements(sys.stdin.read()):
        try:
            check(statement, digest, expected)
        except ProvenanceRejected as problem:
            problems.append(str(problem))
        else:
            print(f"Provenance: {arguments.image} was built from {expected['commit']} on main.")
            return 0
    reasons = "; ".join(problems) or "no provenance attestation"
    print(f"::error::Refusing {arguments.image}: {reasons}.")
    return 1


if __name__ == "__main__":
    sys.exit(main())
