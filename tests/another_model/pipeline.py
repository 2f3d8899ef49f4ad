"""Scaled numbers and one-hot categories into a regularised logistic regression."""

from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ..features import CATEGORICAL_COLUMNS, CATEGORIES, NUMERIC_COLUMNS
from ..training_data import SEED


def build_pipeline() -> Pipeline:
    prepare = ColumnTransformer(
        [
            ("numbers", StandardScaler(), list(NUMERIC_COLUMNS)),
            (
                "categories",
                OneHotEncoder(categories=[list(values) for values in CATEGORIES]),
                list(CATEGORICAL_COLUMNS),
            ),
        ]
    )
    return Pipeline(
        [
            ("prepare", prepare),
            ("classify", LogisticRegression(C=0.5, max_iter=1_000, random_state=SEED)),
        ]
    )
