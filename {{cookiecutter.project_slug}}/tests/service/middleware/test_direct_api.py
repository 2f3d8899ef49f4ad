"""The /predict fast path: BentoML's answers, without BentoML's router."""

import logging

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from {{ cookiecutter.package_name }}.middleware.direct_api import (
    INTERNAL_ERROR,
    DirectApiMiddleware,
)
from {{ cookiecutter.package_name }}.schemas import (
    Prediction,
    PredictRequest,
    PredictResponse,
)

from tests.records import EXAMPLE as RECORD
from tests.records import LAST

SERVICE = object()


async def inner_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Stands for BentoML's router: says who answered."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"router"})


def label_every_record(service: object, request: PredictRequest) -> PredictResponse:
    assert service is SERVICE
    return PredictResponse(
        model_version="classifier:test",
        predictions=[
            Prediction(label="a-class", probabilities={"a-class": 1.0}) for _ in request.records
        ],
    )


def fail(service: object, request: PredictRequest) -> PredictResponse:
    raise RuntimeError("the model is broken")


def client(answer=label_every_record) -> httpx.AsyncClient:
    app = DirectApiMiddleware(
        inner_app,
        path="/predict",
        request_model=PredictRequest,
        answer=answer,
        service=lambda: SERVICE,
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_answers_a_valid_request_with_the_services_response() -> None:
    async with client() as http:
        response = await http.post("/predict", json={"records": [RECORD, RECORD]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "model_version": "classifier:test",
        "predictions": [{"label": "a-class", "probabilities": {"a-class": 1.0}}] * 2,
    }


@pytest.mark.parametrize(
    ("body", "problem", "location"),
    [
        (
            {"records": [{**RECORD, LAST: "1"}]},
            "float_type",
            ["records", 0, LAST],
        ),
        ({"records": []}, "too_short", ["records"]),
        ({"records": [RECORD], "extra": 1}, "extra_forbidden", ["extra"]),
    ],
)
async def test_an_invalid_body_gets_400_naming_the_field(
    body: dict, problem: str, location: list
) -> None:
    async with client() as http:
        response = await http.post("/predict", json=body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["error"] == "1 validation error for PredictRequest"
    assert [(item["type"], item["loc"]) for item in answer["detail"]] == [(problem, location)]
    assert "input" not in answer["detail"][0]  # the client's values are not echoed


async def test_an_empty_body_is_missing_its_records_and_invalid_json_says_so() -> None:
    async with client() as http:
        empty = await http.post("/predict", content=b"")
        broken = await http.post("/predict", content=b"{nonsense")
    assert [(item["type"], item["loc"]) for item in empty.json()["detail"]] == [
        ("missing", ["records"])
    ]
    assert broken.status_code == 400
    assert broken.json()["detail"][0]["type"] == "json_invalid"


async def test_a_failing_model_gets_500_and_the_cause_goes_to_the_log_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        async with client(answer=fail) as http:
            response = await http.post("/predict", json={"records": [RECORD]})
    assert response.status_code == 500
    assert response.json() == {"error": INTERNAL_ERROR}
    assert "the model is broken" in caplog.text
    assert "the model is broken" not in response.text


@pytest.mark.parametrize(("method", "path"), [("GET", "/predict"), ("POST", "/other")])
async def test_other_requests_go_on_to_the_router(method: str, path: str) -> None:
    async with client() as http:
        response = await http.request(method, path, json={"records": [RECORD]})
    assert response.text == "router"


async def test_a_client_that_leaves_mid_body_gets_no_answer() -> None:
    sent: list[dict] = []
    messages = iter(
        [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]
    )

    async def receive() -> dict:
        return next(messages)

    async def send(message: dict) -> None:
        sent.append(message)

    app = DirectApiMiddleware(
        inner_app, path="/predict", request_model=PredictRequest, answer=label_every_record
    )
    await app({"type": "http", "method": "POST", "path": "/predict", "headers": []}, receive, send)
    assert sent == []
