"""The model's input as the service handles it: the feature names in the order the model
reads them, the example record, and the one conversion from records to that array."""

from collections.abc import Sequence

import numpy as np

from .model.record import Record

FEATURE_NAMES: tuple[str, ...] = tuple(Record.model_fields)


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
    """Rows of float32 in `FEATURE_NAMES` order: exactly what the ONNX model reads."""
    return np.array(
        [[getattr(record, name) for name in FEATURE_NAMES] for record in records],
        dtype=np.float32,
    )
