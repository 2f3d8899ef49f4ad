"""The model itself: a scikit-learn pipeline, trained by `make train` and served as ONNX.

Keep preprocessing inside the pipeline, so the ONNX graph the server runs does exactly
what training did. Any pipeline skl2onnx can convert will do.
"""

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..training_data import SEED


def build_pipeline() -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(max_iter=1_000, random_state=SEED)),
        ]
    )
