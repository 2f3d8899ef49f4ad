import json

from tests.infra.conftest import Plan


def test_api_key_is_generated_long_and_kept_under_a_customer_key(plan: Plan) -> None:
    password = plan.one("random:index/randomPassword:RandomPassword", "secrets-api-key")
    secret = plan.one("aws:secretsmanager/secret:Secret")
    key = plan.one("aws:kms/key:Key", "secrets-key")

    assert password["length"] >= 32
    assert secret["kmsKeyId"].endswith(":key/secrets-key")
    assert key["enableKeyRotation"] is True


def test_secret_holds_the_variable_the_service_reads(plan: Plan) -> None:
    version = plan.one("aws:secretsmanager/secretVersion:SecretVersion")
    secret_string = version["secretString"]
    value = secret_string["value"] if isinstance(secret_string, dict) else secret_string
    assert set(json.loads(value)) == {"SERVICE_API_KEY"}


def test_operator_reads_only_this_secret_through_pod_identity(plan: Plan) -> None:
    identity = plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "secrets-reader")
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "secrets-reader")["policy"])
    read, decrypt = policy["Statement"]

    assert (identity["namespace"], identity["serviceAccount"]) == (
        "external-secrets",
        "external-secrets",
    )
    assert read["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert read["Resource"] == [plan.arn("secretsmanager", "secret", "secrets-api-keys")]
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"].startswith("secretsmanager.")


def test_secret_reaches_the_app_namespace_without_static_credentials(plan: Plan) -> None:
    [store] = plan.kubernetes("SecretStore")
    [external] = plan.kubernetes("ExternalSecret")
    namespace = plan.kubernetes("Namespace")[0]["metadata"]["name"]

    assert store["apiVersion"] == external["apiVersion"] == "external-secrets.io/v1"
    assert store["metadata"]["namespace"] == external["metadata"]["namespace"] == namespace
    assert "auth" not in store["spec"]["provider"]["aws"]
    assert external["spec"]["refreshInterval"] == "15m"
    assert external["spec"]["dataFrom"] == [
        {"extract": {"key": plan.one("aws:secretsmanager/secret:Secret")["name"]}}
    ]
