"""The resource directory (数据资源目录): entries, classification, levels, redaction.

PII detection lives in :mod:`catalog.pii` (engine), :mod:`catalog.recognizers`,
:mod:`catalog.classify` and :mod:`catalog.redact`.  They are re-exported lazily
(PEP 562) so importing the package does not load Presidio, spaCy and jieba until
one of them is used.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Entity": "catalog.pii",
    "scan": "catalog.pii",
    "analyzer": "catalog.pii",
    "ENTITY_TYPES": "catalog.recognizers",
    "ColumnClass": "catalog.classify",
    "classify_column": "catalog.classify",
    "dataset_level": "catalog.classify",
    "redact_text": "catalog.redact",
    "redact_texts": "catalog.redact",
    "redact_column": "catalog.redact",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'catalog' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
