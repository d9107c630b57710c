"""The sandbox statistics API (统计联网直报): serves ``statistics/indicators.jsonl``.

``GET /api/v1/indicators?page_size=N&page_token=T[&updated_since=ISO]`` answers
``{"items": [...], "next_page_token": "..." | null}`` as in
``shared/sources/README.md``; items keep the file's order, ``updated_since``
keeps those reported at or after it (naive times are Asia/Shanghai).  Page tokens
are opaque (base64url of the offset and the filter they belong to).  A configurable
fraction of answers is 429 or 503, deterministically from a seed, so clients'
retry logic meets a real server.  ``serve_in_background`` runs it under uvicorn on
a free loopback port for ``hub run --sandbox``, ``hub demo`` and tests.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse

LOCAL = timezone(timedelta(hours=8))
MAX_PAGE = 1000


def _when(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=LOCAL)


class _Items:
    """The items of ``indicators.jsonl``, re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stamp: tuple[int, int] | None = None
        self.items: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def all(self) -> list[dict[str, Any]]:
        stat = self.path.stat() if self.path.exists() else None
        stamp = (stat.st_mtime_ns, stat.st_size) if stat else (0, 0)
        with self.lock:
            if stamp != self.stamp:
                text = self.path.read_text(encoding="utf-8") if stat else ""
                self.items = [json.loads(line) for line in text.splitlines() if line.strip()]
                self.stamp = stamp
            return self.items


def _token(offset: int, since: str | None) -> str:
    raw = json.dumps({"o": offset, "s": since}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(token: str | None, since: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError):
        raise ValueError("page_token is not a token this API issued") from None
    if data.get("s") != since or offset < 0:
        raise ValueError("page_token belongs to another query")
    return offset


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": "error", "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def create_app(sandbox_dir: Path, fail_rate: float = 0.0, seed: int = 0) -> FastAPI:
    """The API over ``sandbox_dir``; ``fail_rate`` of the answers are 429 or 503."""
    if not 0.0 <= fail_rate < 1.0:
        raise ValueError(f"fail_rate must be in [0, 1), not {fail_rate}")
    items = _Items(Path(sandbox_dir) / "statistics" / "indicators.jsonl")
    chance, chance_lock = random.Random(seed), threading.Lock()  # noqa: S311 - fault injection
    app = FastAPI(title="Sandbox statistics API (统计联网直报)", version="1")

    def injected() -> JSONResponse | None:
        with chance_lock:
            fail, which = chance.random() < fail_rate, chance.random() < 0.5
        if not fail:
            return None
        if which:
            return _problem(429, "too many requests (injected)", {"Retry-After": "0"})
        return _problem(503, "service unavailable (injected)")

    @app.get("/api/v1/indicators")
    def indicators(
        page_size: int = Query(100, ge=1, le=MAX_PAGE),
        page_token: str | None = None,
        updated_since: str | None = None,
    ) -> Any:
        failure = injected()
        if failure is not None:
            return failure
        try:
            since = _when(updated_since) if updated_since else None
            offset = _offset(page_token, updated_since)
        except ValueError as exc:
            return _problem(400, str(exc))
        rows = items.all() if since is None else [i for i in items.all() if _when(i["reported_at"]) >= since]
        page = rows[offset : offset + page_size]
        more = offset + page_size < len(rows)
        return {"items": page, "next_page_token": _token(offset + page_size, updated_since) if more else None}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@contextmanager
def serve_in_background(sandbox_dir: Path, fail_rate: float = 0.0, seed: int = 0) -> Iterator[str]:
    """Serve the API on a free loopback port in a thread; yields its base URL, stops after."""
    config = uvicorn.Config(
        create_app(sandbox_dir, fail_rate, seed),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="sandbox-statistics-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox statistics API did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
