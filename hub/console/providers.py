"""Login providers (登录方式): how an officer proves who it is before a console session opens.

The pages never ask how someone logged in: a provider turns a proof into an enrolled,
active ``Officer`` and the console opens a session for it (``hub.console.sessions``).
Today there is one provider, ``OfficerStatementLogin``: a one-time link issued to a
login statement signed with the officer's own key (``hub.console.links``).  An
organisation's identity provider (OIDC) is added later as another provider with its
own routes (``/console/login/oidc/...``: redirect, callback, map the verified ``sub``
to an enrolled officer); it must never open a session for anyone who is not an
enrolled, active officer, and partners are never officers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from hub.console import links
from hub.store.models import Officer


class LoginProvider(Protocol):
    """One way of logging in to the console."""

    name: str  # stored with the session (``console_sessions.provider``)

    def hint(self, lang: str) -> str:
        """What the login page tells an officer about this way of logging in."""
        ...


@dataclass(frozen=True)
class OfficerStatementLogin:
    """A one-time link issued to a login statement signed with the officer's own key."""

    secret: bytes
    name: str = "officer-statement"

    def hint(self, lang: str) -> str:
        if lang == "en":
            return ("Sign a login request with your own officer key: `hub console login --key PATH` "
                    "(or --pkcs11 URI) prints a one-time link, valid 5 minutes, for one visit.")
        return ("用您本人的安全员密钥签名登录请求：运行 `hub console login --key 密钥文件`（或 --pkcs11 URI），"
                "命令输出一次性登录链接，5 分钟内有效，仅可使用一次。")

    def redeem(self, session: Session, token: str, now: datetime) -> Officer:
        """The officer the one-time link ``token`` opens a session for (used up)."""
        return links.redeem(session, token, secret=self.secret, now=now)
