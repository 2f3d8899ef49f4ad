"""The JSON answers the middleware writes itself; errors are {"error": "<what is wrong and how
to fix it>"}."""

from pydantic import BaseModel, Field
from starlette.types import Send

Headers = tuple[tuple[bytes, bytes], ...]


class ErrorBody(BaseModel):
    """The one shape of every error this service writes itself. The OpenAPI document
    describes error responses with this model's schema, so the two cannot disagree."""

    error: str = Field(description="What is wrong and how to fix it.")


async def send_json(send: Send, status: int, body: bytes, headers: Headers = ()) -> None:
    """A complete response whose body is already JSON."""
    await send(
        {
            "type": "http.response.start",
            "status": int(status),
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, status: int, message: str, headers: Headers = ()) -> None:
    await send_json(send, status, ErrorBody(error=message).model_dump_json().encode(), headers)
