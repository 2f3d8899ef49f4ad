"""The example training data: the iris flowers that ship with scikit-learn (no download).

To train on your own data, change `load_dataset` to read it and fill `SOURCE_COLUMNS`
with the column that feeds each field of `schemas.Record`. Everything downstream
(training, ONNX export, metadata, tests) follows from what this returns.
"""

import hashlib
from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

from .schemas import FEATURE_NAMES

SEED = 42
TEST_FRACTION = 0.2

# Record field -> column name in the source data.
SOURCE_COLUMNS = {
    "sepal_length_cm": "sepal length (cm)",
    "sepal_width_cm": "sepal width (cm)",
    "petal_length_cm": "petal length (cm)",
    "petal_width_cm": "petal width (cm)",
}


@dataclass(frozen=True)
class Dataset:
    """Features are float32 in `FEATURE_NAMES` order, exactly what the served model receives."""

    features_train: np.ndarray
    features_test: np.ndarray
    labels_train: np.ndarray
    labels_test: np.ndarray
    class_names: tuple[str, ...]

    def fingerprint(self) -> str:
        """SHA-256 of the training split, so a stored model names the exact data it saw."""
        digest = hashlib.sha256()
        for array in (self.features_train, self.labels_train):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()


def load_dataset() -> Dataset:
    """Load the data and split it the same way every time (fixed seed, stratified)."""
    iris = load_iris()
    columns = [iris.feature_names.index(SOURCE_COLUMNS[name]) for name in FEATURE_NAMES]
    features = iris.data[:, columns].astype(np.float32)
    labels = iris.target.astype(np.int64)
    features_train, features_test, labels_train, labels_test = train_test_split(
        features, labels, test_size=TEST_FRACTION, random_state=SEED, stratify=labels
    )
    return Dataset(
        features_train=features_train,
        features_test=features_test,
        labels_train=labels_train,
        labels_test=labels_test,
        class_names=tuple(str(name) for name in iris.target_names),
    )
