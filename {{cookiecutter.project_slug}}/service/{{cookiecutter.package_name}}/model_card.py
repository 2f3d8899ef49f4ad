"""The model's name, quality bar and labels, read from model/model.toml."""

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MODEL_TOML = Path(__file__).parent / "model" / "model.toml"


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A BentoML model name: lower-case letters, digits, '.', '_' and '-'.
    name: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$", max_length=63)]
    min_accuracy: Annotated[float, Field(ge=0, le=1)]
    labels: dict[str, str] = {}

    @classmethod
    def read(cls, path: Path = MODEL_TOML) -> "ModelCard":
        try:
            return cls.model_validate(tomllib.loads(path.read_text()))
        except (OSError, ValueError) as error:  # a TOML or a validation error
            raise ValueError(f"{path}: {error}") from None


MODEL_CARD = ModelCard.read()
