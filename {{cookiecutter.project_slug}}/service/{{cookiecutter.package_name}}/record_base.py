"""What every model's `Record` (model/record.py) is made of: strict validation, and the
bounds of the 32-bit floats the ONNX model reads. A feature is one of these numbers, or a
category: a `Literal` of the strings it may take (an unknown one is a 400 naming them)."""

from typing import Annotated

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

FLOAT32 = np.finfo(np.float32)
# A value beyond these would reach the model as infinity: another input than the one sent.
Float32 = Annotated[float, Field(ge=-float(FLOAT32.max), le=float(FLOAT32.max))]
# A positive value below the smallest normal float32 would reach the model as 0.0 (or a
# subnormal it never saw). Declared as a bound, so the OpenAPI document says it too.
PositiveFloat32 = Annotated[float, Field(gt=0, ge=float(FLOAT32.tiny), le=float(FLOAT32.max))]


# Every integer up to 2**24 is exact in float32, the array the service passes around.
LARGEST_EXACT_INTEGER = 2**24


def whole_float_as_int(value: object) -> object:
    """JSON Schema's integers include 26.0; strict validation alone would refuse it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class Integer:
    """A whole number between two bounds: `Integer[1, 10_000]`. Sent as 3 or 3.0, refused
    as 3.5, "3" or true. The bounds come before the conversion of 3.0, so the OpenAPI
    document states them (after it, pydantic would check them but not declare them)."""

    def __class_getitem__(cls, bounds: tuple[int, int]) -> object:
        lowest, highest = bounds
        if not -LARGEST_EXACT_INTEGER <= lowest <= highest <= LARGEST_EXACT_INTEGER:
            raise TypeError(
                f"Integer[{lowest}, {highest}]: bounds within ±{LARGEST_EXACT_INTEGER}, "
                "lowest first (float32 holds every integer up to 2**24 exactly)"
            )
        return Annotated[int, Field(ge=lowest, le=highest), BeforeValidator(whole_float_as_int)]


class RecordBase(BaseModel):
    # strict: "5.1" (a string) or true (a boolean) is a client bug, not a number;
    # allow_inf_nan: JSON parsers accept NaN and Infinity, the model must not see them;
    # extra: a misspelt feature is an error, not a silently missing one.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
