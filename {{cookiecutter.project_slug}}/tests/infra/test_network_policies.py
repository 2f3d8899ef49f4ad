"""Who can reach whom in the cluster, by the NetworkPolicies the cluster layer renders
(and the one the Pushgateway's chart renders from the values it is given), evaluated
with the Kubernetes API's rules (tests/infra/network_reachability.py)."""

import ipaddress

import pytest

from cloud.load_test_pods import MASTER_PORT
from cloud.prometheus_stack import (
    NAMESPACE as MONITORING,
)
from cloud.prometheus_stack import (
    PROMETHEUS_POD_LABELS,
    PUSHGATEWAY_NAME,
    PUSHGATEWAY_POD_LABELS,
    PUSHGATEWAY_PORT,
)
from cloud.service_pod import PORT as SERVICE_PORT
from tests.infra.conftest import Plan
from tests.infra.network_reachability import Peer, can_reach
from tests.infra.test_service_workload import ingress_annotation

DNS_PORT = 53


def chart_policy(plan: Plan) -> dict:
    """The NetworkPolicy prometheus-pushgateway 3.8.0 renders from `networkPolicy`
    (templates/networkpolicy.yaml): the chart's pods, ingress on the target port (9091)
    from `customSelectors`. (Its selector also names the release instance, which every
    pod of the release carries; left out here, as from the Pushgateway's peer below.)"""
    [release] = [
        release
        for release in plan.all("kubernetes:helm.sh/v3:Release")
        if release["inputs"]["chart"] == "prometheus-pushgateway"
    ]
    values = release["inputs"]["values"]
    return {
        "metadata": {"namespace": release["inputs"]["namespace"]},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus-pushgateway"}},
            "ingress": [
                {
                    "ports": [{"port": PUSHGATEWAY_PORT}],
                    "from": values["networkPolicy"]["customSelectors"],
                }
            ],
        },
    }


@pytest.fixture
def cluster(plan: Plan) -> tuple[list[dict], dict[str, Peer]]:
    policies = [*plan.kubernetes("NetworkPolicy"), chart_policy(plan)]
    app = plan.kubernetes("Namespace")[0]["metadata"]["name"]
    [rollout] = plan.kubernetes("Rollout")
    project = rollout["metadata"]["name"]
    drift_job = cron_pod_labels(plan, f"{project}-drift-job")
    [pushgateway] = [
        release
        for release in plan.all("kubernetes:helm.sh/v3:Release")
        if release["inputs"]["chart"] == "prometheus-pushgateway"
    ]
    # Pods, nodes and the CI runner take addresses in the private subnets (the VPC CNI);
    # the ALB, in the subnets the AWS layer gives load balancers of its scheme.
    [private, *_] = [
        subnet["inputs"]["cidrBlock"]
        for subnet in plan.all("aws:ec2/subnet:Subnet")
        if "-private-" in subnet["name"]
    ]
    scheme = ingress_annotation(plan, "scheme")
    alb_subnet = plan.exports["loadBalancerSubnets"][scheme]["cidrs"][-1]
    addresses = (str(address) for address in ipaddress.ip_network(private).hosts())

    def pod(name: str, namespace: str, labels: dict[str, str]) -> Peer:
        return Peer(name, next(addresses), namespace, labels)

    peers = {
        "alb": Peer("alb", str(next(ipaddress.ip_network(alb_subnet).hosts()))),
        "another node": Peer("another node", next(addresses)),
        "ci runner": Peer("ci runner", next(addresses)),
        "service": pod("service", app, rollout["spec"]["template"]["metadata"]["labels"]),
        "gate": pod("gate", app, job_pod_labels(plan, "locust-gate")),
        "analysis load": pod("analysis load", app, job_pod_labels(plan, "canary-load")),
        "master": pod("master", app, cron_pod_labels(plan, f"{project}-load-test-master")),
        "worker": pod("worker", app, cron_pod_labels(plan, f"{project}-load-test-workers")),
        "drift job": pod("drift job", app, drift_job),
        "other app pod": pod("other app pod", app, {"app": "something-else"}),
        "prometheus": pod("prometheus", MONITORING, PROMETHEUS_POD_LABELS),
        "pushgateway": pod(
            "pushgateway", pushgateway["inputs"]["namespace"], PUSHGATEWAY_POD_LABELS
        ),
        "other namespace pod": pod("other namespace pod", "default", {"app": "anything"}),
        "coredns": pod("coredns", "kube-system", {"k8s-app": "kube-dns"}),
    }
    return policies, peers


