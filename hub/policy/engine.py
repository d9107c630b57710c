"""The engine interface both backends implement, and the embedded ``regopy`` backend.

``RegopyEngine`` compiles the policies and the policy data into one rego-cpp bundle
per (policy revision, data revision) and evaluates ``data.hub.decision`` against it
with one reusable interpreter; rego-cpp is not thread-safe, so evaluations are
serialised by a lock.  Any failure raises ``PolicyError``.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Protocol

# duckdb must be loaded before regopy: the other order aborts the process ("double free
# or corruption") when duckdb is imported later, as both libraries carry native code
# with clashing symbols.  Importing it here makes every hub process safe.
import duckdb  # noqa: F401
import regopy

from hub.policy.decision import InputError, PolicyError
from hub.policy.sources import PolicySet

ENTRYPOINT = "hub/decision"

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
    return output.results[0].expressions[0]


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
        with self._lock:
            if self._bundle is None:
                raise PolicyError("no policy loaded")
            try:
                self._interpreter.set_input(input_doc)
                output = self._interpreter.query_bundle_entrypoint(self._bundle, ENTRYPOINT)
            except json.JSONDecodeError as exc:  # its output did not parse: see quoted_string
                where = quoted_string(input_doc)
                if where is not None:
                    raise InputError(f"{where} contains a double quote (\"), which the embedded "
                                     f"policy engine cannot carry") from None
                raise PolicyError(f"policy evaluation failed: {exc}") from None
            except (regopy.RegoError, ValueError, TypeError) as exc:
                raise PolicyError(f"policy evaluation failed: {exc}") from None
            return first_value(output)


def quoted_string(value: Any, path: str = "input") -> str | None:
    """Where in ``value`` a string (or object key) holds a double quote; None if nowhere.

    rego-cpp (regopy 1.5.2) writes strings into its JSON output without escaping ``"``,
    so a decision whose reasons echo such a string cannot be read back.  It is looked
    for only after an evaluation failed: the usual input costs nothing.
    """
    if isinstance(value, str):
        return path if '"' in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if '"' in str(key):
                return path
            found = quoted_string(item, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = quoted_string(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None
