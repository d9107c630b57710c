"""Huitong (汇通): gathers supervision data from other departments' systems and
connects it to partner platforms, under policy.

The ``hub`` package is the application: settings, metadata store, CLI, exchange
API, policy decision point, masking, audit, crypto, Dagster definitions, sandbox.
"""

# regopy (rego-cpp) imported before duckdb crashes the process ("double free");
# importing duckdb first, here, makes every import path safe.
import duckdb  # noqa: F401  E402

__version__ = "0.1.0"
