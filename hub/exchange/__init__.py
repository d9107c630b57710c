"""The exchange data path: request filters, signed cursors, query plans, output formats.

The API layer authenticates and decides; this package turns a decision and the
request into one parameterised DuckDB query over a published snapshot and
streams its result.  It never decides anything itself.
"""
