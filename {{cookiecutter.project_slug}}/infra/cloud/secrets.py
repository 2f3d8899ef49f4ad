"""The service's API keys, one per client: a JSON object of client name -> key, kept in
AWS Secrets Manager under a customer KMS key, and synced into the app namespace by
External Secrets Operator, which reads it with its own EKS Pod Identity role. No static
credentials anywhere. The secret and the role are the AWS layer's; the operator and the
syncs, the cluster layer's. Clients are added, rotated and revoked with `make api-keys`
(docs/api-keys.md), which writes the secret; Pulumi only creates it."""

from typing import NamedTuple

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes
import pulumi_random as random

from . import helm_charts, iam
from .app_namespace import AppNamespace
from .cluster import Cluster
from .cluster_connection import ClusterConnection
from .encryption import rotating_key
from .naming import component_type, tags
from .pod_identity import pod_identity_role
from .service_pod import KEYS_FILE
from .stack_config import AwsLayerConfig, ClusterLayerConfig

NAMESPACE = "external-secrets"
SERVICE_ACCOUNT = "external-secrets"
STORE_NAME = "aws-secrets-manager"
# How often the Kubernetes secrets are compared with Secrets Manager: the first step of
# a revocation's way to the pods (docs/api-keys.md). Two GetSecretValue calls a minute
# cost about $0.45 a month.
REFRESH_INTERVAL = "1m"
API_KEY_LENGTH = 48
# The client the canary's load tests are: created with the secret, and the only key the
# load-test pods receive, so a gate pod never holds a real client's key.
CANARY_CLIENT = "canary"
# The variable the load tests read the canary's key from.
CANARY_KEY_VARIABLE = "API_KEY"


class KeySecrets(NamedTuple):
    """The two Kubernetes secrets synced from the one in Secrets Manager."""

    # Every client's key, as KEYS_FILE: mounted as the service's keys file.
    service: str
    # The canary client's key only, as CANARY_KEY_VARIABLE: for the load-test pods.
    canary: str


def key_secrets(config: ClusterLayerConfig) -> KeySecrets:
    return KeySecrets(f"{config.project}-api-keys", f"{config.project}-canary-key")


class SecretsAws(pulumi.ComponentResource):
    """The AWS layer's part: the key, the secret and the operator's reading role."""

    secret_arn: pulumi.Output[str]
    secret_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "SecretsAws"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        key = rotating_key(f"{name}-key", config, "Encrypts the service secrets", self)
        api_key = random.RandomPassword(
            f"{name}-api-key", length=API_KEY_LENGTH, special=False, opts=child
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-api-keys",
            name=f"{config.name}/service-api-keys",
            description='API keys the service accepts, one per client: {"<client>": "<key>"}',
            kms_key_id=key.arn,
            recovery_window_in_days=7,
            tags=tags(config),
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-api-keys",
            secret_id=secret.id,
            secret_string=pulumi.Output.json_dumps({CANARY_CLIENT: api_key.result}),
            # Clients are added and revoked outside Pulumi; never put the first version back.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secretString"]),
        )
        # What the operator calls for `data` entries of one named secret (its whole value,
        # or one property of its JSON): GetSecretValue (external-secrets v2.9.0,
        # providers/v1/aws/secretsmanager); DescribeSecret for `metadataPolicy: Fetch`.
        # The docs' ListSecrets and BatchGetSecretValue serve `dataFrom.find`, unused here.
        pod_identity_role(
            f"{name}-reader",
            config,
            cluster.name,
            NAMESPACE,
            SERVICE_ACCOUNT,
            iam.policy_json(
                iam.allow(
                    ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], [secret.arn]
                ),
                iam.allow(
                    ["kms:Decrypt"],
                    [key.arn],
                    StringEquals={
                        "kms:ViaService": f"secretsmanager.{config.region}.amazonaws.com"
                    },
                ),
            ),
            self,
        )
        self.secret_arn = secret.arn
        self.secret_name = secret.name
        self.register_outputs({"secret_arn": self.secret_arn})


class SecretsOperator(pulumi.ComponentResource):
    """The cluster layer's controller: External Secrets Operator and its CRDs."""

    release: kubernetes.helm.v3.Release

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "SecretsOperator"), name, None, opts)
        self.release = helm_charts.release(
            f"{name}-chart",
            helm_charts.EXTERNAL_SECRETS,
            NAMESPACE,
            {"installCRDs": True, "serviceAccount": {"name": SERVICE_ACCOUNT}},
            cluster.provider,
            self,
        )
        self.register_outputs({})


class Secrets(pulumi.ComponentResource):
    """The cluster layer's objects: the app namespace's store and the synced secret. The
    namespace comes after the operator, so its CRDs exist by then."""

    key_secrets: KeySecrets

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        namespace: AppNamespace,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "Secrets"), name, None, opts)
        store = kubernetes.apiextensions.CustomResource(
            f"{name}-store",
            api_version="external-secrets.io/v1",
            kind="SecretStore",
            metadata={"name": STORE_NAME, "namespace": namespace.name},
            # No auth block: the operator uses its own Pod Identity credentials.
            spec={"provider": {"aws": {"service": "SecretsManager", "region": config.region}}},
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=[namespace]
            ),
        )
        self.key_secrets = key_secrets(config)
        secret_name = cluster.output("apiKeysSecretName")
        self.sync(
            f"{name}-api-keys-sync",
            self.key_secrets.service,
            # No property: the secret's whole JSON document, which is the keys file.
            {"secretKey": KEYS_FILE, "remoteRef": {"key": secret_name}},
            namespace,
            cluster,
            store,
        )
        self.sync(
            f"{name}-canary-key-sync",
            self.key_secrets.canary,
            {
                "secretKey": CANARY_KEY_VARIABLE,
                "remoteRef": {"key": secret_name, "property": CANARY_CLIENT},
            },
            namespace,
            cluster,
            store,
        )
        self.register_outputs({})

    def sync(
        self,
        name: str,
        target: str,
        data: dict,
        namespace: AppNamespace,
        cluster: ClusterConnection,
        store: pulumi.Resource,
    ) -> None:
        """An ExternalSecret keeping the Kubernetes secret `target` equal to `data`."""
        kubernetes.apiextensions.CustomResource(
            name,
            api_version="external-secrets.io/v1",
            kind="ExternalSecret",
            metadata={"name": target, "namespace": namespace.name},
            spec={
                "refreshInterval": REFRESH_INTERVAL,
                "secretStoreRef": {"name": STORE_NAME, "kind": "SecretStore"},
                "target": {"name": target, "creationPolicy": "Owner"},
                "data": [data],
            },
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[store]),
        )
