"""The service in the cluster: an Argo Rollouts canary behind an ALB, scaled by an HPA.

Each new image gets one canary pod and no traffic; the Locust gate tests it; then the
canary is scaled to its share of the pods, gets 10% of the traffic, and the Prometheus
analysis starts in the background; then 25%, 50% and all of it. A failed analysis at
any of those steps aborts the rollout and sends all traffic back to the stable pods.

The ALB sends traffic through ping-pong Services (upstream's recommendation for the ALB):
their selectors are never swapped at promotion, so the target groups never hold a mix of
draining and unregistered pods and readiness gates are injected into every new pod.

Pulumi declares everything here; delivery changes only the Rollout's image
(`kubectl argo rollouts set image`), and after creating the Rollout Pulumi never changes
that field, so the two never fight (see `DELIVERY_OWNED_FIELDS`).
"""

import json
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

from .app_namespace import AppNamespace
from .canary_analysis import CANARY_HASH_ARGUMENT, CanaryAnalysis
from .cluster_connection import ClusterConnection
from .distributed_load_test import DistributedLoadTest
from .load_test_pods import load_test_labels
from .naming import SKIP_AWAIT, component_type
from .network_policies import create_network_policies
from .secrets import SyncedSecrets
from .service_pod import (
    ALB_DEREGISTRATION_DELAY_SECONDS,
    ALB_IDLE_TIMEOUT_SECONDS,
    labels,
    pod_template,
)
from .stack_config import ClusterLayerConfig

# The only paths the ALB forwards, each exactly: it answers every other one itself (404),
# so /metrics, the probes, Swagger UI and made-up paths never reach a pod from outside.
ALB_ROUTES = ("/predict", "/feedback", "/docs.json")
SERVICE_PORT = 80
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
CPU_TARGET_PERCENT = 70
# A rollback to one of the last few revisions is an undo, not a new release: Argo Rollouts
# skips the steps and analysis for it, so rolling back takes seconds, not a canary.
ROLLBACK_WINDOW_REVISIONS = 3
# What delivery owns (`kubectl argo rollouts set image`) and the autoscaler owns.
# Why the whole container list and not `containers[0].image`: under server-side apply the
# Kubernetes provider resolves an ignoreChanges path against the live object's managed
# fields, and it cannot follow a list index (pulumi-kubernetes await.go: "TODO: Enhance
# support for ignoreField path to support nested arrays"). With `containers[0].image`
# Pulumi sends the image from its state, stale once delivery has changed it: the apply
# conflicts with delivery's field manager, or with patchForce silently reverts to an old
# image. With `containers` the provider sends the live containers as they are, so it
# neither conflicts nor reverts. The cost: a change to the container's settings (env,
# probes, resources) reaches a live Rollout only after lifting this for one `pulumi up`.
DELIVERY_OWNED_FIELDS = ["spec.template.spec.containers", "spec.replicas"]


def canary_steps(config: ClusterLayerConfig, analysis: CanaryAnalysis) -> list[dict]:
    """One canary pod and no traffic for the Locust gate; then the canary scaled to its
    weight (one pod taking 10% of a large fleet's traffic would fail a good build on
    latency); then the stack's `canary` setting: the first weight held for the analysis
    minutes, then each later weight for its pause."""
    canary = config.canary
    return [
        {"setCanaryScale": {"replicas": 1}},
        {"analysis": {"templates": [{"templateName": analysis.gate_template}]}},
        {"setCanaryScale": {"matchTrafficWeight": True}},
        {"setWeight": canary.analysis_weight},
        # The background analysis judges the first weight for at least this long.
        {"pause": {"duration": f"{canary.analysis_minutes}m"}},
        *(
            step
            for later in canary.steps
            for step in ({"setWeight": later.weight}, {"pause": {"duration": later.pause}})
        ),
    ]


def first_traffic_step(steps: list[dict]) -> int:
    return next(index for index, step in enumerate(steps) if "setWeight" in step)


def background_analysis(analysis: CanaryAnalysis, steps: list[dict]) -> dict:
    """The Prometheus analysis from the first traffic step until promotion stops it: one
    AnalysisRun (and so one load generator) judges 10%, 25% and 50% alike, where an inline
    step would judge 10% only."""
    return {
        "templates": [{"templateName": analysis.prometheus_template}],
        "startingStep": first_traffic_step(steps),
        "args": [{"name": CANARY_HASH_ARGUMENT, "valueFrom": {"podTemplateHashValue": "Latest"}}],
    }


