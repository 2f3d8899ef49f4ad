import math

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.features import FEATURE_NAMES
from {{ cookiecutter.package_name }}.schemas import (
    LIMITS,
    PredictRequest,
)

from tests.records import EXAMPLE as VALID
from tests.records import FIRST, LAST, NOT_A_NUMBER, declared, out_of_bounds

BAD_VALUES = {**NOT_A_NUMBER, **out_of_bounds(LAST)}


def error_locations(body: object) -> list[tuple[object, ...]]:
    with pytest.raises(ValidationError) as error:
        PredictRequest.model_validate(body)
    return [problem["loc"] for problem in error.value.errors()]


def test_valid_batch_is_accepted() -> None:
    request = PredictRequest.model_validate({"records": [VALID, VALID]})
    assert len(request.records) == 2


def test_the_example_is_a_valid_record() -> None:
    assert tuple(VALID) == FEATURE_NAMES
    PredictRequest.model_validate({"records": [VALID]})


def test_a_whole_number_is_accepted_where_a_float_is_declared() -> None:
    whole = math.ceil(VALID[FIRST])
    PredictRequest.model_validate({"records": [{**VALID, FIRST: whole}]})


@pytest.mark.parametrize("bad_value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_bad_feature_value_is_rejected_naming_the_field(bad_value: object) -> None:
    record = {**VALID, LAST: bad_value}
    assert error_locations({"records": [VALID, record]}) == [("records", 1, LAST)]


def test_a_value_that_float32_turns_into_zero_is_rejected() -> None:
    if not declared(FIRST).get("minimum", 0) > 0:
        pytest.skip(f"{FIRST} may be zero")
    record = {**VALID, FIRST: 1e-320}
    assert error_locations({"records": [record]}) == [("records", 0, FIRST)]


def test_missing_feature_is_rejected_naming_the_field() -> None:
    record = {name: value for name, value in VALID.items() if name != LAST}
    assert error_locations({"records": [record]}) == [("records", 0, LAST)]


def test_unknown_feature_is_rejected_naming_it() -> None:
    assert error_locations({"records": [{**VALID, "colour": 1.0}]}) == [("records", 0, "colour")]


def test_unknown_top_level_field_is_rejected_naming_it() -> None:
    assert error_locations({"records": [VALID], "model": "other"}) == [("model",)]


def test_empty_batch_is_rejected() -> None:
    assert error_locations({"records": []}) == [("records",)]


def test_batch_over_the_limit_is_rejected() -> None:
    assert error_locations({"records": [VALID] * (LIMITS.max_batch_size + 1)}) == [("records",)]
