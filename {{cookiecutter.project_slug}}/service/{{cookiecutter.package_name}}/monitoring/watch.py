"""What the service calls: one object that logs and counts every prediction off the
request path, and writes what is queued when the worker exits."""

import atexit

from .model_metrics import ModelMetrics
from .prediction_log import PredictionLog, PredictionLogSettings


def watch_predictions(model_version: str, class_names: tuple[str, ...]) -> PredictionLog:
    metrics = ModelMetrics.create(model_version)
    log = PredictionLog(
        PredictionLogSettings.from_environment(),
        class_names,
        on_batch=metrics.observe,
        on_drop=metrics.count_drop,
    )
    atexit.register(log.close)
    return log