def ingress_annotations(
    config: ClusterLayerConfig, subnet_ids: pulumi.Input[list[str]]
) -> dict[str, pulumi.Input[str]]:
    prefix = "alb.ingress.kubernetes.io"
    annotations = {
        f"{prefix}/scheme": config.load_balancer_scheme,
        # Named, not discovered: the controller keeps an existing ALB's subnets otherwise,
        # and the service's NetworkPolicy admits exactly these subnets' addresses.
        f"{prefix}/subnets": pulumi.Output.from_input(subnet_ids).apply(", ".join),
        f"{prefix}/target-type": "ip",
        f"{prefix}/healthcheck-path": "/readyz",
        f"{prefix}/target-group-attributes": (
            f"deregistration_delay.timeout_seconds={ALB_DEREGISTRATION_DELAY_SECONDS}"
        ),
        f"{prefix}/load-balancer-attributes": (
            f"idle_timeout.timeout_seconds={ALB_IDLE_TIMEOUT_SECONDS}"
        ),
    }
    if config.certificate_arn:
        return {
            **annotations,
            f"{prefix}/listen-ports": json.dumps([{"HTTPS": 443}]),
            f"{prefix}/certificate-arn": config.certificate_arn,
            f"{prefix}/ssl-policy": TLS_POLICY,
        }
    return {**annotations, f"{prefix}/listen-ports": json.dumps([{"HTTP": 80}])}


def load_balancer_url(status: kubernetes.networking.v1.outputs.IngressStatus | None) -> str:
    entries = (status and status.load_balancer and status.load_balancer.ingress) or []
    return (
        f"http://{entries[0].hostname}"
        if entries
        else "pending: the load balancer is being created"
    )


