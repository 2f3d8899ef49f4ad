"""What every model's `Record` (model/record.py) is made of: strict validation, and the
bounds of the 32-bit floats the ONNX model reads."""

from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

FLOAT32 = np.finfo(np.float32)
# A value beyond these would reach the model as infinity: another input than the one sent.
Float32 = Annotated[float, Field(ge=-float(FLOAT32.max), le=float(FLOAT32.max))]
# A positive value below the smallest normal float32 would reach the model as 0.0 (or a
# subnormal it never saw). Declared as a bound, so the OpenAPI document says it too.
PositiveFloat32 = Annotated[float, Field(gt=0, ge=float(FLOAT32.tiny), le=float(FLOAT32.max))]


class RecordBase(BaseModel):
    # strict: "5.1" (a string) or true (a boolean) is a client bug, not a number;
    # allow_inf_nan: JSON parsers accept NaN and Infinity, the model must not see them;
    # extra: a misspelt feature is an error, not a silently missing one.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
