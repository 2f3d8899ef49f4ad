"""What reaches a pod from outside: the ALB forwards the service's own routes only, each
exactly, and answers every other path itself; Prometheus refuses a pod whose scrape holds
far more samples than a pod exports. Checked on the rendered Ingress and PodMonitor, and
against a real server started for this module alone (so its metrics are this module's)."""

import httpx

from cloud.prometheus_stack import SAMPLE_LIMIT
from cloud.service_workload import ALB_ROUTES
from harness.local_service import LocalService
from tests.infra.conftest import Plan
from tests.records import EXAMPLE as RECORD
from tests.server_settings import API_KEY


def test_the_alb_forwards_exactly_the_service_s_public_routes(plan: Plan) -> None:
    [ingress] = plan.kubernetes("Ingress")
    paths = [path for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]

    assert [(path["path"], path["pathType"]) for path in paths] == [
        (route, "Exact") for route in ALB_ROUTES
    ]
    assert not {"/", "/metrics", "/livez", "/readyz"} & set(ALB_ROUTES)
    # No default backend: the load balancer controller answers everything else with 404.
    assert "defaultBackend" not in ingress["spec"]


def test_every_route_the_alb_forwards_is_one_the_service_answers(
    own_server: LocalService,
) -> None:
    with httpx.Client(
        base_url=own_server.url, headers={"Authorization": f"Bearer {API_KEY}"}
    ) as client:
        predicted = client.post("/predict", json={"records": [RECORD]})
        # The true label of that prediction, as a client sends it later.
        true_label = {
            "request_id": predicted.headers["x-request-id"],
            "label": predicted.json()["predictions"][0]["label"],
        }
        answers = {
            "/predict": predicted.status_code,
            "/feedback": client.post("/feedback", json={"labels": [true_label]}).status_code,
            "/docs.json": client.get("/docs.json").status_code,
        }
    assert set(answers) == set(ALB_ROUTES)
    assert answers == {route: 200 for route in ALB_ROUTES}


def test_a_pod_s_samples_leave_room_under_the_podmonitor_s_limit(
    plan: Plan, own_server: LocalService
) -> None:
    [monitor] = plan.kubernetes("PodMonitor")
    with httpx.Client(
        base_url=own_server.url, headers={"Authorization": f"Bearer {API_KEY}"}
    ) as client:
        for _ in range(20):
            client.post("/predict", json={"records": [RECORD]})
        for bad in ({}, {"records": []}, {"records": [{**RECORD, "colour": 1}]}):
            client.post("/predict", json=bad)
        client.post("/predict", json={"records": [RECORD]}, headers={"Authorization": "x"})
        text = client.get("/metrics").text
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]

    assert monitor["spec"]["sampleLimit"] == SAMPLE_LIMIT
    # Every status and route a client can reach has been answered: four times over fits.
    assert 4 * len(samples) <= SAMPLE_LIMIT, len(samples)
