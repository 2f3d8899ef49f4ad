"""An OTLP/HTTP trace receiver on loopback: what the collector in the cluster is to the
service. It decodes each export with the OpenTelemetry protocol package, keeps the spans
and answers as the protocol says a collector must (200, an empty response message)."""

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

TRACES_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    resource: dict[str, Any]


def plain(attributes: list[KeyValue]) -> dict[str, Any]:
    """OTLP key-values as a dict of their set values (string, int, double, bool)."""
    return {
        attribute.key: getattr(
            attribute.value, attribute.value.WhichOneof("value") or "string_value"
        )
        for attribute in attributes
    }


def decode(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest.FromString(body)
    return [
        ReceivedSpan(
            span.name,
            span.trace_id.hex(),
            span.span_id.hex(),
            span.parent_span_id.hex(),
            plain(span.attributes),
            plain(resource_spans.resource.attributes),
        )
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]


class OtlpReceiver:
    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != TRACES_PATH:
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                if self.headers.get("Content-Type") != PROTOBUF:
                    self.send_error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
                    return
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with receiver.lock:
                    receiver.spans.extend(decode(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", PROTOBUF)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per export would drown the test's output

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{TRACES_PATH}"

    def received(self) -> list[ReceivedSpan]:
        with self.lock:
            return list(self.spans)

    def wait_for(
        self, enough: Callable[[list[ReceivedSpan]], bool], timeout_seconds: float = 30
    ) -> list[ReceivedSpan]:
        """The spans received once `enough` says so; the spans so far at the timeout.
        BentoML exports in batches, every few seconds."""
        deadline = time.monotonic() + timeout_seconds
        while not enough(spans := self.received()) and time.monotonic() < deadline:
            time.sleep(0.2)
        return spans


@contextmanager
def receiving() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
