"""The model's name, quality bar and labels, read from model/model.toml."""

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MODEL_TOML = Path(__file__).parent / "model" / "model.toml"


class Quality(BaseModel):
    """When the drift job alerts on accuracy measured with true labels (POST /feedback)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # How far below the held-out accuracy of training the live accuracy may fall.
    accuracy_margin: Annotated[float, Field(ge=0, le=1)] = 0.05
    # Fewer labelled predictions than this in the window give no verdict.
    min_labelled_rows: Annotated[int, Field(ge=1)] = 100


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A BentoML model name: lower-case letters, digits, '.', '_' and '-'.
    name: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$", max_length=63)]
    min_accuracy: Annotated[float, Field(ge=0, le=1)]
    labels: dict[str, str] = {}
    quality: Quality = Quality()

    @classmethod
    def read(cls, path: Path = MODEL_TOML) -> "ModelCard":
        try:
            return cls.model_validate(tomllib.loads(path.read_text()))
        except (OSError, ValueError) as error:  # a TOML or a validation error
            raise ValueError(f"{path}: {error}") from None


MODEL_CARD = ModelCard.read()
