"""Require `Authorization: Bearer <API key>` on everything except probes, metrics and docs,
and name the client whose key it was (`scope["api_client"]`) for the access log."""

import functools
from http import HTTPStatus

from starlette.types import ASGIApp, Receive, Scope, Send

from ..api_keys import ApiKeys
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
    def __init__(self, app: ASGIApp, keys: ApiKeys | None = None) -> None:
        self.app = app
        self.given_keys = keys

    @functools.cached_property
    def keys(self) -> ApiKeys:
        # Read on first use, not at import (`bentoml build` needs no key) nor at
        # construction (Starlette builds middleware inside the lifespan call, and uvicorn
        # swallows errors there). Classifier.__init__ checks the same settings at start.
        if self.given_keys is not None:
            return self.given_keys
        return ApiKeys(ApiKeySettings.from_environment().api_keys_file)

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
        client = self.client(dict(scope["headers"]).get(b"authorization", b""))
        scope["api_client"] = client
        return client is not None

    @staticmethod
    def is_public(path: str) -> bool:
        return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)

    def client(self, authorization: bytes) -> str | None:
        if authorization[: len(BEARER_PREFIX)].lower() != BEARER_PREFIX:
            return None
        return self.keys.client(authorization[len(BEARER_PREFIX) :].strip())
