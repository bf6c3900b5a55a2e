"""Limits on the request bodies of the HITL API, enforced before FastAPI reads them.

FastAPI reads and parses a body before it runs any dependency, authentication included, and
Python's ``json`` accepts ``NaN`` and fails on deep nesting with a ``RecursionError``. So the
limits are an ASGI middleware in front of the HITL API app: bodies are counted as they arrive and
refused (413) once they pass ``[hitl] max_answer_bytes``, whoever sends them; JSON bodies are then
checked by :func:`airflow.hitl.json_limits.parse_json` (422, naming where); only a body that
passes both reaches the routes.

A refused body is not read any further. The HTTP server (uvicorn) discards the rest of it and
keeps the connection, so the client still reads the answer after it sent everything.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from airflow.hitl.config import get_settings
from airflow.hitl.json_limits import MAX_JSON_DEPTH, JSONProblem, JSONRefused, decode_text, parse_json

# Methods whose bodies the routes read; other bodies are only counted.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# The body and its members: how much of a too-deep value's path the 422 names (for an answer,
# ``params_input`` and the form field). The rest of that path is the same key over and over.
NAMED_LEVELS = 2


class BodyLimitsMiddleware:
    """
    ASGI middleware: bodies larger than ``max_bytes`` (default ``[hitl] max_answer_bytes``) get a
    413; bodies of POST, PUT and PATCH that are not UTF-8, and JSON ones :func:`parse_json`
    refuses, get a 422; all before ``app`` is called. A passing body is handed to ``app`` as it
    arrived.
    """

    def __init__(self, app: ASGIApp, max_bytes: int | None = None, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_bytes = get_settings().max_answer_bytes if max_bytes is None else max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope.get("headers") or []}
        declared = _content_length(headers.get(b"content-length"))
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nobody to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and scope["method"] in BODY_METHODS:
            try:
                if _is_json(headers.get(b"content-type")):
                    # In a thread: a large body takes a moment to check, the event loop serves others.
                    await run_in_threadpool(parse_json, body, self.max_depth)
                else:
                    # FastAPI refuses it as not an object and quotes it in the 422, which must be text.
                    decode_text(body)
            except JSONRefused as refused:
                await invalid_json_response(refused.problem)(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = (
            f"The request body is larger than {self.max_bytes} bytes, the most this API accepts "
            "([hitl] max_answer_bytes)"
        )
        await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)


def invalid_json_response(problem: JSONProblem) -> JSONResponse:
    """A refused JSON body as a 422 in FastAPI's shape (``detail``: a list of ``{loc, msg, type}``)."""
    path = problem.path[:NAMED_LEVELS] if problem.kind == "depth" else problem.path
    error = {
        "loc": ["body", *path],
        "msg": problem.message,
        "type": "json_invalid" if problem.kind == "syntax" else "value_error",
    }
    return JSONResponse({"detail": [error]}, status_code=422)


def _content_length(value: bytes | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:  # the HTTP server refuses such requests before they get here
        return None


def _is_json(content_type: bytes | None) -> bool:
    """Whether FastAPI parses a body of ``content_type`` as JSON: when it says JSON, or nothing."""
    if content_type is None:
        return True
    media_type = content_type.decode("latin-1").split(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` for the app: the body read here first, then whatever the server sends next."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
