"""Traces are off by default; `tracing.enabled` runs the collector, points the service at
it, opens that one path, and gives the collector what X-Ray's OTLP endpoint checks."""

import json

import pytest

from cloud.helm_charts import OPENTELEMETRY_COLLECTOR
from cloud.trace_endpoint import OTLP_HTTP_PORT, POD_LABELS, traces_url
from tests.infra.conftest import Plan

RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def traced(plan_variant) -> Plan:
    return plan_variant("dev-cluster", "tracing", 'tracing={"enabled": true, "sampleRatio": 0.1}')


def service_container(plan: Plan) -> dict:
    [rollout] = plan.kubernetes("Rollout")
    [container] = rollout["spec"]["template"]["spec"]["containers"]
    return container


def service_egress(plan: Plan) -> list[dict]:
    [rollout] = plan.kubernetes("Rollout")
    policy = next(
        policy
        for policy in plan.kubernetes("NetworkPolicy")
        if policy["metadata"]["name"] == rollout["metadata"]["name"]
    )
    return policy["spec"]["egress"]


def tracing_env(plan: Plan) -> dict[str, str]:
    return {
        variable["name"]: variable["value"]
        for variable in service_container(plan)["env"]
        if variable["name"].startswith(("SERVICE_TRACE_", "OTEL_"))
    }


def test_by_default_there_is_no_collector_and_the_service_makes_no_spans(plan: Plan) -> None:
    assert "tracing-chart" not in {release["name"] for release in plan.all(RELEASE)}
    assert tracing_env(plan) == {}
    assert all(rule["ports"][0]["port"] == 53 for rule in service_egress(plan))


def test_enabled_the_service_sends_its_ratio_to_the_collector_and_only_there(
    traced: Plan,
) -> None:
    assert tracing_env(traced) == {
        "SERVICE_TRACE_ENDPOINT": traces_url(),
        "SERVICE_TRACE_SAMPLE_RATIO": "0.1",
        # OpenTelemetry's resource variable, which BentoML's own name for the service yields to.
        "OTEL_SERVICE_NAME": f"{traced.exports['appNamespace']}-dev",
    }
    [to_collector] = [rule for rule in service_egress(traced) if rule["ports"][0]["port"] != 53]
    assert to_collector["ports"] == [{"protocol": "TCP", "port": OTLP_HTTP_PORT}]
    [peer] = to_collector["to"]
    assert peer["podSelector"] == {"matchLabels": POD_LABELS}


def test_the_collector_receives_otlp_http_and_sends_signed_to_xray(traced: Plan) -> None:
    release = traced.one(RELEASE, "tracing-chart")
    assert (release["chart"], release["version"]) == (
        OPENTELEMETRY_COLLECTOR.name,
        OPENTELEMETRY_COLLECTOR.version,
    )
    values = release["values"]
    assert values["mode"] == "deployment"
    assert values["image"]["repository"] == "otel/opentelemetry-collector-contrib"
    # The Service the endpoint names: <fullnameOverride>.<namespace>.
    assert traces_url().startswith(f"http://{values['fullnameOverride']}.{release['namespace']}.")
    # The whole configuration: nothing of the chart's default one (its Jaeger, Zipkin and
    # Prometheus receivers, its debug exporter) is merged in.
    assert "config" not in values
    config = values["alternateConfig"]
    assert list(config["receivers"]) == ["otlp"]
    assert list(config["receivers"]["otlp"]["protocols"]) == ["http"]
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(
        f":{OTLP_HTTP_PORT}"
    )
    assert list(config["service"]["pipelines"]) == ["traces"]
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp"]
    assert set(pipeline["processors"]) <= set(config["processors"])
    [exporter] = pipeline["exporters"]
    assert list(config["exporters"]) == [exporter]
    assert config["exporters"][exporter] == {
        "traces_endpoint": f"https://xray.{traced.region}.amazonaws.com/v1/traces",
        "auth": {"authenticator": "sigv4auth"},
        "compression": "gzip",
    }
    assert config["extensions"]["sigv4auth"] == {"region": traced.region, "service": "xray"}
    # The chart's probes call the health check on its default port.
    assert config["extensions"]["health_check"]["endpoint"].endswith(":13133")
    assert set(config["service"]["extensions"]) == set(config["extensions"])


def test_the_collectors_role_may_send_traces_and_nothing_else(plan: Plan) -> None:
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "tracing-collector")["policy"])
    # X-Ray's OTLP endpoint authorises an export as xray:PutTraceSegments.
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": ["*"]}
    ]
    association = plan.one(
        "aws:eks/podIdentityAssociation:PodIdentityAssociation", "tracing-collector"
    )
    assert (association["namespace"], association["serviceAccount"]) == (
        "tracing",
        "otel-collector",
    )


def test_the_account_turns_on_transaction_search_for_its_own_traces(stacks) -> None:
    bootstrap = stacks["bootstrap"]
    destination = bootstrap.one(
        "aws:xray/traceSegmentDestination:TraceSegmentDestination",
        "transaction-search-destination",
    )
    assert destination["destination"] == "CloudWatchLogs"
    spans = bootstrap.one(
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "transaction-search-spans"
    )
    policy = json.loads(spans["policyDocument"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "xray.amazonaws.com"}
    assert statement["Action"] == "logs:PutLogEvents"
    account = bootstrap.account_id
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
