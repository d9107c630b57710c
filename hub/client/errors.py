"""What the partner client raises: one base class, a problem answer, evidence that does not verify."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Anything the hub client could not do; the message names what and why."""


class ProblemError(ClientError):
    """The hub answered with an error (``application/problem+json``): status, title, detail."""

    def __init__(self, status: int, problem: dict[str, Any], url: str = "") -> None:
        self.status = status
        self.problem = problem
        self.url = url
        title = problem.get("title") or "error"
        detail = problem.get("detail") or ""
        super().__init__(f"HTTP {status} {title}: {detail}".rstrip(": ") + (f" ({url})" if url else ""))


class ReceiptError(ClientError):
    """A delivery receipt that does not verify: bad signature, unknown key, or other bytes than signed."""


class DownloadError(ClientError):
    """A resumable download that cannot go on (other parameters, or the dataset was republished)."""
