"""The corrections to BentoML's OpenAPI document, applied to the document BentoML really
generates for this service (no server needed)."""

import json
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.middleware import (
    api_key,
    request_limits,
)
from {{ cookiecutter.package_name }}.middleware.responses import ErrorBody
from {{ cookiecutter.package_name }}.model.record import Record
from {{ cookiecutter.package_name }}.openapi_document import (
    OPENAPI_VERSION,
    SECURITY_SCHEME,
    corrected_document,
)
from {{ cookiecutter.package_name }}.schemas import PredictRequest
from {{ cookiecutter.package_name }}.service import Classifier

# As served: through JSON, which turns BentoML's integer status codes into strings.
GENERATED = json.loads(json.dumps(Classifier.openapi_spec.asdict()))
DOCUMENT = corrected_document(GENERATED)
PREDICT = DOCUMENT["paths"]["/predict"]["post"]


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, operation)
        for path, methods in document["paths"].items()
        for operation in methods.values()
    ]


def assert_matches(body: object, response: dict[str, Any]) -> None:
    """Validate a body against a documented response, resolving refs in the document."""
    schema = response["content"]["application/json"]["schema"]
    jsonschema.validate(body, {**schema, "components": DOCUMENT["components"]})


def test_document_declares_the_openapi_version_of_its_json_schema_dialect() -> None:
    assert (GENERATED["openapi"], DOCUMENT["openapi"]) == ("3.0.2", OPENAPI_VERSION)
    # pydantic 2's numeric exclusiveMinimum is JSON Schema 2020-12, i.e. OpenAPI 3.1.
    # And the document states every bound the service enforces (the smallest positive
    # float32 included), or contract tests find a "valid" request refused.
    documented = DOCUMENT["components"]["schemas"]["Record"]["properties"]
    assert documented == Record.model_json_schema()["properties"]


def test_predictions_require_the_bearer_key_and_document_its_401() -> None:
    scheme = DOCUMENT["components"]["securitySchemes"][SECURITY_SCHEME]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert PREDICT["security"] == [{SECURITY_SCHEME: []}]
    unauthorized = PREDICT["responses"][str(api_key.REJECTED.value)]
    assert unauthorized["headers"]["www-authenticate"]["schema"]["const"] == 'Bearer realm="api"'


def test_probes_metrics_and_docs_stay_public_and_answer_plain_text() -> None:
    public = [(path, op) for path, op in operations(DOCUMENT) if api_key.PUBLIC_PATHS & {path}]
    assert {path for path, _ in public} == {"/healthz", "/livez", "/readyz", "/metrics"}
    for path, operation in public:
        assert "security" not in operation, path
        assert list(operation["responses"]["200"]["content"]) == ["text/plain"], path


def test_readiness_documents_503_until_warm_up_ends() -> None:
    responses = DOCUMENT["paths"]["/readyz"]["get"]["responses"]
    assert sorted(responses) == ["200", "503"]


def test_prediction_body_is_required_and_its_rejections_are_the_middleware_statuses() -> None:
    assert GENERATED["paths"]["/predict"]["post"]["requestBody"].get("required") is not True
    assert PREDICT["requestBody"]["required"] is True
    rejections = {request_limits.BAD_LENGTH, request_limits.TOO_LARGE, request_limits.NOT_JSON}
    assert {str(status.value) for status in rejections} <= set(PREDICT["responses"])


def test_prediction_documents_overload_timeout_and_failure_but_not_404() -> None:
    assert sorted(PREDICT["responses"]) == [
        "200", "400", "401", "413", "415", "429", "500", "504"
    ]  # fmt: skip


def test_error_bodies_the_middleware_writes_match_every_documented_error() -> None:
    body = json.loads(ErrorBody(error="any message").model_dump_json())
    for status, response in PREDICT["responses"].items():
        if status != "200":
            assert_matches(body, response)


def test_validation_errors_as_bentoml_sends_them_match_the_400_schema() -> None:
    with pytest.raises(ValidationError) as rejected:
        PredictRequest.model_validate({"records": [{"colour": -1}], "extra": 1})
    # BentoML's body for a ValidationError (api_endpoint_wrapper in BentoML 1.4).
    body = {
        "error": f"{rejected.value.error_count()} validation error for {rejected.value.title}",
        "detail": rejected.value.errors(include_context=False, include_input=False),
    }
    assert_matches(json.loads(json.dumps(body)), PREDICT["responses"]["400"])
    with pytest.raises(jsonschema.ValidationError):
        assert_matches({"error": "x", "detail": "a string"}, PREDICT["responses"]["400"])


def test_generated_document_is_left_unchanged() -> None:
    assert "securitySchemes" not in GENERATED["components"]
    assert "security" not in GENERATED["paths"]["/predict"]["post"]


def test_the_published_document_names_neither_the_framework_nor_server_settings() -> None:
    """It goes out through the load balancer: a client needs the contract, not the
    framework's version (a map of its known bugs) or the server's setting names."""
    generated, published = json.dumps(GENERATED), json.dumps(DOCUMENT)

    assert "BentoML" in generated and "bentoml" in generated  # what the correction removes
    assert "bentoml" not in published.lower()
    assert "SERVICE_" not in published
    assert DOCUMENT["info"] == {"title": GENERATED["info"]["title"], "version": "1"}
