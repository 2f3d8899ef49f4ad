"""The service's secrets, in AWS Secrets Manager under a customer KMS key, synced into the
app namespace by External Secrets Operator, which reads them with its own EKS Pod
Identity role. No static credentials anywhere. Two secrets, each a JSON object:

- the API keys, one per client (client name -> key): mounted as the service's keys file,
  which it re-reads while running; `make api-keys` writes them (docs/api-keys.md);
- the service's own secrets, those service/<package>/service_secrets.toml declares
  (SERVICE_<NAME> -> value): the pods' environment; `make secrets` writes them
  (docs/secrets.md).

The secrets and the role are the AWS layer's; the operator and the syncs, the cluster
layer's. Pulumi creates each secret and never writes it again."""

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


class SyncedSecrets(NamedTuple):
    """The Kubernetes secrets synced from Secrets Manager."""

    # Every client's key, as KEYS_FILE: mounted as the service's keys file.
    api_keys: str
    # The canary client's key only, as CANARY_KEY_VARIABLE: for the load-test pods.
    canary_key: str
    # The service's own secrets, one SERVICE_<NAME> entry each: the pods' environment.
    service_secrets: str


def synced_secrets(config: ClusterLayerConfig) -> SyncedSecrets:
    return SyncedSecrets(
        f"{config.project}-api-keys",
        f"{config.project}-canary-key",
        f"{config.project}-service-secrets",
    )


class SecretsAws(pulumi.ComponentResource):
    """The AWS layer's part: the key, the secrets and the operator's reading role."""

    api_keys_name: pulumi.Output[str]
    service_secrets_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "SecretsAws"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.key = rotating_key(f"{name}-key", config, "Encrypts the service secrets", self)
        canary_key = random.RandomPassword(
            f"{name}-api-key", length=API_KEY_LENGTH, special=False, opts=child
        )
        api_keys = self.json_secret(
            f"{name}-api-keys",
            config,
            "service-api-keys",
            'API keys the service accepts, one per client: {"<client>": "<key>"}',
            pulumi.Output.json_dumps({CANARY_CLIENT: canary_key.result}),
        )
        service_secrets = self.json_secret(
            f"{name}-service-secrets",
            config,
            "service-secrets",
            'The service\'s own secrets (service_secrets.toml): {"SERVICE_<NAME>": "<value>"}',
            "{}",
        )
        # What the operator calls for `data` entries of one named secret (its whole value,
        # or one property of its JSON) and for `dataFrom.extract` (every property):
        # GetSecretValue (external-secrets v2.9.0, providers/v1/aws/secretsmanager);
        # DescribeSecret for `metadataPolicy: Fetch`. The docs' ListSecrets and
        # BatchGetSecretValue serve `dataFrom.find`, unused here.
        pod_identity_role(
            f"{name}-reader",
            config,
            cluster.name,
            NAMESPACE,
            SERVICE_ACCOUNT,
            iam.policy_json(
                iam.allow(
                    ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    [api_keys.arn, service_secrets.arn],
                ),
                iam.allow(
                    ["kms:Decrypt"],
                    [self.key.arn],
                    StringEquals={
                        "kms:ViaService": f"secretsmanager.{config.region}.amazonaws.com"
                    },
                ),
            ),
            self,
        )
        self.api_keys_name = api_keys.name
        self.service_secrets_name = service_secrets.name
        self.register_outputs({})

    def json_secret(
        self,
        name: str,
        config: AwsLayerConfig,
        secret_name: str,
        description: str,
        first_value: pulumi.Input[str],
    ) -> aws.secretsmanager.Secret:
        """A secret holding one JSON object. Pulumi writes its first value only: `make
        api-keys` and `make secrets` change it from then on, and no `pulumi up` puts the
        first one back."""
        secret = aws.secretsmanager.Secret(
            name,
            name=f"{config.name}/{secret_name}",
            description=description,
            kms_key_id=self.key.arn,
            recovery_window_in_days=7,
            tags=tags(config),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.secretsmanager.SecretVersion(
            name,
            secret_id=secret.id,
            secret_string=first_value,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secretString"]),
        )
        return secret


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

    synced: SyncedSecrets

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
        self.synced = synced_secrets(config)
        api_keys = cluster.output("apiKeysSecretName")

        def sync(target: str, source: dict) -> None:
            """An ExternalSecret keeping the Kubernetes secret `target` equal to `source`."""
            kubernetes.apiextensions.CustomResource(
                f"{name}-{target.removeprefix(config.project + '-')}-sync",
                api_version="external-secrets.io/v1",
                kind="ExternalSecret",
                metadata={"name": target, "namespace": namespace.name},
                spec={
                    "refreshInterval": REFRESH_INTERVAL,
                    "secretStoreRef": {"name": STORE_NAME, "kind": "SecretStore"},
                    "target": {"name": target, "creationPolicy": "Owner"},
                    **source,
                },
                opts=pulumi.ResourceOptions(
                    parent=self, provider=cluster.provider, depends_on=[store]
                ),
            )

        # No property: the secret's whole JSON document, which is the keys file.
        sync(
            self.synced.api_keys,
            {"data": [{"secretKey": KEYS_FILE, "remoteRef": {"key": api_keys}}]},
        )
        sync(
            self.synced.canary_key,
            {
                "data": [
                    {
                        "secretKey": CANARY_KEY_VARIABLE,
                        "remoteRef": {"key": api_keys, "property": CANARY_CLIENT},
                    }
                ]
            },
        )
        # Every entry of the JSON document, as its own key: SERVICE_<NAME> -> value.
        service_secrets = cluster.output("serviceSecretsName")
        sync(self.synced.service_secrets, {"dataFrom": [{"extract": {"key": service_secrets}}]})
        self.register_outputs({})
