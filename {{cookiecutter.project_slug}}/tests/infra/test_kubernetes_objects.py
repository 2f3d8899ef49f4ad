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
CHECKOV_SKIPS = {
    "CKV_K8S_15": "images are pinned (by digest for the service), so IfNotPresent pulls the "
    "same bytes as Always without a registry round-trip on every pod start",
    "CKV_K8S_35": "the service reads its API keys from environment variables, filled from "
    "the Secret that External Secrets maintains; the key never appears in the manifests",
    "CKV_K8S_40": "containers run as their images' own non-root users (BentoML 1034, Locust "
    "1000); another UID would not own the files inside the image",
}


def manifests(plan: Plan) -> list[dict]:
    directory = plan.output / "kubernetes"
    return [yaml.safe_load(path.read_text()) for path in sorted(directory.glob("*.yaml"))]


def is_builtin(manifest: dict) -> bool:
    group = manifest["apiVersion"].rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def test_plan_writes_every_kubernetes_object_as_yaml(plan: Plan) -> None:
    kinds = sorted(manifest["kind"] for manifest in manifests(plan))
    platform = [
        "Namespace",
        "PodMonitor",
        "PrometheusRule",
        "ConfigMap",
        "EC2NodeClass",
        "NodePool",
        "SecretStore",
        # The service's keys file, and the canary's key for the load tests.
        "ExternalSecret",
        "ExternalSecret",
        "ExternalSecret",
        # What the GitHub deploy role may do in the app namespace, and to which fields.
        "Role",
        "RoleBinding",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        # The prediction log's shared volume.
        "StorageClass",
        "PersistentVolumeClaim",
    ]
    # Root, ping and pong for the ALB; stable and canary in the cluster.
    service = [
        "ServiceAccount",
        *["Service"] * 5,
        "Ingress",
        "Rollout",
        "HorizontalPodAutoscaler",
    ]
    # Default deny, the service's and the load tests' policies.
    service += ["NetworkPolicy"] * 3 + ["Service", "CronJob", "CronJob"]
    # The hourly drift job and who it may talk to.
    service += ["CronJob", "NetworkPolicy"]
    # The batch job: its account (Pod Identity binds its role), template and network.
    service += ["ServiceAccount", "CronJob", "NetworkPolicy"]
    analysis = ["ConfigMap", "AnalysisTemplate", "AnalysisTemplate", "PodDisruptionBudget"]
    assert kinds == sorted([*platform, *service, *analysis])


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


def as_builtin_workloads(manifest: dict) -> list[dict]:
    """checkov knows Deployments and Jobs, not Argo's kinds: scan the same pod specs as those."""
    if manifest["kind"] == "Rollout":
        spec = {key: manifest["spec"][key] for key in ("replicas", "selector", "template")}
        return [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": manifest["metadata"],
                "spec": spec,
            }
        ]
    if manifest["kind"] == "AnalysisTemplate":
        return [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {**manifest["metadata"], "name": metric["name"]},
                "spec": metric["provider"]["job"]["spec"],
            }
            for metric in manifest["spec"]["metrics"]
            if "job" in metric["provider"]
        ]
    return [manifest]


def test_checkov_finds_nothing_to_fix(plan: Plan, tmp_path: Path) -> None:
    scanned = [
        workload for manifest in manifests(plan) for workload in as_builtin_workloads(manifest)
    ]
    for index, manifest in enumerate(scanned):
        (tmp_path / f"{index:02d}.yaml").write_text(yaml.safe_dump(manifest))
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv runs checkov in its own environment (it cannot share one with Pulumi)"
    command = [uv, "tool", "run", "--from", CHECKOV, "checkov", "--directory", str(tmp_path)]
    command += ["--framework", "kubernetes", "--output", "json", "--compact", "--skip-download"]
    if CHECKOV_SKIPS:
        command += ["--skip-check", ",".join(CHECKOV_SKIPS)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)

    report = json.loads(result.stdout)
    failed = [
        f"{check['check_id']} {check['check_name']} ({check['resource']})"
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    summary = report.get("summary", report)
    assert failed == [], "\n".join(failed)
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0, "checkov checked nothing"
