"""The model's input as the service handles it: each feature's kind, the example record,
and the conversions between records, the one array every part passes around, and the
typed inputs of the ONNX model.

A feature is a number (a float, or an `Integer`) or a category (a `Literal` of strings,
model/record.py). Inside the service a batch of records is one float32 array, a column
per feature in `FEATURE_NAMES` order, a category held as its place in its `Literal`
(exact, as every integer up to 2**24 is). The ONNX model takes the numbers as one float
tensor (`features`) and the categories, as text, as a second (`categories`): the
pipeline's own encoders turn them into what the model needs, inside the graph.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .model.record import Record

NUMBERS_INPUT = "features"
CATEGORIES_INPUT = "categories"


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # "number", "integer" or "category"
    categories: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: str, schema: Mapping[str, Any]) -> "Feature":
        if schema.get("type") == "string" and schema.get("enum"):
            return cls(name, "category", tuple(schema["enum"]))
        if schema.get("type") in ("number", "integer"):
            return cls(name, schema["type"])
        raise TypeError(
            f"model/record.py: {name} must be a number (float, Integer) or a category "
            f'(Literal["a", "b"]); its schema is {dict(schema)}'
        )


FEATURES: tuple[Feature, ...] = tuple(
    Feature.of(name, schema) for name, schema in Record.model_json_schema()["properties"].items()
)
FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in FEATURES)
NUMERIC_FEATURES = tuple(feature.name for feature in FEATURES if feature.kind != "category")
CATEGORICAL_FEATURES = tuple(feature.name for feature in FEATURES if feature.kind == "category")
# The model's input columns: the numbers, then the categories, each in declared order. A
# pipeline's ColumnTransformer names them by these indexes (model/pipeline.py).
NUMERIC_COLUMNS = tuple(range(len(NUMERIC_FEATURES)))
CATEGORICAL_COLUMNS = tuple(range(len(NUMERIC_FEATURES), len(FEATURES)))
# Every category's values, in model-column order: what a OneHotEncoder is told to expect.
CATEGORIES: tuple[tuple[str, ...], ...] = tuple(
    feature.categories for feature in FEATURES if feature.kind == "category"
)
_NUMBER_INDEXES = [FEATURE_NAMES.index(name) for name in NUMERIC_FEATURES]
_CATEGORY_INDEXES = [FEATURE_NAMES.index(name) for name in CATEGORICAL_FEATURES]
_CODES = {
    feature.name: {value: code for code, value in enumerate(feature.categories)}
    for feature in FEATURES
}
_VALUES = [
    np.array(feature.categories, dtype=object) for feature in FEATURES if feature.kind == "category"
]


def example_record() -> Record:
    """The record made of every field's first example."""
    missing = [name for name, field in Record.model_fields.items() if not field.examples]
    if missing:
        raise TypeError(
            f"model/record.py: give every field an example, e.g. Field(examples=[1.0]); "
            f"{', '.join(missing)} has none"
        )
    return Record.model_validate(
        {name: field.examples[0] for name, field in Record.model_fields.items()}
    )


EXAMPLE_RECORD = example_record()


def to_array(records: Sequence[Record]) -> np.ndarray:
    """Rows of float32 in `FEATURE_NAMES` order: a category as its code."""
    if not CATEGORICAL_FEATURES:
        return np.array(
            [[getattr(record, name) for name in FEATURE_NAMES] for record in records],
            dtype=np.float32,
        )
    return to_matrix(
        {name: [getattr(record, name) for record in records] for name in FEATURE_NAMES}
    )


def to_matrix(columns: Mapping[str, Sequence[Any] | np.ndarray]) -> np.ndarray:
    """Columns of values (numbers, or a category's values as text) by feature name, as
    the float32 array: how a dataset's columns become the model's rows."""
    rows = len(next(iter(columns.values()))) if columns else 0
    matrix = np.empty((rows, len(FEATURES)), dtype=np.float32)
    for index, feature in enumerate(FEATURES):
        values = columns[feature.name]
        if feature.kind == "category":
            codes = _CODES[feature.name]
            unknown = sorted({str(value) for value in values if value not in codes})
            if unknown:
                allowed = ", ".join(feature.categories)
                raise ValueError(f"{feature.name}: {', '.join(unknown)} not among {allowed}")
            values = [codes[value] for value in values]
        matrix[:, index] = np.asarray(values, dtype=np.float32)
    return matrix


def to_columns(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """The inverse of `to_matrix`: the array's rows as typed columns (floats, integers,
    categories' text), as a table of records holds them."""
    columns = {}
    for index, feature in enumerate(FEATURES):
        values = matrix[:, index]
        if feature.kind == "category":
            columns[feature.name] = np.array(feature.categories, dtype=object)[
                values.astype(np.intp)
            ]
        else:
            columns[feature.name] = values.astype(np.int64 if feature.kind == "integer" else float)
    return columns


def model_inputs(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """The ONNX model's inputs for rows of the array: numbers as float32, categories as text."""
    if not CATEGORICAL_FEATURES:
        return {NUMBERS_INPUT: matrix.astype(np.float32, copy=False)}
    inputs = {
        CATEGORIES_INPUT: np.column_stack(
            [
                values[matrix[:, column].astype(np.intp)]
                for values, column in zip(_VALUES, _CATEGORY_INDEXES, strict=True)
            ]
        )
    }
    if NUMERIC_FEATURES:
        inputs[NUMBERS_INPUT] = np.ascontiguousarray(matrix[:, _NUMBER_INDEXES], dtype=np.float32)
    return inputs


def model_columns(matrix: np.ndarray) -> np.ndarray:
    """Rows of the array as the scikit-learn pipeline reads them in training: the model's
    input columns in order (numbers, then categories as text)."""
    if not CATEGORICAL_FEATURES:
        return matrix
    inputs = model_inputs(matrix)
    numbers = inputs.get(NUMBERS_INPUT, np.empty((len(matrix), 0), dtype=np.float32))
    return np.hstack([numbers.astype(object), inputs[CATEGORIES_INPUT]])


def as_values(row: Sequence[float]) -> dict[str, float | int | str]:
    """One row of the array as a record's values: what the prediction log writes."""
    values: dict[str, float | int | str] = {}
    for feature, value in zip(FEATURES, row, strict=True):
        if feature.kind == "category":
            values[feature.name] = feature.categories[int(value)]
        elif feature.kind == "integer":
            values[feature.name] = int(value)
        else:
            # The shortest decimal that is this float32: exact, without float64's noise.
            values[feature.name] = float(str(np.float32(value)))
    return values


def from_values(values: Mapping[str, Any]) -> list[float]:
    """The inverse of `as_values`: a logged record's values as a row of the array."""
    return [
        float(_CODES[feature.name][values[feature.name]])
        if feature.kind == "category"
        else float(values[feature.name])
        for feature in FEATURES
    ]
