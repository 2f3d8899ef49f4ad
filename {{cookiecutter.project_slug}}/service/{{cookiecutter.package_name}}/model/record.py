"""One input row: every feature the model reads, with its type, bounds and an example.

The API validates each record against this before the model sees it. The field order is
the order of the model's input columns. The examples make the OpenAPI document's example
request, the record the service warms up with, and the record the tests send.
"""

from typing import Annotated

from pydantic import Field

from ..record_base import PositiveFloat32, RecordBase

# Measurements in centimetres. Bounds are generous but physical: a negative, zero or
# absurdly large value is a client bug, not a flower.
Centimetres = Annotated[PositiveFloat32, Field(le=100)]


class Record(RecordBase):
    """One flower to classify."""

    sepal_length_cm: Annotated[Centimetres, Field(examples=[5.1])]
    sepal_width_cm: Annotated[Centimetres, Field(examples=[3.5])]
    petal_length_cm: Annotated[Centimetres, Field(examples=[1.4])]
    petal_width_cm: Annotated[Centimetres, Field(examples=[0.2])]
