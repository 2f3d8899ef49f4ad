"""Score a file with the served model: the same stored model, the same record validation
and the same ONNX session as the API, a batch of rows at a time.

Every row read is either scored or rejected with its reason; nothing is dropped.
"""

import argparse
import math
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ..model_store import class_names, get_model, onnx_path
from ..onnx_model import OnnxClassifier
from .columns import CheckedBatch, check, reason
from .tables import InputTable, OutputFiles

ROW_NUMBER = "row"


@dataclass(frozen=True)
class Summary:
    rows_read: int
    rows_scored: int
    rows_rejected: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else math.inf

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_per_second": round(self.rows_per_second)}


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Scorer:
    """Turns batches of input rows into scored rows and rejects."""

    def __init__(
        self, model: OnnxClassifier, model_version: str, id_column: str | None = None
    ) -> None:
        self.model = model
        self.id_column = id_column
        self.labels = pa.array(model.class_names)
        self.version = pa.array([model_version])
        self.probability_columns = [f"probability_{name}" for name in model.class_names]

    @classmethod
    def load(cls, arguments: argparse.Namespace) -> "Scorer":
        """The stored model the options name (arguments.py), on its own ONNX session."""
        model = get_model(arguments.model_tag, arguments.model_store)
        session = OnnxClassifier(onnx_path(model), class_names(model), arguments.threads)
        return cls(session, str(model.tag), arguments.id_column)

    def schema(self, input_schema: pa.Schema) -> pa.Schema:
        key = (
            input_schema.field(self.id_column)
            if self.id_column
            else pa.field(ROW_NUMBER, pa.int64())
        )
        return pa.schema(
            [
                key,
                pa.field("label", pa.dictionary(pa.int32(), pa.string())),
                *(pa.field(name, pa.float32()) for name in self.probability_columns),
                pa.field("model_version", pa.dictionary(pa.int32(), pa.string())),
            ]
        )

    def score(
        self, batch: pa.RecordBatch, first_row: int, from_text: bool
    ) -> tuple[pa.RecordBatch, list[dict[str, Any]]]:
        checked = check(batch, from_text)
        rejects = self.rejects(batch, checked, first_row, from_text)
        rows = np.flatnonzero(checked.accepted)
        label_indices, probabilities = self.model.run(checked.features[rows])
        keys = (
            batch.column(self.id_column).take(rows)
            if self.id_column
            else pa.array(rows + first_row, pa.int64())
        )
        scored = pa.record_batch(
            [
                keys,
                pa.DictionaryArray.from_arrays(label_indices.astype(np.int32), self.labels),
                *(pa.array(probabilities[:, index]) for index in range(probabilities.shape[1])),
                pa.DictionaryArray.from_arrays(np.zeros(len(rows), np.int32), self.version),
            ],
            schema=self.schema(batch.schema),
        )
        return scored, rejects

    def rejects(
        self, batch: pa.RecordBatch, checked: CheckedBatch, first_row: int, from_text: bool
    ) -> list[dict[str, Any]]:
        """Each refused row with the reason `Record` gives. A row the column checks refused
        but `Record` accepts (there should be none) is scored."""
        rejects = []
        for index in np.flatnonzero(~checked.accepted).tolist():
            values = batch.slice(index, 1).to_pylist()[0]
            why = reason(values, from_text)
            if why is None:
                checked.accepted[index] = True
                continue
            reject = {ROW_NUMBER: first_row + index, "reason": why}
            if self.id_column:
                reject["id"] = values[self.id_column]
            reject["values"] = {name: printable(values[name]) for name in values}
            rejects.append(reject)
        return rejects


def printable(value: Any) -> Any:
    """JSON has no NaN or infinity: write those as text."""
    return str(value) if isinstance(value, float) and not math.isfinite(value) else value


def score_file(
    scorer: Scorer,
    source: InputTable,
    output_uri: str,
    rejects_uri: str,
    progress: Callable[[int], None] = lambda rows: None,
) -> Summary:
    """Score every row of `source` into `output_uri` (Parquet) and `rejects_uri` (JSON Lines)."""
    started = time.perf_counter()
    output = OutputFiles(output_uri, rejects_uri, scorer.schema(source.schema))
    read = scored = 0
    try:
        for batch in source.batches:
            rows, rejects = scorer.score(batch, read, source.from_text)
            output.write_scored(rows)
            output.write_rejects(rejects)
            read += batch.num_rows
            scored += rows.num_rows
            progress(read)
        # Malformed CSV lines were skipped by the parser: they are not rows, but are rejects.
        output.write_rejects(source.malformed)
        read += len(source.malformed)
        output.close()
    except BaseException:
        output.discard()
        raise
    return Summary(read, scored, read - scored, time.perf_counter() - started)