class ServiceWorkload(pulumi.ComponentResource):
    root_service: str
    ping_service: str
    pong_service: str
    stable_service: str
    canary_service: str
    url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        namespace: AppNamespace,
        image: str,
        secrets: SyncedSecrets,
        prediction_log_claim: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "ServiceWorkload"), name, None, opts)
        self.config, self.namespace_name = config, namespace.name
        options = pulumi.ResourceOptions(
            parent=self, provider=cluster.provider, depends_on=[namespace]
        )
        project = config.project
        # The ALB's three: the Ingress routes to the root, whose forward action Argo
        # Rollouts writes with the weights of ping and pong; one of those is the stable
        # pods, the other the canary, and they swap roles instead of selectors.
        self.root_service = f"{project}-root"
        self.ping_service = f"{project}-ping"
        self.pong_service = f"{project}-pong"
        # In-cluster names that always mean the stable or the canary pods (the Locust gate
        # tests the canary, the distributed load test the stable); no ALB uses them.
        self.stable_service = f"{project}-stable"
        self.canary_service = f"{project}-canary"

        self.declare_services(name, options)
        ingress = self.declare_ingress(name, cluster, options)
        create_network_policies(
            f"{name}-network", config, cluster, namespace, load_test_labels(config), self
        )
        analysis = self.declare_load_tests(name, cluster, namespace, secrets.canary_key)
        rollout = kubernetes.apiextensions.CustomResource(
            f"{name}-rollout",
            api_version="argoproj.io/v1alpha1",
            kind="Rollout",
            metadata=self.metadata(),
            spec=self.rollout_spec(image, secrets, prediction_log_claim, analysis),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=cluster.provider,
                depends_on=[namespace, ingress, analysis],
                ignore_changes=DELIVERY_OWNED_FIELDS,
            ),
        )
        self.declare_scaling(name, cluster, rollout, options)
        # Without a domain, the load balancer's name as the Ingress reported it when last
        # read: the Ingress is not awaited, so a first `up` may say "pending".
        self.url = (
            pulumi.Output.from_input(f"https://{config.domain_name}")
            if config.domain_name
            else ingress.status.apply(load_balancer_url)
        )
        self.register_outputs({"url": self.url})

    def metadata(self, object_name: str | None = None, **extra: dict) -> dict:
        return {
            "name": object_name or self.config.project,
            "namespace": self.namespace_name,
            "labels": labels(self.config),
            **extra,
        }

    def declare_services(self, name: str, options: pulumi.ResourceOptions) -> None:
        """The pods' service account, and the five Services in front of them."""
        kubernetes.core.v1.ServiceAccount(
            f"{name}-account",
            metadata=self.metadata(),
            automount_service_account_token=False,
            opts=options,
        )
        services = (
            self.root_service,
            self.ping_service,
            self.pong_service,
            self.stable_service,
            self.canary_service,
        )
        for service in services:
            # Argo Rollouts adds the template hash to each selector but the root's.
            kubernetes.core.v1.Service(
                f"{name}-{service}",
                metadata=self.metadata(service, annotations=SKIP_AWAIT),
                spec={
                    "selector": labels(self.config),
                    "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": "http"}],
                },
                opts=options,
            )

    def declare_ingress(
        self, name: str, cluster: ClusterConnection, options: pulumi.ResourceOptions
    ) -> kubernetes.networking.v1.Ingress:
        """The ALB, in the subnets the service's NetworkPolicy admits."""
        annotations = ingress_annotations(self.config, cluster.load_balancer_subnet_ids)
        return kubernetes.networking.v1.Ingress(
            f"{name}-ingress",
            metadata=self.metadata(annotations={**annotations, **SKIP_AWAIT}),
            spec={
                "ingressClassName": "alb",
                "rules": [ingress_rule(self.config, self.root_service)],
            },
            opts=options,
        )

    def declare_load_tests(
        self,
        name: str,
        cluster: ClusterConnection,
        namespace: AppNamespace,
        canary_key_secret: str,
    ) -> CanaryAnalysis:
        """The canary's analysis (the Locust gate and the Prometheus queries) and the
        distributed load test of the stable pods."""
        analysis = CanaryAnalysis(
            f"{name}-analysis",
            self.config,
            cluster,
            namespace,
            self.canary_service,
            canary_key_secret,
            opts=pulumi.ResourceOptions(parent=self),
        )
        DistributedLoadTest(
            f"{name}-distributed-load-test",
            self.config,
            cluster,
            namespace,
            self.stable_service,
            canary_key_secret,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[analysis]),
        )
        return analysis

    def rollout_spec(
        self,
        image: str,
        secrets: SyncedSecrets,
        prediction_log_claim: str,
        analysis: CanaryAnalysis,
    ) -> dict[str, Any]:
        config = self.config
        return {
            "replicas": config.service_replicas.min,
            "revisionHistoryLimit": 5,
            "rollbackWindow": {"revisions": ROLLBACK_WINDOW_REVISIONS},
            "selector": {"matchLabels": labels(config)},
            "template": pod_template(config, image, secrets, prediction_log_claim),
            "strategy": {
                "canary": self.canary_strategy(
                    config.project, analysis, canary_steps(config, analysis)
                )
            },
        }

    def declare_scaling(
        self,
        name: str,
        cluster: ClusterConnection,
        rollout: pulumi.Resource,
        options: pulumi.ResourceOptions,
    ) -> None:
        """The autoscaler of the Rollout, and the disruption budget of its pods."""
        kubernetes.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-autoscaler",
            metadata=self.metadata(),
            spec=autoscaler_spec(self.config),
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=[rollout]
            ),
        )
        kubernetes.policy.v1.PodDisruptionBudget(
            f"{name}-disruption-budget",
            metadata=self.metadata(),
            spec={"maxUnavailable": 1, "selector": {"matchLabels": labels(self.config)}},
            opts=options,
        )

    def canary_strategy(
        self, ingress: str, analysis: CanaryAnalysis, steps: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Argo Rollouts' canary: the ALB's weights through ping and pong, the Locust gate
        and the traffic steps, and the Prometheus analysis in the background."""
        return {
            # With both pairs set, upstream routes the ALB through ping-pong only
            # (argo-rollouts #3628) and keeps stable/canary for the rest.
            "pingPong": {"pingService": self.ping_service, "pongService": self.pong_service},
            "stableService": self.stable_service,
            "canaryService": self.canary_service,
            "abortScaleDownDelaySeconds": 30,
            "trafficRouting": {
                "alb": {
                    "ingress": ingress,
                    "rootService": self.root_service,
                    "servicePort": SERVICE_PORT,
                }
            },
            "analysis": background_analysis(analysis, steps),
            "steps": steps,
        }


def ingress_rule(config: ClusterLayerConfig, root_service: str) -> dict[str, Any]:
    """The service's routes only, each to the root Service, whose weighted forward action
    Argo Rollouts writes into the Ingress's annotations."""
    backend = {"service": {"name": root_service, "port": {"name": "use-annotation"}}}
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {"path": route, "pathType": "Exact", "backend": backend} for route in ALB_ROUTES
            ]
        }
    }
    if config.domain_name:
        rule["host"] = config.domain_name
    return rule


def autoscaler_spec(config: ClusterLayerConfig) -> dict[str, Any]:
    """CPU-based scaling of the Rollout between the stack's replica bounds."""
    return {
        "scaleTargetRef": {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "name": config.project,
        },
        "minReplicas": config.service_replicas.min,
        "maxReplicas": config.service_replicas.max,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": CPU_TARGET_PERCENT},
                },
            }
        ],
    }
