"""One trained model, in the three forms the benchmarked servers load.

The pipeline is fitted once: the service gets it exported to ONNX in a private BentoML
store (never the project's own), the baseline gets it pickled with joblib as most
tutorials do, and the ceiling gets the same ONNX file.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import bentoml
import joblib

from {{ cookiecutter.package_name }} import training
from {{ cookiecutter.package_name }}.model.dataset import load_dataset
from {{ cookiecutter.package_name }}.model_store import class_names, onnx_path


@dataclass(frozen=True)
class ModelFiles:
    bentoml_home: Path
    sklearn_path: Path
    onnx_path: Path
    class_names_path: Path


def prepare(directory: Path) -> ModelFiles:
    """Train once and write every form. bentoml reads BENTOML_HOME at import, so the
    caller sets it to `directory / "bentoml"` before this module is imported."""
    dataset = load_dataset()
    pipeline = training.fit(dataset)
    metrics = training.evaluate(pipeline, dataset)
    saved = training.store(pipeline, dataset, metrics, labels={"dataset": "benchmark"})
    # Read back from the store: the model's path while it was being saved was temporary.
    stored = bentoml.models.get(saved.tag)
    files = ModelFiles(
        bentoml_home=directory / "bentoml",
        sklearn_path=directory / "model.joblib",
        onnx_path=onnx_path(stored),
        class_names_path=directory / "class_names.json",
    )
    joblib.dump(pipeline, files.sklearn_path)
    files.class_names_path.write_text(json.dumps(class_names(stored)))
    return files
