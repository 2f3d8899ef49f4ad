"""The real service with faults injected: slow answers and a share of 500s (a request may
ask for its own delay with an X-Fault-Latency-Ms header). For the rehearsal tests only.
It lives in tests/, which no image contains, so a fault can never be switched on in
production by a setting."""

import asyncio
import os
import random

from starlette.types import ASGIApp, Receive, Scope, Send

from {{ cookiecutter.package_name }}.middleware.direct_api import DirectApiMiddleware
from {{ cookiecutter.package_name }}.middleware.responses import send_error
from {{ cookiecutter.package_name }}.service import Classifier

ERROR_RATIO = float(os.environ.get("FAULT_ERROR_RATIO", "0.2"))
ADDED_LATENCY_SECONDS = float(os.environ.get("FAULT_LATENCY_MS", "300")) / 1000


class FaultInjection:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/predict":
            if random.random() < ERROR_RATIO:
                await send_error(send, 500, "injected fault")
                return
            requested = dict(scope["headers"]).get(b"x-fault-latency-ms")
            await asyncio.sleep(int(requested) / 1000 if requested else ADDED_LATENCY_SECONDS)
        await self.app(scope, receive, send)


# Just inside the service's own middleware, as the model would be: ahead of the one that
# answers /predict.
direct_api = [middleware for middleware, _ in Classifier.middlewares].index(DirectApiMiddleware)
Classifier.middlewares.insert(direct_api, (FaultInjection, {}))
