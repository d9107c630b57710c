"""Fixtures for the console tests: a pipeline-built world (partners, officers holding their own
keys, grants approved by two signed statements) and the real app that serves the console."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import BASE_URL, AsgiClient
from tests.api.exchange_world import World, build_world


@pytest.fixture(scope="session", autouse=True)
def _pipeline_before_the_browser(request: pytest.FixtureRequest) -> None:
    """Run the session's pipeline before Playwright starts: the sync API installs an event loop in
    the main thread, and the pipeline's libraries must not run under it."""
    if not os.environ.get("HUB_TEST_PIPELINE_HOME"):
        request.getfixturevalue("pipeline_output")


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A per-module copy of the session pipeline output with partners, officers and approved grants."""
    src = os.environ.get("HUB_TEST_PIPELINE_HOME")
    home = Path(src) if src else request.getfixturevalue("pipeline_output").home
    built = build_world(home, tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "home")
    yield built
    built.close()


@pytest.fixture(scope="module")
def app(world: World) -> Any:
    return world.app(public_url=BASE_URL)


@pytest.fixture
def client(app: Any) -> Iterator[AsgiClient]:
    with AsgiClient(app) as asgi_client:
        yield asgi_client


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright drives Debian's chromium (Playwright's own browser download cannot work here).

    ``.ci/run`` installs it and sets ``HUB_REQUIRE_CHROMIUM=1``, so in CI a missing browser fails."""
    if not CHROMIUM.exists():
        if os.environ.get("HUB_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """Playwright for one module only (overrides pytest-playwright's session-wide one).

    The sync API installs an event loop in the main thread while it runs; kept for the whole
    session it would sit under every later test that runs the pipeline (Dagster, SQLMesh)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Any, browser_type_launch_args: dict[str, Any]) -> Iterator[Any]:
    """Debian's chromium, launched with the arguments above, for one module."""
    launched = playwright.chromium.launch(**browser_type_launch_args)
    yield launched
    launched.close()
