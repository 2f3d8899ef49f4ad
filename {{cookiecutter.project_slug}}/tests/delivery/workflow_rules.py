"""The hygiene every GitHub workflow here must keep, as plain functions returning problems.

The template repository checks its own workflow with this same file.
"""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses:\s*(\S+)\s+#\s*v\d+(\.\d+)*\s*$")
# Triggers that run with write access or secrets on code from forks.
UNSAFE_TRIGGERS = {"pull_request_target", "workflow_run"}
AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
# Reusable workflows and actions of this same repository, in the self-repository form
# (`$/`) or the older workspace-relative one (`./`): they need no pin.
LOCAL_PREFIXES = ("$/", "./")


TOOLS = Path(sys.executable).parent


def zizmor(directory: Path) -> subprocess.CompletedProcess[str]:
    """zizmor's offline audits (no GitHub API) of every workflow in `directory`."""
    return subprocess.run(
        [TOOLS / "zizmor", "--offline", "--no-progress", directory], capture_output=True, text=True
    )


def schema_check(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """The workflows against GitHub's workflow schema, as vendored by check-jsonschema."""
    return subprocess.run(
        [TOOLS / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *paths],
        capture_output=True,
        text=True,
    )


def load(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def assumes_aws_role(job: dict[str, Any], directory: Path) -> bool:
    """A job assumes the AWS role itself, or calls a local workflow that does."""
    called = job.get("uses", "")
    if called.startswith(LOCAL_PREFIXES):
        workflow = load(directory / Path(called).name)
        return any(assumes_aws_role(inner, directory) for inner in workflow["jobs"].values())
    return any(step.get("uses", "").startswith(AWS_CREDENTIALS_ACTION) for step in steps(job))


def problems(path: Path) -> list[str]:
    """Everything wrong with one workflow file, one line each, naming the job and step."""
    workflow = load(path)
    found = []
    if workflow.get("permissions") != {}:
        found.append("top level: `permissions: {}` is missing; grant per job instead")
    triggers = workflow.get("on") or {}
    found += [f"trigger {name} is not allowed" for name in UNSAFE_TRIGGERS & set(triggers)]
    for name, job in workflow.get("jobs", {}).items():
        permissions = job.get("permissions")
        if not isinstance(permissions, dict):
            found.append(f"job {name}: no explicit `permissions`")
            permissions = {}
        if "uses" not in job and "timeout-minutes" not in job:
            found.append(f"job {name}: no `timeout-minutes`")
        wants_token = permissions.get("id-token") == "write"
        if wants_token != assumes_aws_role(job, path.parent):
            found.append(
                f"job {name}: `id-token: write` must be granted exactly when AWS is assumed"
            )
        for index, step in enumerate(steps(job)):
            label = f"job {name}, step {step.get('name') or step.get('uses') or index}"
            action = step.get("uses", "")
            if action and not action.startswith(LOCAL_PREFIXES) and not PINNED.match(action):
                found.append(f"{label}: action not pinned to a full commit SHA")
            credentials_kept = step.get("with", {}).get("persist-credentials") is not False
            if action.startswith("actions/checkout@") and credentials_kept:
                found.append(f"{label}: checkout without `persist-credentials: false`")
            if "${{" in step.get("run", ""):
                found.append(f"{label}: expression inside `run:`; pass it through `env:`")
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        action = line.split("uses:", 1)[-1].split("#")[0].strip() if "uses:" in line else ""
        if PINNED.match(action) and not VERSION_COMMENT.search(line):
            found.append(f"line {number}: pinned action without a `# vX.Y.Z` comment")
    return found
