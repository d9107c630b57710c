"""Errors of the federation package: one base, subclasses naming what was refused and why."""

from __future__ import annotations

from hub.errors import Conflict, HubError


class FederationError(HubError):
    """Base of every error ``hub.federation`` raises on purpose."""

    status = 400
    title = "federation error"


class IdentityMissing(FederationError):
    """This hub has no federation identity yet."""

    status = 409
    title = "no federation identity"


class PackageRefused(FederationError):
    """A model package that may not join this hub; the message says which check failed."""

    title = "model package refused"


class PublisherRefused(PackageRefused):
    """A package or revocation signed by a hub that is not a trusted publisher here."""

    status = 403
    title = "unknown model publisher"


class ModelConflict(Conflict):
    """The model name is taken here (a local model, or another publisher's package)."""

    title = "model name taken"
