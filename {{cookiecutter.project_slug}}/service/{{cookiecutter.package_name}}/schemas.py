"""The API's request and response bodies. The record itself is the model's
(model/record.py)."""

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .features import EXAMPLE_RECORD
from .model.record import Record
from .record_base import whole_float_as_int
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


class TrueLabel(BaseModel):
    """The class a record turned out to be, for a prediction the service made earlier."""

    model_config = ConfigDict(extra="forbid", strict=True)

    request_id: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z0-9._-]{1,64}$",
            description="The prediction's request id: its response's X-Request-ID header.",
            examples=["4f1c2b7e9a0d4c3b8e6f5a2d1c0b9a8e"],
        ),
    ]
    record: Annotated[
        int,
        Field(
            ge=0,
            lt=LIMITS.max_batch_size,
            description="The record's place in that request's `records`, from 0.",
            examples=[0],
        ),
        # JSON Schema's integers include 26.0; strict pydantic would refuse it. After the
        # bounds, so that the document states them.
        BeforeValidator(whole_float_as_int),
    ] = 0
    # One of the model's classes: the served document lists them (openapi_document.py),
    # and the service refuses any other, naming the ones it knows.
    label: Annotated[str, Field(min_length=1, max_length=256, description="The true class.")]


class FeedbackRequest(BaseModel):
    """True labels, sent when they are known (often hours or days later)."""

    model_config = ConfigDict(extra="forbid")

    labels: Annotated[list[TrueLabel], Field(min_length=1, max_length=LIMITS.max_batch_size)]


class FeedbackResponse(BaseModel):
    recorded: int = Field(description="How many labels were recorded.")
