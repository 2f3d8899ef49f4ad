import re

from tests.infra.conftest import Plan, reveal

EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+")
# Chart versions chosen to match the CRD schemas the custom-resource test checks against.
EXPECTED = {
    "karpenter-chart": ("oci://public.ecr.aws/karpenter/karpenter", "1.14.1"),
    "secrets-operator": ("external-secrets", "2.9.0"),
    "load-balancer-controller-chart": ("aws-load-balancer-controller", "3.5.0"),
    "argo-rollouts-chart": ("argo-rollouts", "2.41.1"),
    "monitoring-chart": ("kube-prometheus-stack", "88.3.0"),
    "monitoring-pushgateway": ("prometheus-pushgateway", "3.11.2"),
}


def test_every_chart_is_pinned_to_an_exact_version(plan: Plan) -> None:
    releases = {
        release["name"]: release["inputs"] for release in plan.all("kubernetes:helm.sh/v3:Release")
    }
    assert {
        name: (inputs["chart"], inputs["version"]) for name, inputs in releases.items()
    } == EXPECTED
    assert all(EXACT_VERSION.fullmatch(inputs["version"]) for inputs in releases.values())
    assert all(inputs["atomic"] for inputs in releases.values())


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
    values = plan.one("kubernetes:helm.sh/v3:Release", "monitoring-chart")["values"]
    assert reveal(values["grafana"]["adminPassword"]) not in ("", "admin", "prom-operator")


def test_pushgateway_is_scraped_keeping_the_labels_the_drift_job_pushes(plan: Plan) -> None:
    values = plan.one("kubernetes:helm.sh/v3:Release", "monitoring-pushgateway")["values"]
    assert values["serviceMonitor"] == {
        "enabled": True,
        "namespace": "monitoring",
        "honorLabels": True,
    }
    assert values["containerSecurityContext"]["readOnlyRootFilesystem"] is True
