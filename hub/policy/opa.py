"""The OPA server backend (``HUB_OPA_URL``), through ``opa-python-client``.

On ``load`` the policies are pushed with ``PUT /v1/policies/<name>`` (when their
revision changed) and each key of the policy data with ``PUT /v1/data/hub/<key>``; a decision is
``POST /v1/data/hub/decision``.  Connection errors, timeouts, HTTP errors and
answers without a result raise ``PolicyError``, which the decision point turns into
a deny (fail closed).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from opa_client.opa import OpaClient

from hub.policy.decision import PolicyError
from hub.policy.sources import PolicySet

POLICY_PREFIX = "huitong"


def client_for(url: str, timeout_s: float) -> OpaClient:
    """An ``OpaClient`` for ``http(s)://host:port``; one retry, bounded timeout."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise PolicyError(f"HUB_OPA_URL `{url}` is not an http(s)://host:port URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return OpaClient(host=parts.hostname, port=port, ssl=parts.scheme == "https", timeout=timeout_s,
                     retries=0)


class OpaEngine:
    """Decisions from an OPA server, fed the same policies and data as the embedded engine."""

    name = "opa"

    def __init__(self, url: str, timeout_s: float = 2.0) -> None:
        self.url = url
        self._client = client_for(url, timeout_s)
        self._pushed_revision = ""
        #: set after a failed query: the server may have restarted empty, so the decision
        #: point pushes policies and data again before the next decision.
        self.stale = False

    def load(self, policies: PolicySet, data: dict[str, Any]) -> None:
        try:
            if policies.revision != self._pushed_revision:
                self._pushed_revision = ""
                for name, text in sorted(policies.modules.items()):
                    policy_id = f"{POLICY_PREFIX}/{name.removesuffix('.rego')}"
                    self._client.update_policy_from_string(text, policy_id, rego_compat=False)
                self._pushed_revision = policies.revision
            for key, value in sorted(data.items()):
                self._client.update_or_create_data(value, f"hub/{key}")
            self.stale = False
        except Exception as exc:  # noqa: BLE001 - any client failure is an unavailable engine
            raise PolicyError(f"cannot load policies into OPA at {self.url}: {exc}") from None

    def evaluate(self, input_doc: dict[str, Any]) -> Any:
        try:
            answer = self._client.query_rule(input_doc, "hub", "decision")
        except Exception as exc:  # noqa: BLE001 - connection, timeout, HTTP error, bad JSON
            self._fail()
            raise PolicyError(f"OPA at {self.url} failed: {exc}") from None
        if not isinstance(answer, dict) or "result" not in answer:
            self._fail()
            raise PolicyError(f"OPA at {self.url} returned no result")
        return answer["result"]

    def _fail(self) -> None:
        self.stale, self._pushed_revision = True, ""

    def close(self) -> None:
        self._client.close_connection()
