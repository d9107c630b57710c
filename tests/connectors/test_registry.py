"""Discovery through the ``hub.connectors`` entry points; a broken plugin warns, never crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors import ConnectorNotFound
from connectors.registry import PluginWarning, discover, get_connector

BUILTIN = {"sql", "rest", "files", "finance", "state_assets", "audit", "statistics"}


def _install_plugin(site: Path, name: str, target: str) -> None:
    """A real installed distribution (dist-info on sys.path) declaring one entry point."""
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[hub.connectors]\n{name} = {target}\n", encoding="utf-8")


def test_builtins_register_as_entry_points() -> None:
    found = discover()
    assert set(found) >= BUILTIN
    assert [r.name for r in found["finance"].build({"url": "sqlite://"}).resources] == [
        "budget_unit",
        "payroll",
        "subsidy_payment",
        "treasury_payment",
        "revenue_receipt",
    ]


def test_broken_plugins_warn_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_plugin(tmp_path, "broken_import", "no_such_module_xyz:connector")
    (tmp_path / "not_a_connector_mod.py").write_text("thing = 42\n", encoding="utf-8")
    _install_plugin(tmp_path, "not_a_connector", "not_a_connector_mod:thing")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(PluginWarning) as caught:
        found = discover()
    messages = sorted(str(w.message) for w in caught)
    assert "`broken_import` failed to load: ModuleNotFoundError" in messages[0]
    assert "`not_a_connector` failed to load" in messages[1] and "not a connector" in messages[1]
    assert set(found) >= BUILTIN and "broken_import" not in found


def test_unknown_connector_is_named() -> None:
    with pytest.raises(ConnectorNotFound, match="no installed connector `nope`"):
        get_connector("nope")
