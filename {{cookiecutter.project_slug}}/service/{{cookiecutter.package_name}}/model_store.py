"""Where trained models live: the BentoML model store (under $BENTOML_HOME).

A stored model is a folder holding the ONNX graph, plus labels and metadata that say
what it is: features, classes, training data fingerprint, metrics, library versions.
"""

import json
from pathlib import Path
from typing import Any

import bentoml
from bentoml._internal.models import ModelStore

from .model_card import MODEL_CARD

MODEL_NAME = MODEL_CARD.name
ONNX_FILE = "model.onnx"
# A sample of the training data, for the drift job (monitoring/reference_profile.py).
REFERENCE_PROFILE_FILE = "reference_profile.json"


def save_model(
    onnx_model: bytes,
    labels: dict[str, str],
    metadata: dict[str, Any],
    reference_profile: dict[str, Any],
) -> bentoml.Model:
    """Store a new version of the model; `<name>:latest` then points at it."""
    with bentoml.models.create(MODEL_NAME, labels=labels, metadata=metadata) as model:
        Path(model.path_of(ONNX_FILE)).write_bytes(onnx_model)
        Path(model.path_of(REFERENCE_PROFILE_FILE)).write_text(json.dumps(reference_profile))
    return model


def open_model_store(directory: Path) -> ModelStore:
    """A model store other than $BENTOML_HOME's: the bento's, inside the service's image.

    The drift job reads the model the image serves from there. Pointing BENTOML_HOME at
    the bento instead would not do: BentoML creates folders under its home, and the
    image's root filesystem is read-only. (ModelStore is BentoML's own class for a store;
    `bentoml serve` opens the bento's the same way.)"""
    if not directory.is_dir():
        raise FileNotFoundError(f"no model store at {directory}: pass a folder of models")
    return ModelStore(str(directory))


def get_model(tag: str, store: Path | None = None) -> bentoml.Model:
    """The stored model `tag`, from `store` if given, else from BentoML's own store."""
    return open_model_store(store).get(tag) if store else bentoml.models.get(tag)


def onnx_path(model: bentoml.Model) -> Path:
    return Path(model.path_of(ONNX_FILE))


def reference_profile_path(model: bentoml.Model) -> Path:
    return Path(model.path_of(REFERENCE_PROFILE_FILE))


def class_names(model: bentoml.Model) -> tuple[str, ...]:
    return tuple(model.info.metadata["class_names"])
