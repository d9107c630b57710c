"""Fixtures for the policy tests: the OPA test double under uvicorn."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

# test_cli imports hub.cli, which imports catalog → jieba; jieba 0.42 has invalid escape
# sequences that fail under filterwarnings=error when compiled without a .pyc (as
# tests/catalog/conftest.py does too).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    import jieba  # noqa: F401
    import jieba.posseg  # noqa: F401

from tests.policy.opa_double import DoubleServer


@pytest.fixture(scope="session")
def opa_double() -> Iterator[DoubleServer]:
    """A running OPA-compatible TEST DOUBLE (see opa_double.py); its URL is ``.url``."""
    server = DoubleServer()
    server.url = server.start()  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def double_url(opa_double: DoubleServer) -> Iterator[str]:
    """The double's URL, reset to normal behaviour after the test."""
    yield opa_double.url  # type: ignore[attr-defined]
    opa_double.state.mode = "normal"
