"""The example training data: the iris flowers that ship with scikit-learn (no download).

To train on your own data, make `load_dataset` read it and say which column feeds each
field of `Record`. Training, the ONNX export, the reference profile for drift and the
tests all follow from what it returns.
"""

from sklearn.datasets import load_iris

from ..features import FEATURE_NAMES
from ..training_data import Dataset

# Record field -> column name in the source data.
SOURCE_COLUMNS = {
    "sepal_length_cm": "sepal length (cm)",
    "sepal_width_cm": "sepal width (cm)",
    "petal_length_cm": "petal length (cm)",
    "petal_width_cm": "petal width (cm)",
}


def load_dataset() -> Dataset:
    iris = load_iris()
    columns = [iris.feature_names.index(SOURCE_COLUMNS[name]) for name in FEATURE_NAMES]
    return Dataset.split(iris.data[:, columns], iris.target, class_names=iris.target_names)
