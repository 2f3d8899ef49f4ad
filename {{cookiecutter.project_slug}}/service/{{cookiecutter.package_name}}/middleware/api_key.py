"""Require `Authorization: Bearer <API key>` on everything except probes, metrics and docs."""

import functools
import hmac
from http import HTTPStatus

from starlette.types import ASGIApp, Receive, Scope, Send

from ..settings import ApiKeySettings
from .responses import send_error

# Everything not listed here needs a key, so a new endpoint is protected by default.
PUBLIC_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/metrics", "/", "/docs.json"})
# Swagger UI's scripts and styles, requested by the browser without a key.
PUBLIC_PREFIXES = ("/static_content/",)
BEARER_PREFIX = b"bearer "
# What a request without a valid key gets; the OpenAPI document declares the same.
REJECTED = HTTPStatus.UNAUTHORIZED
CHALLENGE = (b"www-authenticate", b'Bearer realm="api"')


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, keys: tuple[bytes, ...] | None = None) -> None:
        self.app = app
        self.given_keys = keys

    @functools.cached_property
    def keys(self) -> tuple[bytes, ...]:
        # Read on first use, not at import (`bentoml build` needs no key) nor at
        # construction (Starlette builds middleware inside the lifespan call, and uvicorn
        # swallows errors there). Classifier.__init__ checks the same settings at start.
        if self.given_keys is not None:
            return self.given_keys
        return ApiKeySettings.from_environment().accepted_keys()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.may_pass(scope):
            await self.app(scope, receive, send)
            return
        await send_error(
            send,
            REJECTED,
            "missing or invalid API key: send the header 'Authorization: Bearer <key>'",
            headers=(CHALLENGE,),
        )

    def may_pass(self, scope: Scope) -> bool:
        if scope["type"] != "http" or self.is_public(scope["path"]):
            return True
        return self.is_authorized(dict(scope["headers"]).get(b"authorization", b""))

    @staticmethod
    def is_public(path: str) -> bool:
        return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)

    def is_authorized(self, authorization: bytes) -> bool:
        if authorization[: len(BEARER_PREFIX)].lower() != BEARER_PREFIX:
            return False
        presented = authorization[len(BEARER_PREFIX) :].strip()
        # Compare with every key and never stop early, so response time reveals
        # neither which key matched nor how much of one did.
        matched = False
        for key in self.keys:
            matched |= hmac.compare_digest(presented, key)
        return matched
