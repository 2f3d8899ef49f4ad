"""The reference profile: a sample of the training data, saved beside the model, that the
drift job compares live traffic with. It holds the features in `FEATURE_NAMES` order and
the model's predictions on them, so prediction drift can be judged the same way."""

from typing import Any

import numpy as np

from ..features import FEATURE_NAMES

# Enough rows for any distribution test; a bigger training set is sampled down to this.
MAX_ROWS = 5_000
SEED = 7


def build_reference_profile(
    features: np.ndarray, labels: list[str], confidence: np.ndarray
) -> dict[str, Any]:
    """`features` as the served model receives them; `labels` and `confidence` are its
    predictions on them."""
    rows = np.arange(len(features))
    if len(rows) > MAX_ROWS:
        rows = np.sort(np.random.default_rng(SEED).choice(rows, MAX_ROWS, replace=False))
    return {
        "feature_names": list(FEATURE_NAMES),
        "training_rows": len(features),
        "features": [[float(f"{value:.7g}") for value in features[row]] for row in rows],
        "labels": [labels[row] for row in rows],
        "confidence": [round(float(confidence[row]), 6) for row in rows],
    }
