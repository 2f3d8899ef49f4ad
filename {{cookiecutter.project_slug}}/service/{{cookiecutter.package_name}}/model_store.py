"""Where trained models live: the BentoML model store (under $BENTOML_HOME).

A stored model is a folder holding the ONNX graph, plus labels and metadata that say
what it is: features, classes, training data fingerprint, metrics, library versions.
"""

import json
from pathlib import Path
from typing import Any

import bentoml

MODEL_NAME = "classifier"
ONNX_FILE = "model.onnx"
# A sample of the training data, for the drift job (monitoring/reference_profile.py).
REFERENCE_PROFILE_FILE = "reference_profile.json"


def save_model(
    onnx_model: bytes,
    labels: dict[str, str],
    metadata: dict[str, Any],
    reference_profile: dict[str, Any],
) -> bentoml.Model:
    """Store a new version of the model; `classifier:latest` then points at it."""
    with bentoml.models.create(MODEL_NAME, labels=labels, metadata=metadata) as model:
        Path(model.path_of(ONNX_FILE)).write_bytes(onnx_model)
        Path(model.path_of(REFERENCE_PROFILE_FILE)).write_text(json.dumps(reference_profile))
    return model


def onnx_path(model: bentoml.Model) -> Path:
    return Path(model.path_of(ONNX_FILE))


def reference_profile_path(model: bentoml.Model) -> Path:
    return Path(model.path_of(REFERENCE_PROFILE_FILE))


def class_names(model: bentoml.Model) -> tuple[str, ...]:
    return tuple(model.info.metadata["class_names"])
