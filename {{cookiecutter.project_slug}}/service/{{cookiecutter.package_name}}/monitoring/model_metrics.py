"""The model's own metrics, beside BentoML's request metrics on /metrics: which version
is served, what it predicts and how sure it is (the concept-drift signal), and how many
predictions the log had to drop.

prometheus_client is imported when the metrics are created, inside the worker: BentoML
sets PROMETHEUS_MULTIPROC_DIR when a worker starts, after the service module is imported,
and metrics created before that would never reach /metrics.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from .prediction_log import Batch

# The share of probability given to the predicted class; below 0.5 a model is guessing
# between classes, so the buckets are finer at the top.
CONFIDENCE_BUCKETS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)

# Every metric this module exports, with its type: the dashboard and the alert rules
# may refer only to these and to BentoML's and the drift job's.
EXPORTED = {
    "model_info": "gauge",
    "model_predictions_total": "counter",
    "model_prediction_confidence": "histogram",
    "prediction_log_dropped_total": "counter",
}


@dataclass
class ModelMetrics:
    predictions: Any
    confidence: Any
    dropped: Any

    @classmethod
    def create(cls, model_version: str) -> "ModelMetrics":
        import prometheus_client

        info = prometheus_client.Gauge(
            "model_info",
            "1 for the model version this pod serves.",
            ["model_version"],
            multiprocess_mode="max",
        )
        info.labels(model_version=model_version).set(1)
        return cls(
            predictions=prometheus_client.Counter(
                "model_predictions", "Records predicted, by class.", ["model_version", "label"]
            ),
            confidence=prometheus_client.Histogram(
                "model_prediction_confidence",
                "Probability of the predicted class, per record.",
                ["model_version"],
                buckets=CONFIDENCE_BUCKETS,
            ),
            dropped=prometheus_client.Counter(
                "prediction_log_dropped",
                "Predictions neither logged nor counted because the log's queue was full.",
            ),
        )

    def observe(self, batch: Batch) -> None:
        """Runs on the prediction log's thread, never on the request path."""
        for label, count in Counter(batch.labels).items():
            self.predictions.labels(model_version=batch.model_version, label=label).inc(count)
        confidence = self.confidence.labels(model_version=batch.model_version)
        for value in np.max(batch.probabilities, axis=1).tolist():
            confidence.observe(value)

    def count_drop(self) -> None:
        self.dropped.inc()
