"""The provider registry (提供方): departments are registered in the store, not coded.

A connector declares its provider (``connectors.Provider``); the hub registers a
declared provider the first time it meets it — when a source of it is ingested, or
when an owner officer is enrolled for it — with an audit event, the same way for the
built-in profiles as for a plugin.  ``hub provider add`` registers one by hand (for
a source of a generic kind configured in ``hub.yaml``).  A registered provider is
never overwritten by a later declaration: the store is the record.

Who reads it: the catalog (a schema that is a provider code is a published source
layer; the provider's default level grades its non-personal columns), officer
enrolment (an owner officer speaks for a registered provider) and the workflow.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.provider import Provider
from connectors.sdk import Source
from hub.errors import BadRequest, Conflict, NotFound
from hub.events import PROVIDER_REGISTERED, AuditEvent, EventSink
from hub.store.models import DataProvider, Officer


class UnknownProvider(NotFound):
    """No registered provider has this code; the message lists the registered ones."""

    title = "unknown provider"


def declared() -> dict[str, tuple[str, Provider]]:
    """Providers the installed connectors declare: code → (connector, declaration)."""
    from connectors.registry import discover

    found: dict[str, tuple[str, Provider]] = {}
    for name, cdef in discover().items():
        if cdef.provider is not None:
            found.setdefault(cdef.provider.code, (name, cdef.provider))
    return found


def make(code: str, name_zh: str, name_en: str = "", default_level: int = 2) -> Provider:
    """A validated provider declaration; ``BadRequest`` naming the field otherwise."""
    try:
        return Provider(code=code, name_zh=name_zh, name_en=name_en, default_level=default_level)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'provider'}: {e['msg']}" for e in exc.errors())
        raise BadRequest(f"provider `{code}`: {problems}", provider=code) from None


def register(session: Session, sink: EventSink, provider: Provider, by: str) -> DataProvider:
    """Register ``provider``; ``Conflict`` when its code is taken."""
    if session.get(DataProvider, provider.code) is not None:
        raise Conflict(f"provider `{provider.code}` is already registered", provider=provider.code)
    row = DataProvider(code=provider.code, name_zh=provider.name_zh, name_en=provider.name_en,
                       default_level=provider.default_level, registered_by=by, created_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    sink(session, AuditEvent(PROVIDER_REGISTERED, subject=by, action="register", decision="ok",
                             details={"provider": provider.code, "name_zh": provider.name_zh,
                                      "default_level": provider.default_level}))
    return row


def ensure(session: Session, sink: EventSink, provider: Provider, by: str) -> DataProvider:
    """The registered provider of ``provider.code``, registering the declaration if it is new."""
    row = session.get(DataProvider, provider.code)
    return row if row is not None else register(session, sink, provider, by)


def sync_declared(session: Session, sink: EventSink) -> list[str]:
    """Register every provider an installed connector declares and the store lacks; their codes."""
    added = []
    for code, (connector, provider) in sorted(declared().items()):
        if session.get(DataProvider, code) is None:
            register(session, sink, provider, f"connector:{connector}")
            added.append(code)
    return added


def for_source(session: Session, sink: EventSink, source: Source) -> DataProvider:
    """The provider of ``source``: its declaration registered if new, or a registered code."""
    if source.declared_provider is not None:
        return ensure(session, sink, source.declared_provider, f"connector:{source.connector}")
    return require(session, source.provider, sink)


def get(session: Session, code: str) -> DataProvider | None:
    return session.get(DataProvider, code)


def require(session: Session, code: str, sink: EventSink | None = None) -> DataProvider:
    """The registered provider ``code``; one an installed connector declares is registered now when
    ``sink`` is given; ``UnknownProvider`` otherwise."""
    row = session.get(DataProvider, code)
    if row is None and sink is not None and code in (found := declared()):
        connector, provider = found[code]
        row = register(session, sink, provider, f"connector:{connector}")
    if row is None:
        known = ", ".join(p.code for p in all_providers(session)) or "none yet"
        raise UnknownProvider(f"provider `{code}` is not registered (registered: {known}); "
                              f"register it with `hub provider add {code} --name-zh …`", provider=code)
    return row


def all_providers(session: Session) -> list[DataProvider]:
    return list(session.scalars(select(DataProvider).order_by(DataProvider.code)))


def codes(session: Session) -> set[str]:
    """The registered provider codes."""
    return set(session.scalars(select(DataProvider.code)))


def owners(session: Session, code: str) -> list[str]:
    """The active owner officers (数据负责人) who speak for provider ``code``."""
    return list(session.scalars(select(Officer.id).where(Officer.role == "owner", Officer.owner_of == code,
                                                         Officer.active.is_(True)).order_by(Officer.id)))
