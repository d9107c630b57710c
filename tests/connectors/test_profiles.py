"""Source profiles: sandbox defaults, hub.yaml with ${ENV} secrets, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors import ConnectorConfigError
from connectors.kinds.sql import mask_url
from connectors.profiles import finance, load_profiles
from hub.settings import Settings


def test_defaults_point_at_the_sandbox(settings: Settings, sandbox: Path) -> None:
    sources = {s.name: s for s in load_profiles(settings, statistics_url="http://127.0.0.1:9")}
    assert sorted(sources) == ["audit", "finance", "state_assets", "statistics"]
    assert [r.name for r in sources["state_assets"].resources] == [
        "enterprise",
        "asset_disposal",
        "major_decision",
    ]
    assert sources["audit"].resource("findings").primary_key == ("finding_id",)


def test_hub_yaml_substitutes_env_and_hides_secrets(
    settings: Settings, sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIN_DB_PASSWORD", "s3cret-pw")
    (settings.home / "hub.yaml").write_text(
        "sources:\n"
        "  finance: {url: 'postgresql+psycopg://hub:${FIN_DB_PASSWORD}@db.example/finance'}\n"
        "  extra_db: {connector: sql, url: 'sqlite:///x.sqlite', tables: [{name: t, columns: {id: bigint},"
        " primary_key: [id]}]}\n",
        encoding="utf-8",
    )
    sources = {s.name: s for s in load_profiles(settings)}
    assert [r.name for r in sources["extra_db"].resources] == ["t"]
    config = finance.validate_config({"url": "postgresql+psycopg://hub:s3cret-pw@db.example/finance"})
    assert "s3cret-pw" not in repr(config) and "s3cret-pw" not in str(config)
    assert (
        mask_url("postgresql+psycopg://hub:s3cret-pw@db.example/finance")
        == "postgresql+psycopg://hub:***@db.example/finance"
    )


def test_missing_env_and_bad_yaml_are_named(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    (settings.home / "hub.yaml").write_text(
        "sources:\n  finance: {url: '${NOT_SET_ANYWHERE}'}\n", encoding="utf-8"
    )
    with pytest.raises(ConnectorConfigError, match=r"\$\{NOT_SET_ANYWHERE\}, which is not set"):
        load_profiles(settings)
    (settings.home / "hub.yaml").write_text("sources:\n  mystery: {url: x}\n", encoding="utf-8")
    with pytest.raises(ConnectorConfigError, match="source `mystery` needs `connector: NAME`"):
        load_profiles(settings)


def test_unreachable_database_error_masks_the_password(tmp_path: Path) -> None:
    from connectors import SourceUnavailable
    from hub.warehouse import ingest_resource

    url = "postgresql+psycopg://hub:s3cret-pw@127.0.0.1:1/finance"
    source = finance.build({"url": url})
    with pytest.raises(SourceUnavailable) as caught:
        ingest_resource(tmp_path / "w.duckdb", source, "payroll", None, "r")
    assert "s3cret-pw" not in str(caught.value)
