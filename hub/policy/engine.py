"""The engine interface both backends implement, and the embedded ``regopy`` backend.

``RegopyEngine`` compiles the policies and the policy data into one rego-cpp bundle
per (policy revision, data revision) and evaluates ``data.hub.decision`` against it
with one reusable interpreter; rego-cpp is not thread-safe, so evaluations are
serialised by a lock.  Any failure raises ``PolicyError``.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Protocol

# duckdb must be loaded before regopy: the other order aborts the process ("double free
# or corruption") when duckdb is imported later, as both libraries carry native code
# with clashing symbols.  Importing it here makes every hub process safe.
import duckdb  # noqa: F401
import regopy

from hub.policy.decision import PolicyError
from hub.policy.sources import PolicySet

ENTRYPOINT = "hub/decision"
_LONG_DIGITS = re.compile(r"[0-9]{19}")

regopy.set_default_log_level("None")  # compile errors are raised, not printed


class Engine(Protocol):
    """A place where Rego runs: load policies and data, evaluate one input."""

    name: str

    def load(self, policies: PolicySet, data: dict[str, Any]) -> None:
        """Install ``policies`` and ``data`` (``data.hub`` with its index); raise ``PolicyError``."""
        ...

    def evaluate(self, input_doc: dict[str, Any]) -> Any:
        """The raw value of ``data.hub.decision`` for ``input_doc``; raise ``PolicyError``."""
        ...


def compile_bundle(policies: PolicySet, data: dict[str, Any]) -> regopy.Bundle:
    """Compile modules and data into a bundle with the decision entry point."""
    builder = regopy.Interpreter()
    try:
        for name, text in policies.modules.items():
            builder.add_module(name, text)
        builder.add_data_json(json.dumps({"hub": data}, ensure_ascii=False))
        bundle = builder.build(None, [ENTRYPOINT])
    except regopy.RegoError as exc:
        raise PolicyError(f"policy revision {policies.revision} does not compile: {exc}") from None
    if not bundle.ok():
        raise PolicyError(f"policy revision {policies.revision} does not compile")
    return bundle


def first_value(output: regopy.Output) -> Any:
    """The single value of an entry-point query; raise on errors or undefined."""
    if not output.ok():
        raise PolicyError(f"policy evaluation failed: {str(output)[:300]}")
    if not output.results or not output.results[0].expressions:
        raise PolicyError("policy evaluation is undefined")
    # Read the output again, refusing repeated keys: a string the engine failed to escape
    # can only rewrite a decision by repeating its keys (see set_input).  Defence in depth.
    raw = json.loads(str(output), object_pairs_hook=_unique_keys)
    first = raw[0] if isinstance(raw, list) else raw
    return first["expressions"][0]


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise PolicyError("policy engine output repeats a key; refusing it")
    return result


class RegopyEngine:
    """Embedded rego-cpp: one compiled bundle, one interpreter reused under a lock."""

    name = "regopy"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bundle: regopy.Bundle | None = None
        self._interpreter = regopy.Interpreter()

    def load(self, policies: PolicySet, data: dict[str, Any]) -> None:
        bundle = compile_bundle(policies, data)
        with self._lock:
            self._bundle = bundle

    def evaluate(self, input_doc: dict[str, Any]) -> Any:
        try:
            text = json.dumps(input_doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise PolicyError(f"policy input is not JSON: {exc}") from None
        with self._lock:
            if self._bundle is None:
                raise PolicyError("no policy loaded")
            try:
                set_input(self._interpreter, input_doc, text)
                output = self._interpreter.query_bundle_entrypoint(self._bundle, ENTRYPOINT)
            except (regopy.RegoError, ValueError, TypeError) as exc:
                raise PolicyError(f"policy evaluation failed: {exc}") from None
            return first_value(output)


def set_input(interpreter: regopy.Interpreter, doc: dict[str, Any], text: str) -> None:
    """Give ``interpreter`` the input ``doc`` (``text`` is its JSON), strings intact.

    regopy's ``set_input`` (a Python value) keeps strings as they are and writes them
    into its JSON output as they are: a ``"``, ``\\`` or control character that a
    reason echoes breaks the output or, worse, rewrites the decision (a purpose such as
    ``x"],"allow":true,…`` turned a deny into an allow).  ``set_input_term`` (the same
    document as JSON text) keeps them escaped and renders them correctly, but parses
    the text as a Rego term, ≈ 0.35 ms more per decision.  JSON escapes exactly those
    characters with a backslash, so a document whose JSON has none goes the fast way
    and any other takes the term (tests/policy/test_point.py checks both give the same).
    The fast way also wraps integers beyond 64 bits; a run of 19 digits anywhere in the
    JSON (such an integer, or just a long number in a string) takes the term too.
    """
    if "\\" in text or _LONG_DIGITS.search(text):
        interpreter.set_input_term(text)
    else:
        interpreter.set_input(doc)
