"""The API's request and response bodies: the one place the model's features are named.

To serve your own model, describe one input row in `Record` (names, types, bounds,
an example each) and map the columns of your training data to it in `dataset.py`.
"""

from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .settings import ServiceSettings

LIMITS = ServiceSettings.from_environment()
# The model reads 32-bit floats: a positive value below this would reach it as 0.0 (or a
# subnormal it never saw), another input than the one sent. Declared as a bound, so the
# OpenAPI document says it too.
SMALLEST_FLOAT32 = float(np.finfo(np.float32).tiny)

# Measurements in centimetres. Bounds are generous but physical: a negative, zero or
# absurdly large value is a client bug, not a flower.
Centimetres = Annotated[float, Field(gt=0, ge=SMALLEST_FLOAT32, le=100)]


class Record(BaseModel):
    """One flower to classify."""

    # strict: "5.1" (a string) or true (a boolean) is a client bug, not a number;
    # allow_inf_nan: JSON parsers accept NaN and Infinity, the model must not see them.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    sepal_length_cm: Annotated[Centimetres, Field(examples=[5.1])]
    sepal_width_cm: Annotated[Centimetres, Field(examples=[3.5])]
    petal_length_cm: Annotated[Centimetres, Field(examples=[1.4])]
    petal_width_cm: Annotated[Centimetres, Field(examples=[0.2])]


FEATURE_NAMES: tuple[str, ...] = tuple(Record.model_fields)

EXAMPLE_RECORD = Record(
    sepal_length_cm=5.1, sepal_width_cm=3.5, petal_length_cm=1.4, petal_width_cm=0.2
)


class PredictRequest(BaseModel):
    """A batch of records, answered in the same order."""

    model_config = ConfigDict(extra="forbid")

    records: Annotated[
        list[Record],
        Field(
            min_length=1, max_length=LIMITS.max_batch_size, examples=[[EXAMPLE_RECORD.model_dump()]]
        ),
    ]


class Prediction(BaseModel):
    label: str = Field(description="The most probable class.")
    probabilities: dict[str, float] = Field(description="Probability of every class; sums to 1.")


class PredictResponse(BaseModel):
    model_version: str = Field(description="The model that answered, as name:version.")
    predictions: list[Prediction]
