"""Signed model packages: who may publish here (two officers), what a tampered or foreign package meets.

No warehouse and no SQLMesh here: ``hub.federation.packages.read`` and the revocations
are checked against a real store with officers who sign with their own keys; the
package is the sample model, signed by another hub's identity key made in a HUB_HOME
of its own (``conftest.Publisher``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.events import discard
from hub.federation import local, packages, publishers, revocations, signed
from hub.federation.errors import PackageRefused, PublisherRefused
from hub.settings import Settings
from hub.store import Store, open_store
from hub.store.models import InstalledModel, TrustedPublisher
from tests.federation.conftest import Publisher, make_publisher, trust
from tests.officer_desk import Desk


def _flip(text: str, index: int) -> str:
    """``text`` with one character replaced by another base64url character (one byte altered)."""
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1:]


def test_one_officer_does_not_register_a_publisher_two_do(store: Store, desk: Desk, province: Publisher) -> None:
    assert trust(store, desk, province, officers=("own-fin",)) is None
    with store.session() as session:
        assert session.get(TrustedPublisher, "zj_province") is None
    row = trust(store, desk, province, officers=("sec-1",))
    assert isinstance(row, TrustedPublisher) and row.hub == "zj_province"
    assert [k["kid"] for k in row.keys] == [province.me.key.kid]


def test_the_same_officer_twice_registers_nothing(store: Store, desk: Desk, province: Publisher) -> None:
    assert trust(store, desk, province, officers=("own-fin", "own-fin")) is None
    with store.session() as session:
        assert session.get(TrustedPublisher, "zj_province") is None


def test_a_package_of_a_trusted_publisher_verifies(store: Store, desk: Desk, province: Publisher) -> None:
    trust(store, desk, province)
    text = province.package()
    with store.session() as session:
        package = packages.read(session, text)
    assert (package.publisher, package.manifest.name, package.manifest.version) == \
        ("zj_province", "disposal_discount", "1.0.0")
    assert package.manifest.inputs["state_assets.asset_disposal"][:2] == ["disposal_id", "uscc"]
    assert "models/disposal_discount.sql" in package.files


@pytest.mark.parametrize("where", ["header", "payload", "signature"])
def test_one_altered_byte_anywhere_refuses_the_package(store: Store, desk: Desk, province: Publisher,
                                                       where: str) -> None:
    trust(store, desk, province)
    text = province.package()
    head, body, sig = text.split(".")
    index = {"header": len(head) // 2, "payload": len(head) + 1 + len(body) // 2,
             "signature": len(head) + len(body) + 2 + len(sig) // 2}[where]
    with store.session() as session, pytest.raises(PackageRefused, match="altered|damaged|tampered") as caught:
        packages.read(session, _flip(text, index), "package `disposal_discount-1.0.0.hubmodel`")
    assert "disposal_discount-1.0.0.hubmodel" in str(caught.value)


def test_a_package_with_one_sql_byte_changed_and_resigned_by_nobody_is_refused(
        store: Store, desk: Desk, province: Publisher) -> None:
    """The payload re-encoded with a changed threshold but the original signature: refused as altered."""
    from hub.audit.canonical import b64url, canonical_json

    trust(store, desk, province)
    text = province.package()
    head, _, sig = text.split(".")
    with store.session() as session:
        files = dict(packages.read(session, text).files)
    sql = "models/disposal_discount.sql"
    files[sql] = files[sql].replace("0.9)", "0.8)", 1)
    doc = {"format": packages.FORMAT, "publisher": "zj_province", "published_at": "2026-12-07T10:00:00+00:00",
           "name": "disposal_discount", "version": "1.0.0", "files": files}
    forged = f"{head}.{b64url(canonical_json(doc))}.{sig}"
    with store.session() as session, pytest.raises(PackageRefused, match="tampered"):
        packages.read(session, forged)


def test_a_package_signed_by_an_unknown_hub_is_refused_by_name(store: Store, desk: Desk, province: Publisher,
                                                               tmp_path: Path) -> None:
    trust(store, desk, province)
    stranger = make_publisher(tmp_path, "rogue_hub")
    with store.session() as session, pytest.raises(PublisherRefused,
                                                   match="`rogue_hub` is not a trusted model publisher"):
        packages.read(session, stranger.package())


def test_a_stranger_claiming_a_trusted_name_is_refused(store: Store, desk: Desk, province: Publisher,
                                                       tmp_path: Path) -> None:
    """Another key signing as `zj_province`: its kid is not one the officers registered."""
    trust(store, desk, province)
    impostor = make_publisher(tmp_path / "elsewhere", "zj_province")
    with store.session() as session, pytest.raises(PublisherRefused, match="not a registered key"):
        packages.read(session, impostor.package())


def test_a_withdrawn_publisher_is_refused(store: Store, desk: Desk, province: Publisher) -> None:
    trust(store, desk, province)
    with store.session() as session:
        statement = desk.sign("sec-2", "distrust", publishers.target("zj_province"),
                              publishers.distrust_terms("zj_province"))
        publishers.distrust(session, discard, "zj_province", statement)
    with store.session() as session, pytest.raises(PublisherRefused, match="no longer a trusted"):
        packages.read(session, province.package())


def test_a_revocation_withdraws_the_installed_version_and_a_forged_one_does_not(
        store: Store, desk: Desk, province: Publisher, tmp_path: Path) -> None:
    trust(store, desk, province)
    with store.session() as session:
        session.add(InstalledModel(name="disposal_discount", version="1.0.0", publisher="zj_province",
                                   kid=province.me.key.kid, package_sha256="0" * 64, installed_by="operator:hub",
                                   installed_at=datetime.now(UTC)))
    rogue = make_publisher(tmp_path, "rogue_hub")
    forged = signed.sign(rogue.me.key, "zj_province", revocations.TYPE,
                         {"type": "model-revocation", "publisher": "zj_province", "name": "disposal_discount",
                          "version": "*", "reason": "forged"})
    with store.session() as session, pytest.raises(PublisherRefused):
        revocations.apply(session, discard, forged, what="a forged revocation")
    pstore = open_store(f"sqlite:///{province.settings.home / 'hub.sqlite'}")
    try:
        with pstore.session() as session:
            text = revocations.revoke(province.settings, session, discard, "disposal_discount", "*",
                                      "阈值口径有误，停止使用")
            assert revocations.issued(session) == [text]
    finally:
        pstore.dispose()
    with store.session() as session:
        row = revocations.apply(session, discard, text, what="revocation 1 of `zj_province`")
        assert row is not None and row.revoked_at is not None
    with store.session() as session:
        installed = session.get(InstalledModel, "disposal_discount")
        assert installed is not None and installed.revoked_at is not None and installed.revocation == text


def test_an_installed_package_altered_on_disk_leaves_the_project(store: Store, desk: Desk, province: Publisher,
                                                                 settings: Settings) -> None:
    """What ``hub model install`` leaves behind, then one edited threshold: refused at the next run."""
    trust(store, desk, province)
    text = province.package()
    folder = local.models_dir(settings) / "disposal_discount"
    with store.session() as session:
        package = packages.read(session, text)
        for relative, content in package.files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(content, encoding="utf-8")
        (folder / local.SIGNED).write_text(text, encoding="ascii")
        session.add(InstalledModel(name="disposal_discount", version="1.0.0", publisher="zj_province",
                                   kid=package.kid, package_sha256=package.sha256, installed_by="operator:hub",
                                   installed_at=datetime.now(UTC)))
    with store.session() as session:
        joined, refused = local.project_packages(settings, session)
    assert [p.connector for p in joined] == ["disposal_discount"] and refused == []
    sql = folder / "models" / "disposal_discount.sql"
    sql.write_text(sql.read_text(encoding="utf-8").replace("0.9)", "0.5)"), encoding="utf-8")
    with store.session() as session:
        joined, refused = local.project_packages(settings, session)
    assert joined == [] and len(refused) == 1
    assert "differ from what `zj_province` signed (altered on disk)" in str(refused[0])
