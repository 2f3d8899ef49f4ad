import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cloud.secrets import CANARY_CLIENT
from cloud.service_pod import KEYS_FILE
from tests.infra.conftest import Plan
from tests.server_settings import SERVICE

# This folder is not rendered with the package's name: take it from the served service.
read_api_keys = importlib.import_module(f"{SERVICE.split('.')[0]}.api_keys").read_api_keys


def test_api_key_is_generated_long_and_kept_under_a_customer_key(plan: Plan) -> None:
    password = plan.one("random:index/randomPassword:RandomPassword", "secrets-api-key")
    secrets = plan.all("aws:secretsmanager/secret:Secret")
    key = plan.one("aws:kms/key:Key", "secrets-key")

    assert password["length"] >= 32
    assert sorted(secret["name"] for secret in secrets) == [
        "secrets-api-keys",
        "secrets-service-secrets",
    ]
    for secret in secrets:
        assert secret["inputs"]["kmsKeyId"].endswith(":key/secrets-key")
    assert key["enableKeyRotation"] is True


def first_value(plan: Plan, secret: str) -> str:
    """The document Pulumi writes first into `secret` (shown as {"value": ...} when the
    plan marks it secret)."""
    version = plan.one("aws:secretsmanager/secretVersion:SecretVersion", secret)
    value = version["secretString"]
    return value["value"] if isinstance(value, dict) else value


def test_secret_is_a_keys_file_the_service_accepts_with_the_canary_as_its_first_client(
    plan: Plan, tmp_path: Path
) -> None:
    keys_file = tmp_path / KEYS_FILE
    keys_file.write_text(first_value(plan, "secrets-api-keys"))
    assert set(read_api_keys(keys_file)) == {CANARY_CLIENT}


def test_the_service_secrets_start_as_an_empty_document(plan: Plan) -> None:
    assert json.loads(first_value(plan, "secrets-service-secrets")) == {}


def test_operator_reads_only_these_secrets_through_pod_identity(plan: Plan) -> None:
    identity = plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "secrets-reader")
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "secrets-reader")["policy"])
    read, decrypt = policy["Statement"]

    assert (identity["namespace"], identity["serviceAccount"]) == (
        "external-secrets",
        "external-secrets",
    )
    assert read["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert read["Resource"] == [
        plan.arn("secretsmanager", "secret", name)
        for name in ("secrets-api-keys", "secrets-service-secrets")
    ]
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"].startswith("secretsmanager.")


def pod_specs(value: Any) -> Iterator[dict[str, Any]]:
    """Every pod spec inside a Kubernetes object: a Rollout's, a Job template's, ..."""
    if isinstance(value, dict):
        if "containers" in value:
            yield value
        for item in value.values():
            yield from pod_specs(item)
    elif isinstance(value, list):
        for item in value:
            yield from pod_specs(item)


def secret_references(pod: dict[str, Any]) -> set[str]:
    volumes = {
        volume["secret"]["secretName"] for volume in pod.get("volumes", []) if "secret" in volume
    }
    variables = {
        variable["valueFrom"]["secretKeyRef"]["name"]
        for container in pod["containers"]
        for variable in container.get("env", [])
        if "secretKeyRef" in variable.get("valueFrom", {})
    }
    whole_secrets = {
        source["secretRef"]["name"]
        for container in pod["containers"]
        for source in container.get("envFrom", [])
        if "secretRef" in source
    }
    return volumes | variables | whole_secrets


def pods_referencing(plan: Plan, secret: str) -> list[dict[str, Any]]:
    """Every planned pod spec (services, analysis, jobs) that reads `secret`."""
    return [
        pod
        for kind in ("Rollout", "AnalysisTemplate", "Job", "CronJob")
        for resource in plan.kubernetes(kind)
        for pod in pod_specs(resource)
        if secret in secret_references(pod)
    ]


def test_the_service_mounts_every_key_and_the_load_tests_get_only_the_canarys(plan: Plan) -> None:
    [store] = plan.kubernetes("SecretStore")
    namespace = plan.kubernetes("Namespace")[0]["metadata"]["name"]
    secret_name = plan.one("aws:secretsmanager/secret:Secret", "secrets-api-keys")["name"]
    synced = {
        external["metadata"]["name"]: external for external in plan.kubernetes("ExternalSecret")
    }
    [rollout] = plan.kubernetes("Rollout")
    service_pod = rollout["spec"]["template"]["spec"]
    [keys_volume] = [volume for volume in service_pod["volumes"] if "secret" in volume]
    [mount] = [
        mount
        for mount in service_pod["containers"][0]["volumeMounts"]
        if mount["name"] == keys_volume["name"]
    ]
    keys_secret = keys_volume["secret"]["secretName"]
    environment = {item["name"]: item.get("value") for item in service_pod["containers"][0]["env"]}
    load_test_pods = [
        pod
        for kind in ("AnalysisTemplate", "Job")
        for resource in plan.kubernetes(kind)
        for pod in pod_specs(resource)
        if pod["containers"][0]["name"] == "locust"
    ]

    assert "auth" not in store["spec"]["provider"]["aws"]
    for external in synced.values():
        assert external["metadata"]["namespace"] == namespace
        assert external["spec"]["refreshInterval"] == "1m"
    assert synced[keys_secret]["spec"]["data"] == [
        {"secretKey": KEYS_FILE, "remoteRef": {"key": secret_name}}
    ]
    assert mount["readOnly"] and "subPath" not in mount  # subPath mounts never update
    assert environment["SERVICE_API_KEYS_FILE"] == f"{mount['mountPath']}/{KEYS_FILE}"
    assert keys_volume["secret"]["defaultMode"] == 0o440
    assert load_test_pods
    for pod in load_test_pods:
        [canary_secret] = secret_references(pod)
        assert synced[canary_secret]["spec"]["data"] == [
            {"secretKey": "API_KEY", "remoteRef": {"key": secret_name, "property": CANARY_CLIENT}}
        ]
    assert pods_referencing(plan, keys_secret) == [service_pod]


def test_the_service_alone_gets_every_declared_secret_as_its_environment(plan: Plan) -> None:
    """Each entry of the service-secrets document, SERVICE_<NAME> -> value, becomes a
    variable of the service's pods and of no other pod (docs/secrets.md)."""
    secret_name = plan.one("aws:secretsmanager/secret:Secret", "secrets-service-secrets")["name"]
    [synced] = [
        external for external in plan.kubernetes("ExternalSecret") if "dataFrom" in external["spec"]
    ]
    [rollout] = plan.kubernetes("Rollout")
    service_pod = rollout["spec"]["template"]["spec"]
    target = synced["metadata"]["name"]

    assert synced["spec"]["dataFrom"] == [{"extract": {"key": secret_name}}]
    assert synced["spec"]["refreshInterval"] == "1m"
    assert service_pod["containers"][0]["envFrom"] == [
        {"secretRef": {"name": target, "optional": True}}
    ]
    assert pods_referencing(plan, target) == [service_pod]
