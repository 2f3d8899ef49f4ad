"""Train the example model, check it, export it to ONNX and store it.

Run it with `make train`. What is trained, on what, and the accuracy it must reach are
the model folder's (model/); this is the same for every model.
"""

import importlib.metadata
import json
import platform
import sys

import bentoml
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import Pipeline

from .features import (
    CATEGORICAL_FEATURES,
    CATEGORIES_INPUT,
    FEATURE_NAMES,
    NUMBERS_INPUT,
    NUMERIC_FEATURES,
    model_columns,
)
from .model.dataset import load_dataset
from .model.pipeline import build_pipeline
from .model.record import Record
from .model_card import MODEL_CARD
from .model_store import save_model
from .monitoring.reference_profile import build_reference_profile
from .training_data import SEED, Dataset

ONNX_OPSET = 17
RECORDED_LIBRARIES = ("scikit-learn", "skl2onnx", "onnx", "onnxruntime", "numpy", "bentoml")


def fit(dataset: Dataset) -> Pipeline:
    """The model's pipeline, fitted on the training split's model columns."""
    return build_pipeline().fit(model_columns(dataset.features_train), dataset.labels_train)


def evaluate(pipeline: Pipeline, dataset: Dataset) -> dict[str, float]:
    predicted = pipeline.predict(model_columns(dataset.features_test))
    return {
        "accuracy": round(float(accuracy_score(dataset.labels_test, predicted)), 4),
        "macro_f1": round(float(f1_score(dataset.labels_test, predicted, average="macro")), 4),
    }


def onnx_inputs() -> list[tuple[str, object]]:
    """The numbers as one float tensor, the categories (if any) as one of strings, in the
    model columns' order (features.py)."""
    inputs: list[tuple[str, object]] = []
    if NUMERIC_FEATURES:
        inputs.append((NUMBERS_INPUT, FloatTensorType([None, len(NUMERIC_FEATURES)])))
    if CATEGORICAL_FEATURES:
        inputs.append((CATEGORIES_INPUT, StringTensorType([None, len(CATEGORICAL_FEATURES)])))
    return inputs


def export_to_onnx(pipeline: Pipeline) -> bytes:
    """Export without ZipMap, so probabilities come out as one float tensor (fast to read)."""
    onnx_model = to_onnx(
        pipeline,
        initial_types=onnx_inputs(),
        options={"zipmap": False},
        target_opset=ONNX_OPSET,
    )
    return onnx_model.SerializeToString()


def describe_features() -> list[dict[str, object]]:
    """Feature names, types and what each declares (bounds, categories), straight from the
    request schema."""
    schema = Record.model_json_schema()["properties"]
    declared = ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "enum")
    return [
        {
            "name": name,
            "type": schema[name]["type"],
            **{keyword: schema[name][keyword] for keyword in declared if keyword in schema[name]},
        }
        for name in FEATURE_NAMES
    ]


def build_metadata(dataset: Dataset, metrics: dict[str, float]) -> dict[str, object]:
    return {
        "features": describe_features(),
        "class_names": list(dataset.class_names),
        "training_data_sha256": dataset.fingerprint(),
        "training_rows": len(dataset.labels_train),
        "test_rows": len(dataset.labels_test),
        "seed": SEED,
        "metrics": metrics,
        "onnx_opset": ONNX_OPSET,
        "library_versions": {
            "python": platform.python_version(),
            **{name: importlib.metadata.version(name) for name in RECORDED_LIBRARIES},
        },
    }


def store(
    pipeline: Pipeline, dataset: Dataset, metrics: dict[str, float], labels: dict[str, str]
) -> bentoml.Model:
    """Export a fitted pipeline, profile the data it learned from, and store both."""
    probabilities = pipeline.predict_proba(model_columns(dataset.features_train))
    reference = build_reference_profile(
        dataset.features_train,
        [dataset.class_names[index] for index in probabilities.argmax(axis=1)],
        probabilities.max(axis=1),
    )
    return save_model(
        export_to_onnx(pipeline),
        labels=labels,
        metadata=build_metadata(dataset, metrics),
        reference_profile=reference,
    )


def main() -> int:
    dataset = load_dataset()
    pipeline = fit(dataset)
    metrics = evaluate(pipeline, dataset)
    if metrics["accuracy"] < MODEL_CARD.min_accuracy:
        print(
            f"Held-out accuracy {metrics['accuracy']} is below {MODEL_CARD.min_accuracy} "
            "(model/model.toml); model not stored.",
            file=sys.stderr,
        )
        return 1
    model = store(pipeline, dataset, metrics, {**MODEL_CARD.labels, "runtime": "onnxruntime"})
    print(f"Stored {model.tag} with held-out metrics {json.dumps(metrics)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
