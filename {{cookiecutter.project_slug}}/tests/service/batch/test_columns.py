"""The column checks are the record's validation made fast: for every value, at every
feature of every kind, they accept exactly the rows `Record` accepts."""

import math

import numpy as np
import pyarrow as pa
import pytest

from {{ cookiecutter.package_name }}.batch.columns import check, reason
from {{ cookiecutter.package_name }}.features import FEATURE_NAMES, FEATURES

from tests.records import EXAMPLE, NOT_A_NUMBER, declared, out_of_bounds

KINDS = {kind: [f.name for f in FEATURES if f.kind == kind] for kind in ("number", "integer")}
CATEGORIES = [feature for feature in FEATURES if feature.kind == "category"]
# How a typed file (Parquet) holds each kind.
TYPES = {"number": pa.float64(), "integer": pa.int64(), "category": pa.string()}
TYPED = pa.schema([pa.field(feature.name, TYPES[feature.kind]) for feature in FEATURES])
TEXT = pa.schema([pa.field(name, pa.string()) for name in FEATURE_NAMES])


def near_bounds(names: list[str]) -> set[float]:
    """Every bound these features declare, the values either side of it, and beyond."""
    values: set[float] = set()
    for name in names:
        for bound in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
            if bound in declared(name):
                at = declared(name)[bound]
                values |= {at, np.nextafter(at, math.inf), np.nextafter(at, -math.inf)}
                values |= {at - 1, at + 1}
        values |= set(out_of_bounds(name).values())
    return values


NUMBERS = sorted(
    near_bounds(KINDS["number"])
    | {0.0, -0.0, 1.0, 2.5, 5.1, -5.1, 1e-320, 3.4e38, 1e39, math.nan, math.inf, -math.inf}
)
INTEGERS = sorted(
    {int(value) for value in near_bounds(KINDS["integer"]) if float(value).is_integer()}
    | {0, 1, -1, 2**24, 2**24 + 1, -(2**24) - 1}
)


def rows_with(values: list[object], names: list[str]) -> list[dict[str, object]]:
    """The example record with each value in turn at each of `names`."""
    return [{**EXAMPLE, name: value} for name in names for value in values]


def as_text(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{name: None if v is None else str(v) for name, v in row.items()} for row in rows]


def verdicts(batch: pa.RecordBatch, from_text: bool) -> tuple[list[bool], list[bool]]:
    fast = check(batch, from_text).accepted.tolist()
    record = [reason(row, from_text) is None for row in batch.to_pylist()]
    return fast, record


def assert_same_verdicts(rows: list[dict[str, object]], from_text: bool) -> None:
    schema = TEXT if from_text else TYPED
    fast, record = verdicts(pa.RecordBatch.from_pylist(rows, schema=schema), from_text)
    assert fast == record
    assert 0 < sum(fast) < len(fast), "both kinds of row are checked"


def test_typed_number_columns_accept_exactly_what_the_record_accepts() -> None:
    assert_same_verdicts(rows_with(NUMBERS, KINDS["number"]), from_text=False)


@pytest.mark.skipif(not KINDS["integer"], reason="the model has no integer feature")
def test_typed_integer_columns_accept_exactly_what_the_record_accepts() -> None:
    assert_same_verdicts(rows_with(INTEGERS, KINDS["integer"]), from_text=False)


@pytest.mark.skipif(not KINDS["integer"], reason="the model has no integer feature")
def test_an_integer_feature_in_a_float_column_takes_whole_numbers_as_the_api_takes_3_0() -> None:
    name = KINDS["integer"][0]
    schema = TYPED.set(TYPED.get_field_index(name), pa.field(name, pa.float64()))
    rows = [{**EXAMPLE, name: EXAMPLE[name] + fraction} for fraction in (0.0, 0.5)]
    fast, record = verdicts(pa.RecordBatch.from_pylist(rows, schema=schema), from_text=False)
    assert fast == record == [True, False]


def test_a_whole_number_in_an_integer_column_is_a_number() -> None:
    rows = [{**EXAMPLE, **dict.fromkeys(KINDS["number"], 1)}]
    schema = pa.schema(
        [pa.field(f.name, pa.int64() if f.kind != "category" else pa.string()) for f in FEATURES]
    )
    fast, record = verdicts(pa.RecordBatch.from_pylist(rows, schema=schema), from_text=False)
    assert fast == record == [True]


@pytest.mark.parametrize("kind", sorted(NOT_A_NUMBER))
def test_a_typed_column_of_anything_but_numbers_is_refused_as_the_api_refuses_it(
    kind: str,
) -> None:
    name = KINDS["number"][0]
    batch = pa.RecordBatch.from_pylist([{**EXAMPLE, name: NOT_A_NUMBER[kind]}])
    fast, record = verdicts(batch, from_text=False)
    assert fast == record == [False]


def test_text_cells_are_parsed_and_then_checked_like_numbers() -> None:
    cells = [repr(float(value)) for value in NUMBERS] + ["5.1", " 5.1", "5,1", "abc", "", None]
    assert_same_verdicts(as_text(rows_with(cells, KINDS["number"])), from_text=True)


@pytest.mark.skipif(not KINDS["integer"], reason="the model has no integer feature")
def test_text_cells_of_an_integer_feature_must_read_as_integers() -> None:
    cells = [str(value) for value in INTEGERS] + ["3.0", "2.5", "1e3", "abc", "", None]
    assert_same_verdicts(as_text(rows_with(cells, KINDS["integer"])), from_text=True)


@pytest.mark.skipif(not CATEGORIES, reason="the model has no categorical feature")
@pytest.mark.parametrize("from_text", [False, True])
def test_a_category_is_one_of_its_values_exactly(from_text: bool) -> None:
    values: list[object] = [value for feature in CATEGORIES for value in feature.categories]
    values += ["", "unknown", str(values[0]).upper(), f" {values[0]}", None]
    rows = rows_with(values, [feature.name for feature in CATEGORIES])
    assert_same_verdicts(as_text(rows) if from_text else rows, from_text)


def test_the_reason_names_the_field_as_the_api_does() -> None:
    name = KINDS["number"][-1]
    row = {**EXAMPLE, name: -1.0}
    assert reason(row, from_text=False).startswith(f"{name}: Input should be")
