"""The record's validation, over whole columns: what `Record` declares, checked for a
batch of rows at once, so that a million rows take seconds rather than minutes.

The checks are read from the record's own JSON schema (the same declaration the API
validates with), and every row they refuse is then validated by `Record` itself, which
gives the reason in the API's words. A row that `Record` accepts is scored, whatever
these checks said: the API's validation is the contract, and these only make it fast.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError

from ..features import FEATURE_NAMES, FEATURES, Feature
from ..model.record import Record


@dataclass(frozen=True)
class ColumnRule:
    """One feature's declared type, bounds and categories (JSON Schema's keywords)."""

    name: str
    kind: str  # as features.py names them: "number", "integer" or "category"
    bounds: Mapping[str, float]
    categories: tuple[str, ...] = ()

    @classmethod
    def of(cls, feature: Feature, schema: Mapping[str, Any]) -> "ColumnRule":
        keywords = ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")
        return cls(
            name=feature.name,
            kind=feature.kind,
            bounds={keyword: float(schema[keyword]) for keyword in keywords if keyword in schema},
            categories=feature.categories,
        )

    def values(self, column: pa.Array, from_text: bool) -> np.ndarray:
        """The column as the features array holds it (a category as its code), NaN where a
        value is missing or wrong."""
        if self.kind == "category":
            return as_codes(column, self.categories)
        return as_numbers(column, from_text)

    def parse(self, text: Any) -> Any:
        """A CSV cell as the value it reads as: a number's, or else its text."""
        if self.kind == "category":
            return text
        try:
            return float(text)
        except (TypeError, ValueError):
            return text

    def accepts(self, values: np.ndarray) -> np.ndarray:
        """Rows whose value is a finite number within the bounds (NaN stands for a value
        that is missing or not a number, or not one of the categories)."""
        with np.errstate(invalid="ignore"):
            accepted = np.isfinite(values)
            for keyword, bound in self.bounds.items():
                accepted &= {
                    "minimum": values >= bound,
                    "exclusiveMinimum": values > bound,
                    "maximum": values <= bound,
                    "exclusiveMaximum": values < bound,
                }[keyword]
            if self.kind == "integer":
                # A whole number, however written (3.0 is one, as in JSON Schema).
                accepted &= np.floor(values) == values
        return accepted


RULES = tuple(
    ColumnRule.of(feature, Record.model_json_schema()["properties"][feature.name])
    for feature in FEATURES
)


def is_text(column: pa.Array) -> bool:
    return pa.types.is_string(column.type) or pa.types.is_large_string(column.type)


def as_numbers(column: pa.Array, from_text: bool) -> np.ndarray:
    """The column as float64, NaN where a value is missing or is not a number.

    Typed files (Parquet) must hold numbers, as JSON must: a string or a boolean column is
    refused as a whole, as the API refuses "5.1" or true. Text files (CSV) hold only text,
    so their cells are parsed as numbers."""
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    if from_text and is_text(column):
        try:
            return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:
            # Some cell is not a number: parse them one by one (only such batches pay this).
            return np.array([parse_number(value) for value in column.to_pylist()])
    return np.full(len(column), np.nan)


def as_codes(column: pa.Array, categories: tuple[str, ...]) -> np.ndarray:
    """A category's column as the codes of its values, NaN for any other value."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not is_text(column):
        return np.full(len(column), np.nan)
    codes = pc.index_in(column, value_set=pa.array(categories, column.type))
    return pc.cast(codes, pa.float64()).to_numpy(zero_copy_only=False)


def parse_number(text: str | None) -> float:
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.nan


@dataclass(frozen=True)
class CheckedBatch:
    """A batch's features in model order, and which rows may be scored."""

    features: np.ndarray
    accepted: np.ndarray


def check(batch: pa.RecordBatch, from_text: bool) -> CheckedBatch:
    """Check every feature column of `batch`; the file's other columns are not the model's."""
    features = np.empty((batch.num_rows, len(RULES)), dtype=np.float64)
    accepted = np.ones(batch.num_rows, dtype=bool)
    for index, rule in enumerate(RULES):
        features[:, index] = rule.values(batch.column(rule.name), from_text)
        accepted &= rule.accepts(features[:, index])
    return CheckedBatch(features=features, accepted=accepted)


def reason(values: Mapping[str, Any], from_text: bool) -> str | None:
    """Why `Record` refuses this row, in the API's words; None if it accepts it."""
    record = {name: values.get(name) for name in FEATURE_NAMES}
    if from_text:
        # A CSV cell that reads as a number is that number: the reason is then about its
        # value, not about its being text. Any other cell stays text, and is refused.
        record = {rule.name: rule.parse(record[rule.name]) for rule in RULES}
    try:
        Record.model_validate(record)
    except ValidationError as error:
        return "; ".join(
            f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}"
            for problem in error.errors(include_url=False)
        )
    return None
