"""This hub's id (节点标识): the audience (``aud``) every officer statement is bound to.

An officer whose key is enrolled at two hubs (a province and a county of one
federation) signs each statement for one of them; the other refuses it
(``hub.statements.check_claims``).  The id is a random ``hub-<32 hex>`` made once by
migration 0016 and kept in the metadata store: it does not change with the hub's URL
or its federation name, and a store without it fails closed.  ``renew`` gives a copy of
a HUB_HOME (a second hub made by copying the first) an id of its own.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.errors import Unavailable
from hub.store.models import HubIdentity


class HubIdMissing(Unavailable):
    """The metadata store names no hub (its schema predates migration 0016, or the row was deleted)."""


def hub_id(session: Session) -> str:
    """This hub's id; ``HubIdMissing`` if the store has none (statements are then refused)."""
    found = list(session.scalars(select(HubIdentity.id).limit(2)))
    if len(found) != 1:
        raise HubIdMissing("the metadata store names no single hub id (table hub_identity, migration 0016): "
                           "no officer statement can be accepted; bring the schema up to date")
    return found[0]


def renew(session: Session, now: datetime | None = None) -> str:
    """Give this store a new hub id (for a HUB_HOME copied to make another hub); statements signed
    for the old id are refused from then on."""
    session.execute(delete(HubIdentity))
    new = f"hub-{secrets.token_hex(16)}"
    session.add(HubIdentity(id=new, created_at=now or datetime.now(UTC)))
    session.flush()
    return new
