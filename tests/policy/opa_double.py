"""TEST DOUBLE for the OPA server (which we do not own and cannot install here).

A small ASGI app speaking the part of OPA's REST API the hub uses —
``PUT /v1/policies/{id}``, ``PUT /v1/data/{path}``, ``POST /v1/data/{path}`` — that
evaluates with regopy (rego-cpp).  It lets the tests drive ``hub.policy.OpaEngine``
over real HTTP under uvicorn.  ``state.mode`` makes it misbehave on purpose:
``malformed`` answers a result that is not a decision, ``error`` answers HTTP 500.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb  # noqa: F401 - must precede regopy (see hub/policy/engine.py)
import regopy
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from hub.policy.engine import set_input


@dataclass
class DoubleState:
    """What the fake OPA holds: modules, the data document and a misbehaviour switch."""

    modules: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    mode: str = "normal"
    queries: int = 0
    _bundles: dict[tuple[str, str], Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def evaluate(self, path: str, input_doc: Any) -> tuple[bool, Any]:
        key = (json.dumps(self.modules, sort_keys=True), json.dumps(self.data, sort_keys=True))
        with self.lock:
            interp = regopy.Interpreter()
            bundle = self._bundles.get(key + (path,))  # type: ignore[call-overload]
            if bundle is None:
                builder = regopy.Interpreter()
                for name, text in self.modules.items():
                    builder.add_module(name, text)
                builder.add_data_json(json.dumps(self.data, ensure_ascii=False))  # strings kept escaped
                bundle = builder.build(None, [path])
                self._bundles = {key + (path,): bundle}  # type: ignore[dict-item]
            set_input(interp, input_doc, json.dumps(input_doc, ensure_ascii=False, separators=(",", ":")))
            out = interp.query_bundle_entrypoint(bundle, path)
        if not out.ok() or not out.results or not out.results[0].expressions:
            return False, None
        return True, out.results[0].expressions[0]


def _set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = [p for p in path.split("/") if p]
    for part in parts[:-1]:
        doc = doc.setdefault(part, {})
    doc[parts[-1]] = value


def make_app(state: DoubleState) -> FastAPI:
    """The fake OPA REST API over ``state``."""
    app = FastAPI()

    @app.put("/v1/policies/{policy_id:path}")
    async def put_policy(policy_id: str, request: Request) -> JSONResponse:
        text = (await request.body()).decode()
        try:
            regopy.Interpreter().add_module(policy_id, text)
        except regopy.RegoError as exc:
            return JSONResponse({"code": "invalid_parameter", "message": str(exc)[:500]}, status_code=400)
        state.modules[policy_id] = text
        return JSONResponse({})

    @app.put("/v1/data/{path:path}")
    async def put_data(path: str, request: Request) -> Response:
        _set_path(state.data, path, await request.json())
        return Response(status_code=204)

    @app.post("/v1/data/{path:path}")
    async def query(path: str, request: Request) -> JSONResponse:
        state.queries += 1
        if state.mode == "error":
            return JSONResponse({"code": "internal_error", "message": "boom"}, status_code=500)
        if state.mode == "malformed":
            return JSONResponse({"result": {"allow": "yes"}})
        body = await request.json()
        ok, value = state.evaluate(path, body.get("input"))
        return JSONResponse({"result": value} if ok else {})

    return app


class DoubleServer:
    """The double under uvicorn on a loopback port, in a background thread."""

    def __init__(self) -> None:
        self.state = DoubleState()
        config = uvicorn.Config(make_app(self.state), host="127.0.0.1", port=0, log_level="warning",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("OPA test double did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
