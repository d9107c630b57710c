"""Catalog test set-up: import jieba once with its own escape-sequence warnings silenced.

jieba 0.42 has invalid escape sequences in its regexes; compiling it under
``filterwarnings = error`` would fail the import.  Importing it here first, with
the warning ignored, compiles it once (see the report for the pyproject filter).
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", SyntaxWarning)
    import jieba  # noqa: F401
    import jieba.posseg  # noqa: F401
