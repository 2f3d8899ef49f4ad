"""Records for tests, made from the model's own `Record` (model/record.py): its example
and its declared bounds. A new model changes no test that uses these."""

import json
import math
from typing import Any

from {{ cookiecutter.package_name }}.features import EXAMPLE_RECORD, FEATURES, as_values
from {{ cookiecutter.package_name }}.model.dataset import load_dataset
from {{ cookiecutter.package_name }}.model.record import Record

from tests.server_settings import MAX_BATCH_SIZE, MAX_BODY_BYTES

EXAMPLE: dict[str, Any] = EXAMPLE_RECORD.model_dump()
# The features the tests spoil with numbers: floats (any would do; two of them show that
# the service names the one that is wrong).
FLOATS = [feature.name for feature in FEATURES if feature.kind == "number"]
FIRST, LAST = FLOATS[0], FLOATS[-1]

# Wrong whatever the bounds: not a finite JSON number.
NOT_A_NUMBER: dict[str, object] = {
    "null": None,
    "string": "5.1",
    "boolean": True,
    "list": [5.1],
    "nan": math.nan,
    "infinity": math.inf,
    "minus-infinity": -math.inf,
}


def declared(name: str) -> dict[str, Any]:
    """The JSON schema of one feature, as the OpenAPI document states it."""
    return Record.model_json_schema()["properties"][name]


def out_of_bounds(name: str) -> dict[str, float]:
    """Values just beyond each bound `name` declares, by the kind of miss."""
    schema = declared(name)
    values = {}
    if "maximum" in schema:
        values["too-large"] = schema["maximum"] + max(abs(schema["maximum"]), 1.0)
    if "exclusiveMinimum" in schema:
        values["at-the-exclusive-minimum"] = float(schema["exclusiveMinimum"])
        values["below-the-exclusive-minimum"] = schema["exclusiveMinimum"] - 1.0
    if "minimum" in schema:
        # Half of a positive minimum: for the smallest normal float32 that is a
        # subnormal, above zero but not what the model would see.
        minimum = schema["minimum"]
        values["below-the-minimum"] = minimum / 2 if minimum > 0 else minimum - 1.0
    return values


def with_value(name: str, literal: str) -> str:
    """The example request as JSON text, `name` set to a JSON literal json.dumps cannot
    write (NaN, Infinity, 1e-320 as typed)."""
    placeholder = "__value__"
    return json.dumps({"records": [{**EXAMPLE, name: placeholder}]}).replace(
        json.dumps(placeholder), literal
    )


def held_out_records() -> list[dict[str, Any]]:
    features = load_dataset().features_test
    return [as_values(row) for row in features]


def within_the_limits(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The records in request-sized batches: at most the batch size, well under the body
    limit, whatever the model's number of features and of held-out rows."""
    batches: list[list[dict[str, Any]]] = [[]]
    for record in records:
        batch = batches[-1]
        full = len(json.dumps({"records": [*batch, record]})) > MAX_BODY_BYTES // 2
        if batch and (len(batch) == MAX_BATCH_SIZE or full):
            batches.append(batch := [])
        batch.append(record)
    return batches
