"""The column checks are the record's validation made fast: for every value, at every
feature, they accept exactly the rows `Record` accepts."""

import math

import numpy as np
import pyarrow as pa
import pytest

from {{ cookiecutter.package_name }}.batch.columns import check, reason
from {{ cookiecutter.package_name }}.features import FEATURE_NAMES

from tests.records import EXAMPLE, NOT_A_NUMBER, declared, out_of_bounds

# Numbers near every declared bound, and ordinary ones.
NUMBERS = sorted(
    {
        value
        for name in FEATURE_NAMES
        for bound in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")
        if bound in declared(name)
        for value in (
            declared(name)[bound],
            np.nextafter(declared(name)[bound], math.inf),
            np.nextafter(declared(name)[bound], -math.inf),
        )
    }
    | {value for name in FEATURE_NAMES for value in out_of_bounds(name).values()}
    | {0.0, -0.0, 1.0, 5.1, -5.1, 1e-320, 3.4e38, 1e39, math.nan, math.inf, -math.inf}
)


def rows_with(values: list[object]) -> list[dict[str, object]]:
    """The example record with each value in turn at each feature."""
    return [{**EXAMPLE, name: value} for name in FEATURE_NAMES for value in values]


def verdicts(batch: pa.RecordBatch, from_text: bool) -> tuple[list[bool], list[bool]]:
    fast = check(batch, from_text).accepted.tolist()
    record = [reason(row, from_text) is None for row in batch.to_pylist()]
    return fast, record


def test_typed_columns_accept_exactly_what_the_record_accepts() -> None:
    rows = rows_with([float(value) for value in NUMBERS])
    fast, record = verdicts(pa.RecordBatch.from_pylist(rows), from_text=False)
    assert fast == record
    assert 0 < sum(fast) < len(fast), "both kinds of row are checked"


def test_integer_columns_are_numbers_as_json_integers_are() -> None:
    batch = pa.RecordBatch.from_pylist([dict.fromkeys(FEATURE_NAMES, 5)])
    assert all(pa.types.is_integer(column.type) for column in batch.columns)
    fast, record = verdicts(batch, from_text=False)
    assert fast == record == [True]


@pytest.mark.parametrize("kind", sorted(NOT_A_NUMBER))
def test_a_typed_column_of_anything_but_numbers_is_refused_as_the_api_refuses_it(
    kind: str,
) -> None:
    value = NOT_A_NUMBER[kind]
    batch = pa.RecordBatch.from_pylist([{**EXAMPLE, FEATURE_NAMES[0]: value}])
    fast, record = verdicts(batch, from_text=False)
    assert fast == record == [False]


def test_text_cells_are_parsed_and_then_checked_like_numbers() -> None:
    cells = [repr(float(value)) for value in NUMBERS] + ["5.1", " 5.1", "5,1", "abc", "", None]
    rows = [
        {name: (cell if name == feature else str(EXAMPLE[name])) for name in FEATURE_NAMES}
        for feature in FEATURE_NAMES
        for cell in cells
    ]
    schema = pa.schema([pa.field(name, pa.string()) for name in FEATURE_NAMES])
    fast, record = verdicts(pa.RecordBatch.from_pylist(rows, schema=schema), from_text=True)
    assert fast == record
    assert 0 < sum(fast) < len(fast)


def test_the_reason_names_the_field_as_the_api_does() -> None:
    row = {**EXAMPLE, FEATURE_NAMES[-1]: -1.0}
    assert reason(row, from_text=False).startswith(f"{FEATURE_NAMES[-1]}: Input should be")
