"""Specification of ``BodyLimitsMiddleware``: bodies are counted as they arrive and refused before
the app sees them."""

from __future__ import annotations

import asyncio
import json

import pytest

from airflow.hitl.api.body_limits import BodyLimitsMiddleware

LIMIT = 100


class RecordingApp:
    """An ASGI app that reads the whole body and answers 200."""

    def __init__(self):
        self.bodies = []

    async def __call__(self, scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


class Client:
    """Sends a request in chunks; records what the server read of it and what it answered."""

    def __init__(self, chunks, headers=(), method="PATCH"):
        self.chunks = list(chunks)
        self.read = 0
        self.sent = []
        self.scope = {"type": "http", "method": method, "path": "/", "headers": list(headers)}

    async def receive(self):
        chunk = self.chunks.pop(0)
        self.read += 1
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}

    async def send(self, message):
        self.sent.append(message)

    @property
    def status(self):
        return self.sent[0]["status"]

    @property
    def body(self):
        return json.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))


@pytest.fixture
def app():
    return RecordingApp()


def call(app, client):
    asyncio.run(BodyLimitsMiddleware(app, max_bytes=LIMIT)(client.scope, client.receive, client.send))
    return client


def test_a_body_within_the_limit_reaches_the_app_unchanged(app):
    client = call(app, Client([b'{"a": ', b"[1, 2]}"]))
    assert client.status == 200
    assert app.bodies == [b'{"a": [1, 2]}']


def test_a_body_of_exactly_the_limit_is_accepted(app):
    assert call(app, Client([b" " * (LIMIT - 2) + b"{}"])).status == 200


def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_limit(app):
    client = call(
        app, Client([b"x" * 60, b"x" * 60, b"x" * 60, b"x" * 60], [(b"content-type", b"text/plain")])
    )
    assert client.status == 413
    assert client.read == 2  # the rest was never asked for
    assert "100 bytes" in client.body["detail"] and "max_answer_bytes" in client.body["detail"]
    assert app.bodies == []


def test_a_declared_length_over_the_limit_is_refused_without_reading(app):
    client = call(app, Client([b"{}"], [(b"content-length", b"5000000000")]))
    assert (client.status, client.read) == (413, 0)
    assert app.bodies == []


def test_a_declared_length_under_the_limit_is_still_counted(app):
    client = call(app, Client([b"x" * 80, b"x" * 80], [(b"content-length", b"10")]))
    assert client.status == 413


def test_nan_is_refused_with_422_naming_the_field(app):
    client = call(app, Client([b'{"params_input": {"amount": NaN}}']))
    assert client.status == 422
    assert client.body["detail"][0]["loc"] == ["body", "params_input", "amount"]
    assert app.bodies == []


def test_a_deep_value_is_named_down_to_the_form_field():
    app = RecordingApp()
    body = b'{"params_input": {"notes": ' + b"[" * 300 + b"]" * 300 + b"}}"
    client = Client([body])
    asyncio.run(BodyLimitsMiddleware(app, max_bytes=10_000)(client.scope, client.receive, client.send))
    assert client.status == 422
    [error] = client.body["detail"]
    assert error["loc"] == ["body", "params_input", "notes"]
    assert error["type"] == "value_error"


def test_bodies_that_are_not_json_are_refused_only_when_they_say_they_are(app):
    assert call(app, Client([b"not json"], [(b"content-type", b"application/json")])).status == 422
    assert (
        call(app, Client([b"not json"], [(b"content-type", b"application/merge-patch+json")])).status == 422
    )
    assert call(app, Client([b"not json"])).status == 422  # FastAPI parses bodies without a type as JSON
    assert call(app, Client([b"not json"], [(b"content-type", b"text/plain")])).status == 200


def test_a_body_that_is_not_utf8_is_refused_whatever_its_type(app):
    client = call(app, Client([b"3\xff\xfe"], [(b"content-type", b"application/x-www-form-urlencoded")]))
    assert client.status == 422
    assert client.body["detail"][0]["msg"] == "not valid UTF-8 (byte 1)"


def test_bodies_of_reads_are_counted_but_not_parsed(app):
    assert call(app, Client([b"NaN"], method="GET")).status == 200
    assert call(app, Client([b"x" * (LIMIT + 1)], method="GET")).status == 413


def test_a_client_that_leaves_mid_body_gets_no_answer(app):
    client = Client([b"x"])

    async def leaves():
        return {"type": "http.disconnect"}

    asyncio.run(BodyLimitsMiddleware(app, max_bytes=LIMIT)(client.scope, leaves, client.send))
    assert client.sent == [] and app.bodies == []


def test_other_connections_pass_through(app):
    seen = []

    async def websocket_app(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(BodyLimitsMiddleware(websocket_app, max_bytes=LIMIT)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]
