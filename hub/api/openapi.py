"""The OpenAPI document (``/openapi.json``): FastAPI's, completed into the contract partners build on.

FastAPI derives paths, parameters and models from the routes; this module adds what a
generator or a partner engineer needs and FastAPI cannot know:

* security schemes — ``bearer`` (the EdDSA access token) and ``clientCredentials``
  (OAuth2 client credentials authenticated by a ``private_key_jwt`` assertion) — on
  every operation that needs a caller;
* every error answer as ``application/problem+json`` with the ``Problem`` schema and an
  example (400 replaces FastAPI's 422: the hub answers bad input with 400), with
  ``Retry-After`` on 429/503 and ``WWW-Authenticate`` on 401;
* the media type of each ``format`` of the data endpoints, with the ``format`` enum;
* ``X-Hub-Request-Id`` on every answer, and examples;
* short operation ids (the route names), so generated clients read well.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from hub.api.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from hub.api.problems import problem_type

ERRORS = {
    400: "a parameter or body field is wrong; `detail` (and `errors`) name it",
    401: "no valid access token (at /oauth/token: the client assertion was refused); get a new one",
    403: "denied by policy; `reasons` lists why",
    404: "no such resource available to you",
    409: "the resource is not in a state that allows this",
    410: "the requested version is retired",
    413: "the request body is too large",
    429: "too many requests; retry after `Retry-After` seconds",
    431: "the request's header section is too large",
    500: "internal error (logged; no detail is given out)",
    503: "a service the hub depends on (metadata store, policy point, audit log) is unavailable; "
         "nothing was delivered; retry after `Retry-After` seconds",
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem", "type": "object", "required": ["type", "title", "status", "detail"],
    "description": "RFC 9457 problem details; `detail` names what is wrong.",
    "properties": {
        "type": {"type": "string", "description": "a stable URN naming the kind of problem",
                 "examples": ["urn:hub:problem:forbidden"]},
        "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
        "reasons": {"type": "array", "items": {"type": "string"}, "description": "403: why the policy denied"},
        "errors": {"type": "array", "description": "400: each bad parameter",
                   "items": {"type": "object", "properties": {"parameter": {"type": "string"},
                                                              "message": {"type": "string"}}}},
        "error": {"type": "string", "description": "401: the OAuth error code (invalid_client, invalid_token)"},
    },
    "additionalProperties": True,
}
REQUEST_ID = {"description": "this request's id (also in the audit log and the receipt)", "schema": {"type": "string"}}
RETRY_AFTER = {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
CHALLENGE = {"description": 'Bearer realm="hub"[, error="invalid_token"]', "schema": {"type": "string"}}
DATA_FORMATS = {
    "json": ("application/json", "one document: the rows and the next cursor"),
    "ndjson": ("application/x-ndjson", "one JSON object per line"),
    "csv": ("text/csv", "UTF-8 CSV with a header line"),
    "parquet": ("application/vnd.apache.parquet", "one Parquet file (zstd)"),
    "arrow": ("application/vnd.apache.arrow.stream", "an Arrow IPC stream"),
}
ROW_EXAMPLE = {"payment_id": 24, "recipient_name": "韩*", "recipient_id_number": "ps_a7d66b8c095b5e9bd3c86e2f",
               "recipient_phone": "188****2674", "township_code": "330106102", "amount": 1356.28}
TOKEN_EXAMPLE = {"access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6InRva2VuLTAxIn0.eyJzdWIiOiJwYXJ0bmVyOmh6LXhpaHUtanci"
                 "fQ.c2lnbmF0dXJl", "token_type": "Bearer", "expires_in": 600}


def _problem_example(status: int) -> dict[str, Any]:
    title = {400: "invalid request", 401: "unauthorized", 403: "forbidden", 404: "not found",
             503: "service unavailable"}.get(status, "error")
    detail = {400: "filter on `amount` (op `gt`): the value does not parse as DECIMAL(12,2)",
              401: "the access token has expired",
              403: "no grant covers dataset `finance.payroll` for purpose `case-verification`",
              404: "no dataset `finance.nonexistent` is available for exchange",
              503: "a service the hub depends on is unavailable; retry later"}.get(status, ERRORS.get(status, ""))
    example: dict[str, Any] = {"type": problem_type(title), "title": title, "status": status, "detail": detail}
    if status == 403:
        example["reasons"] = ["no grant covers this dataset for this purpose"]
    return example


def _error_response(status: int, existing: dict[str, Any]) -> dict[str, Any]:
    headers = {"X-Hub-Request-Id": REQUEST_ID}
    if status in (429, 503):
        headers["Retry-After"] = RETRY_AFTER
    if status == 401:
        headers["WWW-Authenticate"] = CHALLENGE
    description = existing.get("description") or ERRORS.get(status, "error")
    return {"description": description.replace(" (problem+json)", ""), "headers": {**existing.get("headers", {}),
                                                                                  **headers},
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"},
                                             "example": _problem_example(status)}}}


def _data_success(response: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for fmt, (media, what) in DATA_FORMATS.items():
        if fmt == "json":
            content[media] = {"schema": {"$ref": "#/components/schemas/RowsPage"},
                              "example": {"rows": [ROW_EXAMPLE], "next_cursor": "eyJrIjpbMjRdLCJ2IjoidjEifQ"}}
        elif fmt == "ndjson":
            content[media] = {"schema": {"type": "string", "description": f"format={fmt}: {what}"},
                              "example": '{"payment_id":24,"recipient_name":"韩*","amount":1356.28}\n'}
        elif fmt == "csv":
            content[media] = {"schema": {"type": "string", "description": f"format={fmt}: {what}"},
                              "example": '"payment_id","recipient_name","amount"\n24,"韩*",1356.28\n'}
        else:
            content[media] = {"schema": {"type": "string", "format": "binary",
                                         "description": f"format={fmt}: {what}"}}
    return {**response, "content": content,
            "description": "the page, in the media type of `format`: " + ", ".join(
                f"{fmt} → {media}" for fmt, (media, _) in DATA_FORMATS.items())}


def _complete_operation(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    secured = any("bearer" in req for req in operation.get("security", []))
    if secured:
        operation["security"] = [{"bearer": []}, {"clientCredentials": []}]
        responses.setdefault("401", {"description": ERRORS[401]})
    if operation.get("parameters") or operation.get("requestBody"):
        responses.setdefault("400", {"description": ERRORS[400]})
    responses.setdefault("503", {"description": ERRORS[503]})
    for code, response in list(responses.items()):
        if code.isdigit() and int(code) >= 400:
            responses[code] = _error_response(int(code), response)
        else:
            response.setdefault("headers", {}).setdefault("X-Hub-Request-Id", REQUEST_ID)
    if path.endswith(("/rows", "/changes")) and "200" in responses:
        responses["200"] = _data_success(responses["200"])
        for parameter in operation.get("parameters", []):
            if parameter.get("name") == "format":
                parameter["schema"] = {**parameter.get("schema", {}), "enum": list(DATA_FORMATS)}
    if path == "/oauth/token" and "200" in responses:
        for media in responses["200"].get("content", {}).values():
            media["example"] = TOKEN_EXAMPLE


def _short_ids(schema: dict[str, Any]) -> None:
    """Operation ids become route names (``rows``, ``token``) where those are unique.

    FastAPI's default id is the route name followed by the path and method with every
    non-word character made ``_``; that tail is cut off again.
    """
    renamed: dict[int, str] = {}
    operations = [(path, method, op) for path, item in schema.get("paths", {}).items()
                  for method, op in item.items() if isinstance(op, dict) and op.get("operationId")]
    for path, method, op in operations:
        tail = re.sub(r"\W", "_", path) + "_" + method
        if op["operationId"].endswith(tail) and len(op["operationId"]) > len(tail):
            renamed[id(op)] = op["operationId"][: -len(tail)]
    if len(set(renamed.values())) == len(operations):
        for _, _, op in operations:
            op["operationId"] = renamed[id(op)]


def _security_schemes(components: dict[str, Any]) -> None:
    schemes = components.setdefault("securitySchemes", {})
    schemes["bearer"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                         "description": "EdDSA access token from POST /oauth/token (keys: /.well-known/jwks.json)"}
    schemes["clientCredentials"] = {
        "type": "oauth2",
        "description": "OAuth2 client credentials; the client authenticates with `private_key_jwt` (RFC 7523): "
                       "form fields `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` "
                       "and `client_assertion`, a JWT signed with the client's registered Ed25519 (EdDSA) or "
                       "P-256 (ES256) key: iss = sub = client id, aud = the token URL, exp at most 5 minutes "
                       "ahead, a unique jti. No client secret exists.",
        "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}}},
        "x-token-endpoint-auth-methods-supported": ["private_key_jwt"],
    }


def build(app: FastAPI) -> dict[str, Any]:
    """The completed OpenAPI document of ``app`` (cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
    components = schema.setdefault("components", {})
    _security_schemes(components)
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    schemas["RowsPage"] = {"title": "RowsPage", "type": "object", "required": ["rows", "next_cursor"],
                           "properties": {"rows": {"type": "array", "items": {"type": "object",
                                                                               "additionalProperties": True}},
                                          "next_cursor": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            if isinstance(operation, dict):
                _complete_operation(path, operation)
    _short_ids(schema)
    app.openapi_schema = schema
    return schema
