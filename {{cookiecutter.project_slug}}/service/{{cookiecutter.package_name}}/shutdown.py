"""Leave the load balancer's rotation before stopping.

On SIGTERM the worker first reports not ready (/readyz 503) while it keeps serving, for
`drain_seconds`, so that anything still routing by readiness stops sending; then uvicorn's
own handler stops accepting and lets in-flight requests finish. A second SIGTERM skips
the wait. In Kubernetes the preStop sleep already covers the ALB; the drain covers
everything that routes by readiness alone."""

import logging
import signal
import threading
from types import FrameType

logger = logging.getLogger(__name__)


class GracefulShutdown:
    def __init__(self, drain_seconds: float) -> None:
        self.drain_seconds = drain_seconds
        self.draining = threading.Event()

    def install(self) -> None:
        """Wrap the server's SIGTERM handler. Call from the main thread, once the server
        has installed its own (BentoML creates the service after uvicorn has)."""
        server_handler = signal.getsignal(signal.SIGTERM)
        if not callable(server_handler):
            logger.warning("no server SIGTERM handler to wrap; shutting down without a drain")
            return

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self.draining.is_set():
                server_handler(signum, frame)
                return
            self.draining.set()
            logger.info("draining", extra={"fields": {"seconds": self.drain_seconds}})
            timer = threading.Timer(self.drain_seconds, server_handler, (signum, frame))
            timer.daemon = True
            timer.start()

        signal.signal(signal.SIGTERM, on_sigterm)
