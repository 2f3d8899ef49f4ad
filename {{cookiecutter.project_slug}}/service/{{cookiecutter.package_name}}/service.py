"""The HTTP service: validated batches in, class and probabilities per record out.

Serve it with `make serve`, which runs `bentoml serve <package>.service:Classifier`.
"""

import gc
import logging
import math
import threading

import bentoml
from pydantic import ValidationError

from . import http_limits
from .features import EXAMPLE_RECORD, to_array
from .json_logging import configure_json_logging, log_on_every_line
from .middleware import bounded_metrics
from .middleware.api_key import ApiKeyMiddleware
from .middleware.concurrency_limit import ConcurrencyLimitMiddleware
from .middleware.direct_api import DirectApiMiddleware
from .middleware.openapi import OpenApiDocumentMiddleware
from .middleware.request_context import RequestContextMiddleware
from .middleware.request_limits import RequestLimitsMiddleware
from .model.record import Record
from .model_store import class_names, onnx_path
from .monitoring.label_log import LabelLog
from .monitoring.prediction_log import PredictionLogSettings
from .monitoring.watch import watch_predictions
from .onnx_model import OnnxClassifier
from .schemas import (
    LIMITS,
    FeedbackRequest,
    FeedbackResponse,
    Prediction,
    PredictRequest,
    PredictResponse,
    TrueLabel,
)
from .settings import ApiKeySettings, ServiceSecrets
from .shutdown import GracefulShutdown
from .tracing import tracing_config
from .worker_health import all_workers_running

logger = logging.getLogger(__name__)

# Middle-generation collections between two full ones (Python's default is 10).
FULL_COLLECTION_THRESHOLD = 1_000


@bentoml.service(
    workers=LIMITS.workers,
    # The concurrency limit is ConcurrencyLimitMiddleware's: it answers 429 with Retry-After.
    traffic={"timeout": LIMITS.request_timeout_seconds},
    # RequestContextMiddleware writes the access log, as JSON with the request id.
    logging={"access": {"enabled": False}},
    # No spans at all unless SERVICE_TRACE_ENDPOINT is set (tracing.py).
    tracing=tracing_config(LIMITS),
)
class Classifier:
    model_ref = bentoml.models.BentoModel(LIMITS.model_tag)

    def __init__(self) -> None:
        configure_json_logging(LIMITS.log_level)
        # ApiKeyMiddleware reads the keys on first use; check them now, so a missing or
        # weak key stops the service at start instead of failing its first request. The
        # same for every secret service_secrets.toml declares.
        ApiKeySettings.from_environment()
        self.secrets = ServiceSecrets.from_environment()
        stored_model = self.model_ref
        self.model_version = str(stored_model.tag)
        # During a canary two versions answer: every line says which one wrote it.
        log_on_every_line(model_version=self.model_version)
        self.model = OnnxClassifier(
            onnx_path(stored_model), class_names(stored_model), threads=LIMITS.inference_threads
        )
        # Logs features and outputs, and counts them, on a background thread.
        self.predictions = watch_predictions(self.model_version, self.model.class_names)
        # True labels go beside the predictions they name, when those are logged.
        log_settings = PredictionLogSettings.from_environment()
        self.labels = LabelLog(log_settings) if log_settings.prediction_log_dir else None
        self.warmed_up = threading.Event()
        self.shutdown = GracefulShutdown(LIMITS.shutdown_drain_seconds)
        self.shutdown.install()
        # Warm up off the event loop, so /livez answers while /readyz says "not yet".
        threading.Thread(target=self.warm_up, name="warm-up", daemon=True).start()

    def __is_alive__(self) -> bool:
        """/livez fails once a sibling worker has died (see worker_health)."""
        return all_workers_running(LIMITS.workers)

    def __is_ready__(self) -> bool:
        """/readyz is 200 only once the model is loaded and has answered real inputs, and
        503 again from the moment the worker is asked to stop."""
        return self.warmed_up.is_set() and not self.shutdown.draining.is_set()

    def warm_up(self) -> None:
        """Run the smallest and the largest batch, so first requests pay no allocation cost."""
        logger.info("warming up", extra={"fields": {"rounds": LIMITS.warmup_rounds}})
        batches = [to_array([EXAMPLE_RECORD] * size) for size in {1, LIMITS.max_batch_size}]
        try:
            for _ in range(LIMITS.warmup_rounds):
                for batch in batches:
                    self.model.predict(batch)
        except Exception:
            logger.exception("warm-up inference failed; the service stays not ready")
            return
        # Hide everything loaded so far from the garbage collector: its full collections
        # walked ~100,000 long-lived objects with the event loop stopped (50-120 ms), every
        # few thousand requests, which was most of the p99 latency.
        gc.freeze()
        # And collect the oldest generation less often. Objects that outlive a request by
        # seconds (BentoML keeps a timer per request for the whole request timeout) fill it
        # at thousands per second, and each full collection still stopped the loop for
        # 30-50 ms. Cyclic garbage is still collected, only later.
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)
        logger.info("ready", extra={"fields": {"model_version": self.model_version}})
        self.warmed_up.set()

    @bentoml.api(input_spec=PredictRequest)
    async def predict(self, records: list[Record]) -> PredictResponse:
        """Classify each record. Declares the API; DirectApiMiddleware serves it over HTTP."""
        return self.classify(records)

    @bentoml.api(route="/feedback", input_spec=FeedbackRequest)
    def feedback(self, labels: list[TrueLabel]) -> FeedbackResponse:
        """Record the true labels of earlier predictions, named by request id and record;
        the drift job measures the model's accuracy with them (docs/monitoring.md)."""
        classes = self.model.class_names
        unknown = [index for index, true in enumerate(labels) if true.label not in classes]
        if unknown:
            raise not_a_class(labels, unknown, classes)
        if self.labels is None:
            raise bentoml.exceptions.ServiceUnavailable(
                "the prediction log is off (SERVICE_PREDICTION_LOG_DIR): "
                "a label would have no prediction to be compared with"
            )
        self.labels.append([(true.request_id, true.record, true.label) for true in labels])
        return FeedbackResponse(recorded=len(labels))

    def classify(self, records: list[Record]) -> PredictResponse:
        """Inference takes microseconds, so it runs on the event loop rather than paying
        for a thread hop."""
        features = to_array(records)
        labels, probabilities = self.model.predict(features)
        self.predictions.submit(self.model_version, features, labels, probabilities)
        class_names = self.model.class_names
        # Built without validation: the values come from the model, not from a client,
        # and validating them again took most of a batch's time.
        return PredictResponse.model_construct(
            model_version=self.model_version,
            predictions=[
                Prediction.model_construct(
                    label=label, probabilities=dict(zip(class_names, row, strict=True))
                )
                for label, row in zip(labels, probabilities.tolist(), strict=True)
            ],
        )


