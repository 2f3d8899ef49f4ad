"""The API's request and response bodies. The record itself is the model's
(model/record.py)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .features import EXAMPLE_RECORD
from .model.record import Record
from .settings import ServiceSettings

LIMITS = ServiceSettings.from_environment()


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
