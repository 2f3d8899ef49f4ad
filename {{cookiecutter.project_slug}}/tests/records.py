"""Records for tests, made from the model's own `Record` (model/record.py): its example
and its declared bounds. A new model changes no test that uses these."""

import json
import math
from typing import Any

from {{ cookiecutter.package_name }}.features import (
    EXAMPLE_RECORD,
    FEATURE_NAMES,
)
from {{ cookiecutter.package_name }}.model.record import Record

EXAMPLE: dict[str, Any] = EXAMPLE_RECORD.model_dump()
# The features the tests spoil; any would do, two of them show that the service names
# the one that is wrong.
FIRST, LAST = FEATURE_NAMES[0], FEATURE_NAMES[-1]

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
