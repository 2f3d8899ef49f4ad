"""The error body every middleware answers with: {"error": "<what is wrong and how to fix it>"}."""

from pydantic import BaseModel, Field
from starlette.types import Send


class ErrorBody(BaseModel):
    """The one shape of every error this service writes itself. The OpenAPI document
    describes error responses with this model's schema, so the two cannot disagree."""

    error: str = Field(description="What is wrong and how to fix it.")


async def send_error(
    send: Send, status: int, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = ErrorBody(error=message).model_dump_json().encode()
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
