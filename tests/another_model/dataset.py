"""The Wisconsin breast cancer data that ships with scikit-learn (no download)."""

from sklearn.datasets import load_breast_cancer

from ..features import FEATURE_NAMES
from ..training_data import Dataset

# Record field -> column name in the source data.
SOURCE_COLUMNS = {
    "mean_radius": "mean radius",
    "mean_texture": "mean texture",
    "mean_smoothness": "mean smoothness",
    "worst_concave_points": "worst concave points",
    "worst_area": "worst area",
}


def load_dataset() -> Dataset:
    source = load_breast_cancer()
    names = list(source.feature_names)
    columns = [names.index(SOURCE_COLUMNS[name]) for name in FEATURE_NAMES]
    return Dataset.split(source.data[:, columns], source.target, class_names=source.target_names)
