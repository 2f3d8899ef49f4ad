"""The Kubernetes objects `make plan` writes: valid for the API server, and clean for checkov."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.infra.conftest import Plan
from tests.infra.crd_schemas import load_schemas, violations

KUBERNETES_VERSION = "1.34.0"
CHECKOV = "checkov==3.3.30"
# Checks that do not apply, each with the reason. Keep this list short and justified.
CHECKOV_SKIPS: dict[str, str] = {}


def manifests(plan: Plan) -> list[dict]:
    directory = plan.output / "kubernetes"
    return [yaml.safe_load(path.read_text()) for path in sorted(directory.glob("*.yaml"))]


def is_builtin(manifest: dict) -> bool:
    group = manifest["apiVersion"].rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def test_plan_writes_every_kubernetes_object_as_yaml(plan: Plan) -> None:
    kinds = sorted(manifest["kind"] for manifest in manifests(plan))
    assert kinds == sorted(
        ["Namespace", "PodMonitor", "EC2NodeClass", "NodePool", "SecretStore", "ExternalSecret"]
    )


def test_builtin_kinds_pass_strict_schema_validation(plan: Plan) -> None:
    builtins = [manifest for manifest in manifests(plan) if is_builtin(manifest)]
    assert builtins
    for manifest in builtins:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_custom_resources_match_the_crds_of_the_pinned_controllers(plan: Plan) -> None:
    directory = os.environ.get("CRD_SCHEMA_DIR")
    if not directory:
        pytest.skip(
            "CRD_SCHEMA_DIR is not set: no CRD schemas to validate custom resources against"
        )
    schemas = load_schemas(Path(directory))
    custom = [manifest for manifest in manifests(plan) if not is_builtin(manifest)]
    assert custom
    for manifest in custom:
        key = (manifest["apiVersion"], manifest["kind"])
        assert key in schemas, f"no CRD in {directory} serves {key}"
        assert violations(manifest, schemas[key]) == [], f"{key} {manifest['metadata']['name']}"


def test_app_namespace_enforces_the_restricted_pod_security_standard(plan: Plan) -> None:
    [namespace] = plan.kubernetes("Namespace")
    labels = namespace["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    assert labels["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"


def test_checkov_finds_nothing_to_fix(plan: Plan) -> None:
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv runs checkov in its own environment (it cannot share one with Pulumi)"
    command = [
        uv,
        "tool",
        "run",
        "--from",
        CHECKOV,
        "checkov",
        "--directory",
        str(plan.output / "kubernetes"),
    ]
    command += ["--framework", "kubernetes", "--output", "json", "--compact", "--skip-download"]
    if CHECKOV_SKIPS:
        command += ["--skip-check", ",".join(CHECKOV_SKIPS)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)

    report = json.loads(result.stdout)
    summary = report.get("summary", report)
    assert summary["failed"] == 0, result.stdout
    assert summary["parsing_errors"] == 0, result.stdout
