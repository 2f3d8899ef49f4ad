"""The OpenAPI document BentoML generates, corrected to say what the service really does.

BentoML 1.4 documents neither the API key nor the answers that the middleware and its own
traffic control give (401, 413, 415, 429, 504), describes its 400 body wrongly, and says
nothing of the probes' plain-text bodies or of /readyz answering 503 until warm-up ends.
Every correction below is read from the code that produces the behaviour, so the
document cannot drift from it; tests/service/test_api_contract.py runs Schemathesis
against the served document to prove it.

It is published (through the load balancer too), so it names nothing a client has no use
for: not the framework or its version (BentoML's description, contact and `x-bentoml-*`
markers go), nor the server's setting names.
"""

import copy
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from .middleware import api_key, concurrency_limit, request_limits
from .middleware.responses import ErrorBody

# pydantic 2 writes JSON Schema 2020-12 (numeric exclusiveMinimum, `examples` lists),
# which is OpenAPI 3.1's dialect, not 3.0's that BentoML declares.
OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "apiKey"
# BentoML marks the operations it generates for service APIs with this extension.
SERVICE_API_MARKER = "x-bentoml-name"
READINESS_PATH = "/readyz"
SCHEMA_REFERENCE = "#/components/schemas/{model}"
# The version of this API's contract (BentoML writes "None"): raise it when a change
# breaks clients.
API_VERSION = "1"
# Operation and document keys that only say how BentoML built the document.
FRAMEWORK_KEY_PREFIX = "x-bentoml"
# BentoML's tags, described in the service's own words.
TAG_DESCRIPTIONS = {
    "Service APIs": "The model's API.",
    "Infrastructure": "Probes and metrics, for the platform.",
}


# BentoML also sends a documentation `url` with each problem; clients need not read it.
class ValidationProblem(BaseModel):
    """One reason the body was rejected."""

    type: str = Field(description="pydantic's error type, e.g. missing or greater_than_equal.")
    loc: list[str | int] = Field(description="Where in the body: field names and list indexes.")
    msg: str = Field(description="What is wrong with the value there.")


class InvalidRequestBody(ErrorBody):
    """400: each problem in the body is listed; a rejected header lists none."""

    detail: list[ValidationProblem] = Field(
        default_factory=list, description="Every problem found in the body."
    )


def corrected_document(
    generated: dict[str, Any], class_names: tuple[str, ...] = ()
) -> dict[str, Any]:
    """BentoML's document with the security scheme, the real error answers and content
    types, and the served model's classes as the only labels POST /feedback takes."""
    document = copy.deepcopy(generated)
    document["openapi"] = OPENAPI_VERSION
    document["info"] = {
        "title": generated.get("info", {}).get("title", "API"),
        "version": API_VERSION,
    }
    document["tags"] = [
        {"name": tag["name"], "description": TAG_DESCRIPTIONS[tag["name"]]}
        for tag in generated.get("tags", [])
        if tag["name"] in TAG_DESCRIPTIONS
    ]
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).update(error_schemas())
    components["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key of this service, sent as a bearer token.",
        }
    }
    true_label = components["schemas"].get("TrueLabel", {}).get("properties", {})
    if class_names and "label" in true_label:
        true_label["label"] = {**true_label["label"], "enum": list(class_names)}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            correct_operation(path, operation)
            for key in [key for key in operation if key.startswith(FRAMEWORK_KEY_PREFIX)]:
                del operation[key]
    return document


def correct_operation(path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if not api_key.ApiKeyMiddleware.is_public(path):
        operation["security"] = [{SECURITY_SCHEME: []}]
        responses[code(api_key.REJECTED)] = error_response(
            api_key.REJECTED,
            "The Authorization header is missing or holds no valid API key.",
            headers=challenge_header(),
        )
    if "requestBody" in operation:
        # BentoML leaves it optional, but an API without a body has nothing to answer.
        operation["requestBody"]["required"] = True
        responses[code(request_limits.BAD_LENGTH)] = error_response(
            request_limits.BAD_LENGTH,
            "The body does not match the request schema, or Content-Length is not a number.",
            schema=InvalidRequestBody,
        )
        responses[code(request_limits.TOO_LARGE)] = error_response(
            request_limits.TOO_LARGE, "The body is larger than the service accepts."
        )
        responses[code(request_limits.NOT_JSON)] = error_response(
            request_limits.NOT_JSON, "The body is not sent as application/json."
        )
    if SERVICE_API_MARKER in operation:
        # BentoML documents 404 for its task endpoints' ids; an API's fixed route never
        # answers it.
        responses.pop(code(HTTPStatus.NOT_FOUND), None)
        responses.update(traffic_responses())
    else:
        # Probes and metrics answer in plain text (Prometheus' text format for /metrics).
        responses["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
    if path == READINESS_PATH:
        responses[code(HTTPStatus.SERVICE_UNAVAILABLE)] = {
            "description": "Not ready yet: the model is still warming up.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    operation["responses"] = dict(sorted(responses.items()))


def code(status: HTTPStatus) -> str:
    """A status as OpenAPI keys responses: "401", not 401."""
    return str(status.value)


def traffic_responses() -> dict[str, Any]:
    """What the concurrency limit, BentoML's timeout and its error handling answer on a
    service API."""
    refused = concurrency_limit.REFUSED
    return {
        code(refused): error_response(
            refused,
            "More requests in flight than the service takes at once; retry after a second.",
            headers=retry_after_header(),
        ),
        **{
            code(status): error_response(status, description)
            for status, description in (
                (
                    HTTPStatus.INTERNAL_SERVER_ERROR,
                    "The model failed; the server log has the cause.",
                ),
                (HTTPStatus.GATEWAY_TIMEOUT, "No answer within the request timeout."),
            )
        },
    }


def retry_after_header() -> dict[str, Any]:
    return {
        "Retry-After": {
            "description": "Seconds to wait before sending the request again.",
            "required": True,
            "schema": {"type": "string", "const": str(concurrency_limit.RETRY_AFTER_SECONDS)},
        }
    }


def error_response(
    status: HTTPStatus,
    description: str,
    schema: type[ErrorBody] = ErrorBody,
    headers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": f"{status.phrase}: {description}",
        "content": {
            "application/json": {"schema": {"$ref": SCHEMA_REFERENCE.format(model=schema.__name__)}}
        },
    }
    if headers:
        response["headers"] = headers
    return response


def challenge_header() -> dict[str, Any]:
    """The header a 401 carries, e.g. `WWW-Authenticate: Bearer realm="api"`."""
    name, value = api_key.CHALLENGE
    return {
        name.decode(): {
            "description": "The scheme to send the key in: `Authorization: Bearer <key>`.",
            "required": True,
            "schema": {"type": "string", "const": value.decode()},
        }
    }


def error_schemas() -> dict[str, Any]:
    """JSON schemas of the error bodies, from the models that write them."""
    _, schemas = models_json_schema(
        [(ErrorBody, "serialization"), (InvalidRequestBody, "serialization")],
        ref_template=SCHEMA_REFERENCE,
    )
    return schemas["$defs"]
