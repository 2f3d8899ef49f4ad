"""Request metrics whose labels no request can multiply.

BentoML's request metrics label each request with its raw path, and its metrics
middleware runs before any of ours: 100 requests to made-up paths, each answered 401,
made 2,000 new series (multiprocess files on the pod's /tmp, and samples for Prometheus).
This replaces that middleware with one that labels every path no route serves as
`/unmatched`, and hands the request on with its real path, so nothing else changes.

It swaps the class BentoML 1.4 looks up when it builds the app (the module attribute
`RunnerTrafficMetricsMiddleware`), so `install()` runs when the service module is
imported, before any app exists; tests/service/test_bounded_metrics.py fails if an
upgrade stops it from taking effect.
"""

from bentoml._internal.server.http import instruments
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

UNMATCHED = "/unmatched"
# Where the real path waits while the metrics see UNMATCHED.
REAL_PATH = "bounded_metrics.real_path"


def routed(scope: Scope) -> bool:
    """Whether any route of the app serves this path (with this method or another)."""
    router = getattr(scope.get("app"), "router", None)
    if router is None:
        return True
    return any(route.matches(scope)[0] is not Match.NONE for route in router.routes)


class RestorePath:
    """Right after the metrics: the app sees the request as it came."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if REAL_PATH in scope:
            scope = {**scope, "path": scope[REAL_PATH]}
        await self.app(scope, receive, send)


class BoundedTrafficMetrics(instruments.RunnerTrafficMetricsMiddleware):
    def __init__(self, app: ASGIApp, **options: object) -> None:
        super().__init__(RestorePath(app), **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not routed(scope):
            scope = {**scope, "path": UNMATCHED, REAL_PATH: scope["path"]}
        await super().__call__(scope, receive, send)


def install() -> None:
    instruments.RunnerTrafficMetricsMiddleware = BoundedTrafficMetrics