def not_a_class(
    labels: list[TrueLabel], unknown: list[int], classes: tuple[str, ...]
) -> ValidationError:
    """The 400 a label outside the model's classes gets: pydantic's own error for a value
    outside a fixed set, naming each bad label's place and the classes there are."""
    expected = ", ".join(map(repr, classes[:-1])) + f" or {classes[-1]!r}"
    return ValidationError.from_exception_data(
        FeedbackRequest.__name__,
        [
            {
                "type": "literal_error",
                "loc": ("labels", index, "label"),
                "input": labels[index].label,
                "ctx": {"expected": expected},
            }
            for index in unknown
        ],
    )


# Before BentoML builds the app: request metrics label unknown paths as one.
bounded_metrics.install()
# Before BentoML builds each worker's server: request heads have a size and a deadline.
http_limits.install()
# Outermost first: every request gets an id and an access line, then must find capacity,
# then must carry a key, then must fit the body limits.
Classifier.add_asgi_middleware(RequestContextMiddleware)
# SERVICE_MAX_CONCURRENCY is the pod's: each worker process takes its share.
Classifier.add_asgi_middleware(
    ConcurrencyLimitMiddleware, max_concurrency=math.ceil(LIMITS.max_concurrency / LIMITS.workers)
)
Classifier.add_asgi_middleware(ApiKeyMiddleware)
Classifier.add_asgi_middleware(RequestLimitsMiddleware, max_body_bytes=LIMITS.max_body_bytes)
Classifier.add_asgi_middleware(OpenApiDocumentMiddleware)
# Innermost: answers POST /predict itself, so add any new middleware above this line.
Classifier.add_asgi_middleware(
    DirectApiMiddleware,
    path="/predict",
    request_model=PredictRequest,
    answer=lambda service, request: service.classify(request.records),
)