def job_pod_labels(plan: Plan, metric: str) -> dict[str, str]:
    """The labels of the pods an AnalysisTemplate's Job metric runs."""
    [job] = [
        entry["provider"]["job"]
        for template in plan.kubernetes("AnalysisTemplate")
        for entry in template["spec"]["metrics"]
        if entry["name"] == metric
    ]
    return job["spec"]["template"]["metadata"]["labels"]


def cron_pod_labels(plan: Plan, name: str) -> dict[str, str]:
    [cron] = [cron for cron in plan.kubernetes("CronJob") if cron["metadata"]["name"] == name]
    return cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]


# (from, to, port, reachable)
TABLE = [
    ("alb", "service", SERVICE_PORT, True),
    ("prometheus", "service", SERVICE_PORT, True),
    ("gate", "service", SERVICE_PORT, True),
    ("analysis load", "service", SERVICE_PORT, True),
    ("master", "service", SERVICE_PORT, True),
    ("worker", "service", SERVICE_PORT, True),
    ("worker", "master", MASTER_PORT, True),
    ("drift job", "pushgateway", PUSHGATEWAY_PORT, True),
    ("prometheus", "pushgateway", PUSHGATEWAY_PORT, True),
    ("service", "coredns", DNS_PORT, True),
    ("drift job", "coredns", DNS_PORT, True),
    # Only the ALB's subnets, not the VPC: no pod of another namespace, no node, no runner.
    ("other namespace pod", "service", SERVICE_PORT, False),
    ("another node", "service", SERVICE_PORT, False),
    ("ci runner", "service", SERVICE_PORT, False),
    # Default deny in the app namespace: a pod no policy names can do nothing.
    ("other app pod", "service", SERVICE_PORT, False),
    ("other app pod", "coredns", DNS_PORT, False),
    ("alb", "master", MASTER_PORT, False),
    ("alb", "drift job", 8080, False),
    # The service calls out to nothing but DNS, nor does the drift job beyond its push.
    ("service", "pushgateway", PUSHGATEWAY_PORT, False),
    ("service", "master", MASTER_PORT, False),
    ("drift job", "service", SERVICE_PORT, False),
    ("gate", "pushgateway", PUSHGATEWAY_PORT, False),
    # Only the drift job may overwrite the drift results, and only Prometheus reads them.
    ("other namespace pod", "pushgateway", PUSHGATEWAY_PORT, False),
    ("worker", "pushgateway", PUSHGATEWAY_PORT, False),
]


@pytest.mark.parametrize(
    ("source", "target", "port", "reachable"),
    TABLE,
    ids=[f"{source} -> {target}:{port}" for source, target, port, _ in TABLE],
)
def test_who_can_reach_whom(
    cluster: tuple[list[dict], dict[str, Peer]],
    source: str,
    target: str,
    port: int,
    reachable: bool,
) -> None:
    policies, peers = cluster
    assert can_reach(policies, peers[source], peers[target], port) is reachable


def test_the_pushgateway_is_the_chart_s_pods_by_its_name(plan: Plan) -> None:
    # The chart's name is its pods' name label; the release is named after it.
    assert PUSHGATEWAY_POD_LABELS == {"app.kubernetes.io/name": PUSHGATEWAY_NAME}
    [release] = [
        release
        for release in plan.all("kubernetes:helm.sh/v3:Release")
        if release["inputs"]["chart"] == "prometheus-pushgateway"
    ]
    assert release["inputs"]["values"]["fullnameOverride"] == PUSHGATEWAY_NAME
