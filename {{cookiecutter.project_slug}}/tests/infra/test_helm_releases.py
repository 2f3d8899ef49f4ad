import re

from tests.infra.conftest import Plan, reveal

EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+")
# Every release of the cluster layer: chart, chart version, the app version it ships, and
# where that chart version was seen published. Chart versions match the CRD schemas the
# custom-resource tests check against; chart and app versions differ for most charts.
CHARTS = {
    "karpenter-chart": (
        "oci://public.ecr.aws/karpenter/karpenter",
        "1.14.1",
        "1.14.1",
        "aws/karpenter-provider-aws tag v1.14.1, pushed to public.ecr.aws (OCI only)",
    ),
    "secrets-operator-chart": (
        "external-secrets",
        "2.9.0",
        "v2.9.0",
        "external-secrets/external-secrets tag helm-chart-2.9.0",
    ),
    "load-balancer-controller-chart": (
        "aws-load-balancer-controller",
        "3.5.0",
        "v3.5.0",
        "aws/eks-charts gh-pages index.yaml (aws-load-balancer-controller-3.5.0.tgz)",
    ),
    "argo-rollouts-chart": (
        "argo-rollouts",
        "2.41.1",
        "v1.9.1",
        "argoproj/argo-helm tag argo-rollouts-2.41.1 (2026-07-20)",
    ),
    "monitoring-stack-chart": (
        "kube-prometheus-stack",
        "88.3.0",
        "v0.93.0",
        "prometheus-community/helm-charts tag kube-prometheus-stack-88.3.0",
    ),
    "logs-agent": (
        "aws-for-fluent-bit",
        "0.2.0",
        "3.2.1",
        "aws/eks-charts gh-pages index.yaml (aws-for-fluent-bit-0.2.0.tgz)",
    ),
    "monitoring-stack-pushgateway": (
        "prometheus-pushgateway",
        "3.8.0",
        "v1.11.3",
        "prometheus-community/helm-charts tag prometheus-pushgateway-3.8.0",
    ),
}
# Charts whose version is their app's by upstream convention.
VERSIONED_AS_THE_APP = {"karpenter", "external-secrets", "aws-load-balancer-controller"}
# App versions a chart version could be mistaken for (pushgateway 3.11.2 was once pinned:
# no such chart exists; 1.11.2 is a pushgateway release).
KNOWN_APP_VERSIONS = {"1.11.2", "1.11.3", "1.9.1", "0.93.0"}


def releases(plan: Plan) -> dict[str, dict]:
    return {
        release["name"]: release["inputs"] for release in plan.all("kubernetes:helm.sh/v3:Release")
    }


def test_the_cluster_runs_exactly_the_charts_of_the_table_at_their_versions(plan: Plan) -> None:
    planned = {
        name: (inputs["chart"], inputs["version"]) for name, inputs in releases(plan).items()
    }
    assert planned == {name: (chart, version) for name, (chart, version, _, _) in CHARTS.items()}


def test_every_chart_is_pinned_to_an_exact_version_and_rolls_back_on_failure(plan: Plan) -> None:
    assert all(EXACT_VERSION.fullmatch(inputs["version"]) for inputs in releases(plan).values())
    assert all(inputs["atomic"] for inputs in releases(plan).values())


def test_no_chart_version_is_an_app_version_by_mistake() -> None:
    for chart, version, app_version, _ in CHARTS.values():
        name = chart.rsplit("/", 1)[-1]
        if name in VERSIONED_AS_THE_APP:
            assert version == app_version.removeprefix("v"), name
        else:
            assert version != app_version.removeprefix("v"), name
            assert version not in KNOWN_APP_VERSIONS, name


def test_load_balancer_controller_has_waf_and_shield_off_matching_its_policy(plan: Plan) -> None:
    values = plan.one("kubernetes:helm.sh/v3:Release", "load-balancer-controller-chart")["values"]
    assert (values["enableWaf"], values["enableWafv2"], values["enableShield"]) == (
        False,
        False,
        False,
    )


def test_argo_rollouts_verifies_target_groups_before_shifting_traffic(plan: Plan) -> None:
    values = plan.one("kubernetes:helm.sh/v3:Release", "argo-rollouts-chart")["values"]
    assert "--aws-verify-target-group" in values["controller"]["extraArgs"]


def test_grafana_gets_a_generated_admin_password(plan: Plan) -> None:
    values = plan.one("kubernetes:helm.sh/v3:Release", "monitoring-stack-chart")["values"]
    assert reveal(values["grafana"]["adminPassword"]) not in ("", "admin", "prom-operator")


def test_pushgateway_is_scraped_keeping_the_labels_the_drift_job_pushes(plan: Plan) -> None:
    values = plan.one("kubernetes:helm.sh/v3:Release", "monitoring-stack-pushgateway")["values"]
    assert values["serviceMonitor"] == {
        "enabled": True,
        "namespace": "monitoring",
        "honorLabels": True,
    }
    assert values["containerSecurityContext"]["readOnlyRootFilesystem"] is True
