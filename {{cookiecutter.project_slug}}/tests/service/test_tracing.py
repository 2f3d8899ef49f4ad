"""With an endpoint set, the real server sends its request spans over OTLP/HTTP to a
receiver on loopback, which decodes them with the OpenTelemetry protocol package: one trace
per request, carrying its request id, and the access line names the trace."""

import json
from collections.abc import Iterator

import bentoml
import httpx
import pytest

from {{ cookiecutter.package_name }}.settings import ServiceSettings
from {{ cookiecutter.package_name }}.tracing import REQUEST_ID_ATTRIBUTE, tracing_config

from harness.local_service import LocalService, running
from harness.otlp_receiver import OtlpReceiver, ReceivedSpan, receiving
from tests.records import EXAMPLE
from tests.server_settings import API_KEY, KEYS_SETTING, SERVICE

REQUEST_IDS = ("trace-check-1", "trace-check-2", "trace-check-3")
INVALID_REQUEST_ID = "trace-check-invalid"
PREDICT_SPAN = "POST /predict"


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with receiving() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def traced_server(
    stored_model: bentoml.Model, receiver: OtlpReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalService]:
    settings = {
        **KEYS_SETTING,
        "SERVICE_TRACE_ENDPOINT": receiver.url,
        "SERVICE_TRACE_SAMPLE_RATIO": "1",
    }
    log = tmp_path_factory.mktemp("traced") / "server.log"
    with running(SERVICE, log, settings=settings) as server:
        yield server


@pytest.fixture(scope="module")
def spans(traced_server: LocalService, receiver: OtlpReceiver) -> list[ReceivedSpan]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=traced_server.url, headers=headers, timeout=10) as client:
        for request_id in REQUEST_IDS:
            answer = client.post(
                "/predict", json={"records": [EXAMPLE]}, headers={"X-Request-ID": request_id}
            )
            assert answer.status_code == 200
        answer = client.post(
            "/predict", json={"records": []}, headers={"X-Request-ID": INVALID_REQUEST_ID}
        )
        assert answer.status_code == 400
        for path in ("/readyz", "/livez", "/metrics"):
            client.get(path)

    def all_requests(spans: list[ReceivedSpan]) -> bool:
        ids = {span.attributes.get(REQUEST_ID_ATTRIBUTE) for span in spans}
        return ids >= {*REQUEST_IDS, INVALID_REQUEST_ID}

    return receiver.wait_for(all_requests)


def server_span(spans: list[ReceivedSpan], request_id: str) -> ReceivedSpan:
    [span] = [span for span in spans if span.attributes.get(REQUEST_ID_ATTRIBUTE) == request_id]
    return span


def test_each_request_is_one_trace_whose_server_span_has_the_request_id(
    spans: list[ReceivedSpan],
) -> None:
    for request_id in REQUEST_IDS:
        span = server_span(spans, request_id)
        assert span.name == PREDICT_SPAN
        assert span.parent_span_id == ""
        assert span.attributes["http.method"] == "POST"
        assert span.attributes["http.status_code"] == 200
        children = {other.name for other in spans if other.parent_span_id == span.span_id}
        assert children == {f"{PREDICT_SPAN} http receive", f"{PREDICT_SPAN} http send"}
    assert len({server_span(spans, request_id).trace_id for request_id in REQUEST_IDS}) == 3
    assert server_span(spans, INVALID_REQUEST_ID).attributes["http.status_code"] == 400


def test_the_spans_name_the_service_and_probes_and_scrapes_are_not_traced(
    spans: list[ReceivedSpan],
) -> None:
    assert {span.resource.get("service.name") for span in spans} == {"Classifier"}
    traced_paths = {span.attributes.get("http.target") for span in spans} - {None}
    assert traced_paths == {"/predict"}


def test_the_access_line_names_the_trace_of_its_request(
    spans: list[ReceivedSpan], traced_server: LocalService
) -> None:
    lines = [json.loads(line) for line in traced_server.log().splitlines() if line.startswith("{")]
    access = {line["request_id"]: line for line in lines if line.get("message") == "request served"}
    for request_id in REQUEST_IDS:
        assert access[request_id]["trace_id"] == server_span(spans, request_id).trace_id


def test_without_an_endpoint_no_url_is_traced_and_with_one_the_ratio_is_sampled() -> None:
    off = tracing_config(ServiceSettings.from_environment({}))
    assert "exporter_type" not in off
    on = tracing_config(
        ServiceSettings.from_environment(
            {
                "SERVICE_TRACE_ENDPOINT": "http://collector:4318/v1/traces",
                "SERVICE_TRACE_SAMPLE_RATIO": "0.25",
            }
        )
    )
    assert on["sample_rate"] == 0.25
    assert on["otlp"] == {"protocol": "http", "endpoint": "http://collector:4318/v1/traces"}
