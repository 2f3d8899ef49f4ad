import math

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.dataset import SOURCE_COLUMNS
from {{ cookiecutter.package_name }}.schemas import (
    EXAMPLE_RECORD,
    FEATURE_NAMES,
    LIMITS,
    PredictRequest,
)

VALID = EXAMPLE_RECORD.model_dump()


def error_locations(body: object) -> list[tuple[object, ...]]:
    with pytest.raises(ValidationError) as error:
        PredictRequest.model_validate(body)
    return [problem["loc"] for problem in error.value.errors()]


def test_valid_batch_is_accepted() -> None:
    request = PredictRequest.model_validate({"records": [VALID, VALID]})
    assert len(request.records) == 2


def test_integers_are_accepted_as_measurements() -> None:
    PredictRequest.model_validate({"records": [{**VALID, "sepal_length_cm": 5}]})


def test_every_feature_is_mapped_to_a_training_column() -> None:
    assert tuple(SOURCE_COLUMNS) == FEATURE_NAMES


@pytest.mark.parametrize(
    "bad_value",
    [None, "5.1", True, math.nan, math.inf, -math.inf, 0, -1.0, 100.5, [5.1], 1e-320, 1e-39],
    ids=[
        "null",
        "string",
        "boolean",
        "nan",
        "infinity",
        "minus-infinity",
        "zero",
        "negative",
        "too-large",
        "list",
        "zero-in-float32",
        "subnormal-in-float32",
    ],
)
def test_bad_feature_value_is_rejected_naming_the_field(bad_value: object) -> None:
    record = {**VALID, "petal_width_cm": bad_value}
    assert error_locations({"records": [VALID, record]}) == [("records", 1, "petal_width_cm")]


def test_missing_feature_is_rejected_naming_the_field() -> None:
    record = {name: value for name, value in VALID.items() if name != "sepal_width_cm"}
    assert error_locations({"records": [record]}) == [("records", 0, "sepal_width_cm")]


def test_unknown_feature_is_rejected_naming_it() -> None:
    assert error_locations({"records": [{**VALID, "colour": 1.0}]}) == [("records", 0, "colour")]


def test_unknown_top_level_field_is_rejected_naming_it() -> None:
    assert error_locations({"records": [VALID], "model": "other"}) == [("model",)]


def test_empty_batch_is_rejected() -> None:
    assert error_locations({"records": []}) == [("records",)]


def test_batch_over_the_limit_is_rejected() -> None:
    assert error_locations({"records": [VALID] * (LIMITS.max_batch_size + 1)}) == [("records",)]
