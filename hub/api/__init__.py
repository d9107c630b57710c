"""The exchange API (FastAPI): OAuth2 token endpoint, JWKS, operations, data routers.

Public surface: ``create_app`` builds the app; ``current_subject`` /
``CurrentSubject`` authenticate a request; ``metrics`` holds the shared
Prometheus registry; ``problem`` renders problem+json.
"""

from hub.api.app import create_app, token_config
from hub.api.auth import CurrentSubject, current_subject
from hub.api.context import ApiContext, Audit, get_context
from hub.api.problems import problem
from hub.identity import Subject

__all__ = ["ApiContext", "Audit", "CurrentSubject", "Subject", "create_app", "current_subject",
           "get_context", "problem", "token_config"]
