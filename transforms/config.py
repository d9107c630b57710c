"""SQLMesh project config for the ``sqlmesh`` CLI (``sqlmesh -p transforms test``).

The hub builds the same config in ``hub.transform.build_config``; here it is read
from the environment: ``HUB_WAREHOUSE`` (DuckDB file; default
``$HUB_HOME/warehouse.duckdb``), ``HUB_PG_URL`` (adds the ``postgres`` gateway),
``HUB_SQLMESH_STATE`` (a separate DuckDB state file; default: in the warehouse),
``HUB_AS_OF`` (the ``as_of`` variable; default today).
"""

from __future__ import annotations

import os
from pathlib import Path

from hub.transform import build_config

_home = Path(os.environ.get("HUB_HOME", ".hub"))
_state = os.environ.get("HUB_SQLMESH_STATE")
_as_of = os.environ.get("HUB_AS_OF")

config = build_config(
    Path(os.environ.get("HUB_WAREHOUSE", str(_home / "warehouse.duckdb"))),
    pg_url=os.environ.get("HUB_PG_URL") or None,
    state_path=Path(_state) if _state else None,
    variables={"as_of": _as_of} if _as_of else None,
)
