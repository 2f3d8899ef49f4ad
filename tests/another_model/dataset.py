"""The Wisconsin breast cancer data that ships with scikit-learn (no download)."""

import numpy as np
from sklearn.datasets import load_breast_cancer

from ..features import to_matrix
from ..training_data import Dataset

# Record field -> column name in the source data.
SOURCE_COLUMNS = {
    "mean_radius": "mean radius",
    "mean_texture": "mean texture",
    "mean_smoothness": "mean smoothness",
    "worst_concave_points": "worst concave points",
    "worst_area": "worst area",
}
# Mean concavity below each bound: the nucleus shape's bands.
SHAPE_BANDS = ((0.03, "smooth"), (0.1, "irregular"), (np.inf, "very irregular"))


def nucleus_shape(concavity: float) -> str:
    return next(band for bound, band in SHAPE_BANDS if concavity < bound)


def load_dataset() -> Dataset:
    source = load_breast_cancer()
    names = list(source.feature_names)

    def column(name: str) -> np.ndarray:
        return source.data[:, names.index(name)]

    columns = {field: column(name) for field, name in SOURCE_COLUMNS.items()}
    columns["worst_area"] = np.rint(columns["worst_area"])
    columns["nucleus_shape"] = [nucleus_shape(value) for value in column("mean concavity")]
    return Dataset.split(to_matrix(columns), source.target, class_names=source.target_names)
