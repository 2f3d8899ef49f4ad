import random

import httpx
import pytest

from {{ cookiecutter.package_name }}.features import FEATURE_NAMES

from harness.local_service import LocalService
from request_mix import RequestSchema
from tests.server_settings import MAX_BATCH_SIZE


@pytest.fixture(scope="module")
def schema(server: LocalService) -> RequestSchema:
    return RequestSchema.from_openapi(httpx.get(f"{server.url}/docs.json").json())


def test_schema_is_read_from_the_service_openapi(schema: RequestSchema) -> None:
    assert tuple(feature.name for feature in schema.features) == FEATURE_NAMES
    assert schema.max_batch_size == MAX_BATCH_SIZE


def test_drawn_requests_vary_and_are_all_accepted(
    schema: RequestSchema, client: httpx.Client
) -> None:
    rng = random.Random(7)
    bodies = [{"records": [schema.record(rng)]} for _ in range(300)] + [
        schema.batch(rng) for _ in range(50)
    ]

    assert len({tuple(body["records"][0].values()) for body in bodies}) > 250
    for body in bodies:
        assert client.post("/predict", json=body).status_code == 200, body


def test_deliberately_invalid_requests_are_all_refused_with_a_4xx(
    schema: RequestSchema, client: httpx.Client
) -> None:
    rng = random.Random(7)
    reasons = set()
    for _ in range(200):
        reason, body, content_type = schema.invalid_request(rng)
        response = client.post("/predict", content=body, headers={"Content-Type": content_type})
        assert 400 <= response.status_code < 500, (reason, response.status_code)
        reasons.add(reason)
    assert len(reasons) == 7
