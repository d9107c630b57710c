"""The configured sources: defaults from the sandbox, hub.yaml adds and overrides, never drops silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors import ConnectorConfigError, Provider
from connectors.sdk import SandboxEnv
from connectors.sources import effective_sources, load_sources
from hub.settings import Settings

EXTRA = ("  extra_db: {connector: sql, url: 'sqlite:///x.sqlite', provider: city,"
         " tables: [{name: t, columns: {id: bigint}, primary_key: [id]}]}\n")


def _env(sandbox: Path) -> SandboxEnv:
    return SandboxEnv(sandbox.resolve(), "http://127.0.0.1:9")


def _yaml(settings: Settings, text: str) -> None:
    (settings.home / "hub.yaml").write_text("sources:\n" + text, encoding="utf-8")


def test_without_hub_yaml_the_four_defaults_read_the_sandbox(settings: Settings, sandbox: Path) -> None:
    found = {c.name: c for c in effective_sources(settings.home, _env(sandbox))}
    assert set(found) == {"finance", "state_assets", "audit", "statistics"}
    assert {c.origin for c in found.values()} == {"sandbox"}
    assert found["audit"].settings == {"path": str((sandbox / "audit").resolve())}
    assert found["finance"].source is not None and found["finance"].source.provider == "finance"
    assert found["finance"].settings["url"] == "**********"  # a secret is never shown


def test_hub_yaml_adds_a_source_and_keeps_the_defaults(settings: Settings, sandbox: Path) -> None:
    _yaml(settings, EXTRA)
    found = {c.name: c for c in effective_sources(settings.home, _env(sandbox))}
    assert set(found) == {"finance", "state_assets", "audit", "statistics", "extra_db"}
    assert found["extra_db"].origin == "hub.yaml" and found["statistics"].origin == "sandbox"
    extra = found["extra_db"].source
    assert extra is not None and (extra.connector, extra.provider, extra.declared_provider) == ("sql", "city", None)
    assert [r.name for r in extra.resources] == ["t"]


def test_hub_yaml_overrides_a_default_by_name(settings: Settings, sandbox: Path, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    _yaml(settings, f"  audit: {{path: '{drop}'}}\n  statistics: {{base_url: 'https://stats.example'}}\n")
    found = {c.name: c for c in effective_sources(settings.home, _env(sandbox))}
    assert found["audit"].origin == "hub.yaml over sandbox" and found["audit"].settings == {"path": str(drop)}
    assert found["statistics"].settings["base_url"] == "https://stats.example"
    assert found["finance"].origin == "sandbox"


def test_another_connector_replaces_a_default_and_enabled_false_is_the_only_way_out(
    settings: Settings, sandbox: Path, tmp_path: Path
) -> None:
    _yaml(settings, f"  audit: {{connector: files, path: '{tmp_path}', feeds: []}}\n"
                    "  statistics: {enabled: false}\n")
    found = {c.name: c for c in effective_sources(settings.home, _env(sandbox))}
    assert found["audit"].origin == "hub.yaml (replaces the default)" and found["audit"].connector == "files"
    assert found["statistics"].origin == "disabled in hub.yaml" and not found["statistics"].enabled
    assert [s.name for s in load_sources(settings.home, _env(sandbox))] == ["audit", "finance", "state_assets"]


def test_a_provider_declared_in_hub_yaml_overrides_the_connectors(settings: Settings, sandbox: Path) -> None:
    _yaml(settings, "  finance: {provider: {code: county_finance, name_zh: 区财政局, default_level: 2}}\n")
    [finance] = [s for s in load_sources(settings.home, _env(sandbox)) if s.name == "finance"]
    assert finance.provider == "county_finance"
    assert finance.declared_provider == Provider(code="county_finance", name_zh="区财政局")


@pytest.mark.parametrize("text, message", [
    ("  mystery: {url: x}\n", "source `mystery` needs `connector: NAME`"),
    ("  nowhere: {connector: not_installed}\n", "no installed connector `not_installed`"),
    ("  finance: {provider: {code: staging, name_zh: x}}\n", "provider code `staging` must be"),
    ("  Bad-Name: {connector: sql}\n", "source name `Bad-Name` must be"),
])
def test_bad_hub_yaml_is_named(settings: Settings, sandbox: Path, text: str, message: str) -> None:
    _yaml(settings, text)
    with pytest.raises(ConnectorConfigError, match=message):
        effective_sources(settings.home, _env(sandbox))
