"""The alert webhook: queued with the alert, POSTed to a real local receiver that fails the first
tries, retried with backoff, the same signed body every time."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from sqlalchemy import select

from hub.awareness import Webhook, webhook_from_settings
from hub.awareness.notify import SIGNATURE_HEADER
from hub.settings import load_settings
from hub.store.models import AlertNotification
from tests.awareness.conftest import Hub

SECRET = b"shared-with-the-messaging-system"


@dataclass
class Receiver:
    """A local HTTP receiver (uvicorn on port 0) that answers 503 to the first ``failures`` posts."""

    failures: int
    posts: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(failures=2)
    app = FastAPI()

    @app.post("/hooks/alerts")
    async def hook(request: Request) -> Response:
        state.posts.append((await request.body(), dict(request.headers)))
        return Response(status_code=503 if len(state.posts) <= state.failures else 204)

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    state.url = f"http://127.0.0.1:{port}/hooks/alerts"
    yield state
    server.should_exit = True
    thread.join(10)


def test_the_webhook_is_retried_until_the_receiver_takes_it(hub: Hub, receiver: Receiver,
                                                             request: pytest.FixtureRequest) -> None:
    for _ in range(25):
        hub.deny("partner:p1")
    hub.scanner(webhook_min_severity="high").run_once(check_state=False)
    waits: list[float] = []
    webhook = Webhook(receiver.url, SECRET, attempts=5, backoff_s=0.5, sleep=waits.append)
    request.addfinalizer(webhook.close)
    assert webhook.deliver(hub.store) == 1
    assert len(receiver.posts) == 3 and waits == [0.5, 1.0]  # two failures, backoff doubling
    bodies = {body for body, _ in receiver.posts}
    assert len(bodies) == 1  # the same message every time
    body, headers = receiver.posts[-1]
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER.lower()] == expected
    assert len({h["x-hub-delivery"] for _, h in receiver.posts}) == 1
    message = json.loads(body)
    assert message["event"] == "alert.new" and message["alert"]["kind"] == "denial_burst"
    assert message["alert"]["subject"] == "partner:p1"
    with hub.store.session() as session:
        note = session.scalars(select(AlertNotification)).one()
        assert note.delivered_at is not None and note.attempts == 3
    assert webhook.deliver(hub.store) == 0  # delivered once, never again


def test_a_receiver_that_never_answers_well_is_given_up_on_and_recorded(hub: Hub, receiver: Receiver) -> None:
    receiver.failures = 99
    for _ in range(25):
        hub.deny("partner:p2")
    hub.scanner(webhook_min_severity="high").run_once(check_state=False)
    with Webhook(receiver.url, SECRET, attempts=3, backoff_s=0, sleep=lambda _s: None) as webhook:
        assert webhook.deliver(hub.store) == 0
    with hub.store.session() as session:
        note = session.scalars(select(AlertNotification)).one()
        assert note.failed_at is not None and note.attempts == 3 and note.last_error == "HTTP 503"


def test_only_alerts_at_the_minimum_severity_are_sent(hub: Hub) -> None:
    for _ in range(25):
        hub.deny("partner:p1")  # high
    hub.scanner(webhook_min_severity="critical").run_once(check_state=False)
    with hub.store.session() as session:
        assert session.scalars(select(AlertNotification)).all() == []


def test_webhook_settings(tmp_path: Any) -> None:
    assert webhook_from_settings(load_settings(home=tmp_path)) is None
    hook = webhook_from_settings(load_settings(home=tmp_path, awareness_webhook_url="https://im.example/hook",
                                               awareness_webhook_secret="s3cret", awareness_webhook_attempts=7))
    assert hook is not None and hook.secret == b"s3cret" and hook.attempts == 7
    hook.close()
