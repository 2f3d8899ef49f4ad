"""Training data as every model's dataset.py returns it: features and labels, split the
same way every time."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
from sklearn.model_selection import train_test_split

SEED = 42
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Dataset:
    """Features are float32 in `FEATURE_NAMES` order, exactly what the served model receives;
    labels are indexes into `class_names`."""

    features_train: np.ndarray
    features_test: np.ndarray
    labels_train: np.ndarray
    labels_test: np.ndarray
    class_names: tuple[str, ...]

    @classmethod
    def split(cls, features: np.ndarray, labels: np.ndarray, class_names: Sequence[str]) -> Self:
        """Hold out `TEST_FRACTION` of the rows, stratified by class, with a fixed seed."""
        features_train, features_test, labels_train, labels_test = train_test_split(
            np.asarray(features, dtype=np.float32),
            np.asarray(labels, dtype=np.int64),
            test_size=TEST_FRACTION,
            random_state=SEED,
            stratify=labels,
        )
        return cls(
            features_train=features_train,
            features_test=features_test,
            labels_train=labels_train,
            labels_test=labels_test,
            class_names=tuple(str(name) for name in class_names),
        )

    def fingerprint(self) -> str:
        """SHA-256 of the training split, so a stored model names the exact data it saw."""
        digest = hashlib.sha256()
        for array in (self.features_train, self.labels_train):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()
