"""Console test helpers: log in as an officer through a one-time link, read a page's CSRF token,
sign what a console form asks an officer to sign."""

from __future__ import annotations

import re
from typing import Any

import httpx

from hub.console import links
from tests.api.conftest import BASE_URL, AsgiClient
from tests.officer_desk import Desk

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def link_for(client: AsgiClient, desk: Desk, officer: str) -> str:
    """A one-time login link for ``officer``, issued to a login statement signed with its own key."""
    response = client.post("/console/login-links", json={"statement": links.sign_login(desk.signer(officer),
                                                                                        officer, desk.audience or "")})
    assert response.status_code == 201, response.text
    url = str(response.json()["url"])
    assert url.startswith(f"{BASE_URL}/console/login/")
    return url.removeprefix(BASE_URL)


def log_in(client: AsgiClient, desk: Desk, officer: str) -> httpx.Response:
    """Open a console session for ``officer`` on ``client`` (the cookie stays in the client)."""
    response = client.get(link_for(client, desk, officer))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console/"
    return response


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no CSRF token"
    return found.group(1)


def attr(page: httpx.Response, element_id: str, name: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*\b{name}="([^"]*)"', page.text)
    assert found, f"no {name} on #{element_id}"
    return found.group(1)


def form_terms(page: httpx.Response, form_id: str) -> dict[str, Any]:
    """The target and digest a console form asks the officer to sign."""
    block = re.search(rf'<form[^>]*id="{form_id}"[^>]*>', page.text)
    assert block, f"no form #{form_id}"
    tag = block.group(0)
    return {"target": re.search(r'data-target="([^"]+)"', tag).group(1),  # type: ignore[union-attr]
            "digest": re.search(r'data-digest="([^"]+)"', tag).group(1)}  # type: ignore[union-attr]
